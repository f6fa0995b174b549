"""Authlib in the conformance client contract, as its docs show.

"OAuth 2 Session" for requests, client credentials: ``OAuth2Session(client_id,
client_secret, scope=..., token_endpoint_auth_method=...)`` with
``token_endpoint=`` and ``grant_type='client_credentials'`` so that the
session renews an expired token by itself (docs: "Auto Update Token"),
then ``fetch_token(url, grant_type='client_credentials')`` once and plain
``session.get()`` calls. No retry, no renewal on a 401: the library offers
neither.
"""

import time

from contract import Contract

contract = Contract()
if contract.is_loopback_http():
    # Authlib refuses plain http unless told; the mock is http on loopback.
    import os

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

from authlib.integrations.requests_client import OAuth2Session  # noqa: E402


def main():
    def update_token(token, refresh_token=None, access_token=None):
        contract.token = token.get("access_token")

    session = OAuth2Session(
        contract.client_id,
        contract.client_secret,
        scope=contract.scopes and " ".join(contract.scopes),
        token_endpoint_auth_method=contract.auth_method,
        token_endpoint=contract.token_url,
        grant_type="client_credentials",
        update_token=update_token,
    )
    try:
        token = session.fetch_token(
            contract.token_url, grant_type="client_credentials", timeout=contract.timeout
        )
        contract.token = token.get("access_token")
        for call in range(1, contract.calls + 1):
            if call > 1:
                time.sleep(contract.interval)
            response = session.get(contract.resource_url, timeout=contract.timeout)
            if response.status_code != 200:
                contract.fail("authlib", RuntimeError(f"resource call {call} answered {response.status_code}"))
    except Exception as e:  # noqa: BLE001 - any failure is the verdict
        contract.fail("authlib", e)


main()
