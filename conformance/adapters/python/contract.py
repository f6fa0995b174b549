"""The conformance client contract (docs/conformance.md), shared by the Python adapters."""

import os
import sys
from urllib.parse import urlsplit


class Contract:
    """What the runner asks for, read from the OAUTH_* environment."""

    def __init__(self):
        env = os.environ
        try:
            self.token_url = env["OAUTH_TOKEN_URL"]
            self.client_id = env["OAUTH_CLIENT_ID"]
            self.client_secret = env["OAUTH_CLIENT_SECRET"]
            self.auth_method = env["OAUTH_AUTH_METHOD"]
            self.resource_url = env["OAUTH_RESOURCE_URL"]
            self.calls = int(env["OAUTH_CALLS"])
            self.interval = int(env.get("OAUTH_CALL_INTERVAL_MS", "0")) / 1000
            self.timeout = int(env.get("OAUTH_TIMEOUT_MS", "30000")) / 1000
        except (KeyError, ValueError) as e:
            sys.stderr.write(f"contract environment incomplete: {e!r}\n")
            sys.exit(2)
        self.scopes = env.get("OAUTH_SCOPES", "").split() or None
        self.token = None  # set by the adapter, scrubbed from messages

    def is_loopback_http(self):
        url = urlsplit(self.token_url)
        return url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost", "::1")

    def fail(self, name, error):
        """One line on stderr, the secret and the token scrubbed; exit 1."""
        text = f"{name}: {type(error).__name__}: {error}"
        for secret in (self.client_secret, self.token):
            if secret:
                text = text.replace(secret, "<redacted>")
        sys.stderr.write(" ".join(text.split()) + "\n")
        sys.exit(1)
