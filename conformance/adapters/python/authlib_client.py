"""Authlib in the conformance client contract, as its docs show.

"OAuth 2 Session" for requests, client credentials: ``OAuth2Session(client_id,
client_secret, scope=..., token_endpoint_auth_method=...)`` with
``token_endpoint=`` and ``grant_type='client_credentials'`` so that the
session renews an expired token by itself (docs: "Auto Update Token"),
then ``fetch_token(url, grant_type='client_credentials')`` once and plain
``session.get()`` calls. No retry, no renewal on a 401: the library offers
neither.

The client-assertion methods as its docs register them
(``session.register_client_auth_method(...)``, RFC 7523 in
``authlib.oauth2.rfc7523``): ``PrivateKeyJWT(token_endpoint, headers=, alg=)``
with the contract's EC key (``joserfc``'s ``ECKey``) in place of the
secret, ES256 and ``kid`` from ``OAUTH_KEY_ID``; ``ClientSecretJWT``
(HS256 with the secret).
"""

import os
import time

from contract import Contract

contract = Contract()
if contract.is_loopback_http():
    # Authlib refuses plain http unless told; the mock is http on loopback.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"

from authlib.integrations.requests_client import OAuth2Session  # noqa: E402
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT  # noqa: E402
from joserfc.jwk import ECKey  # noqa: E402


def assertion_auth():
    """The credential to hand the session, and the RFC 7523 method to
    register for it (``None`` for the secret methods)."""
    if contract.auth_method == "private_key_jwt":
        with open(os.environ["OAUTH_PRIVATE_KEY_FILE"], "rb") as pem:
            key = ECKey.import_key(pem.read())
        kid = os.environ.get("OAUTH_KEY_ID")
        headers = {"kid": kid} if kid else None
        return key, PrivateKeyJWT(contract.token_url, headers=headers, alg="ES256")
    if contract.auth_method == "client_secret_jwt":
        return contract.client_secret, ClientSecretJWT(contract.token_url)
    return contract.client_secret, None


def main():
    def update_token(token, refresh_token=None, access_token=None):
        contract.token = token.get("access_token")

    credential, method = assertion_auth()
    session = OAuth2Session(
        contract.client_id,
        credential,
        scope=contract.scopes and " ".join(contract.scopes),
        token_endpoint_auth_method=contract.auth_method,
        token_endpoint=contract.token_url,
        grant_type="client_credentials",
        update_token=update_token,
    )
    if method is not None:
        session.register_client_auth_method(method)
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
