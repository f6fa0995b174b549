"""requests-oauthlib in the conformance client contract, as its docs show.

Backend Application Flow (docs: "Backend Application Flow"):
``BackendApplicationClient`` + ``OAuth2Session``, then
``fetch_token(token_url=..., client_id=..., client_secret=...)``, which sends
HTTP Basic built by requests (no form-encoding of id and secret). For
client_secret_post, ``include_client_id=True`` puts both in the body. The
token is reused; when oauthlib raises ``TokenExpiredError`` a new one is
fetched (the docs' advice for clients without a refresh token). No retry,
no renewal on a 401: the library offers neither.
"""

import time

from contract import Contract

contract = Contract()
if contract.is_loopback_http():
    # oauthlib refuses plain http unless told; the mock is http on loopback.
    import os

    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

from oauthlib.oauth2 import BackendApplicationClient, TokenExpiredError  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402


def main():
    # The scope goes on the oauthlib client: it builds the request body
    # (a scope given only to OAuth2Session is not sent for this grant).
    client = BackendApplicationClient(client_id=contract.client_id, scope=contract.scopes)
    oauth = OAuth2Session(client=client)

    def fetch():
        token = oauth.fetch_token(
            token_url=contract.token_url,
            client_id=contract.client_id,
            client_secret=contract.client_secret,
            include_client_id=contract.auth_method == "client_secret_post" or None,
            timeout=contract.timeout,
        )
        contract.token = token.get("access_token")

    try:
        fetch()
        for call in range(1, contract.calls + 1):
            if call > 1:
                time.sleep(contract.interval)
            try:
                response = oauth.get(contract.resource_url, timeout=contract.timeout)
            except TokenExpiredError:
                fetch()
                response = oauth.get(contract.resource_url, timeout=contract.timeout)
            if response.status_code != 200:
                contract.fail("requests-oauthlib", RuntimeError(f"resource call {call} answered {response.status_code}"))
    except Exception as e:  # noqa: BLE001 - any failure is the verdict
        contract.fail("requests-oauthlib", e)


main()
