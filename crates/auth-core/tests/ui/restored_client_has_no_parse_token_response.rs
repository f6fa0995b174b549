// A client from a stored token alone cannot take in a renewed token:
// `parse_token_response` does not exist on `RestoredClient` (E0599).
use auth_core::{AccessToken, OAuthToken, RestoredClient, ScopeSet};

fn main() {
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let token = OAuthToken::new(AccessToken::new("abc"), now, now, ScopeSet::new());
    let client = RestoredClient::new(token);
    let answer = http::Response::new(Vec::<u8>::new());
    let _ = client.parse_token_response(&answer, now);
}
