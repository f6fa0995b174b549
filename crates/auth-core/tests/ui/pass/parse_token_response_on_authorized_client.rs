// Twin of `restored_client_has_no_parse_token_response`: a client with
// credentials holding the same token can take in a renewed one.
use auth_core::{AccessToken, Client, ClientCredentials, OAuthToken, ScopeSet, TokenUrl};

fn main() {
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let token = OAuthToken::new(AccessToken::new("abc"), now, now, ScopeSet::new());
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("id", "secret"),
    )
    .with_token(token);
    let answer = http::Response::new(Vec::<u8>::new());
    let _ = client.parse_token_response(&answer, now);
}
