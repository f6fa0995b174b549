// A client from a stored token alone cannot ask for another: it has no
// credentials, so `token_request` does not exist on `RestoredClient` (E0599).
use auth_core::{AccessToken, OAuthToken, RestoredClient, ScopeSet};

fn main() {
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let token = OAuthToken::new(AccessToken::new("abc"), now, now, ScopeSet::new());
    let client = RestoredClient::new(token);
    let _ = client.token_request();
}
