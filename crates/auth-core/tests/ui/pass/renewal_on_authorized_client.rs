// Twin of `restored_client_has_no_token_request` and
// `restored_client_has_no_parse_token_response`: a client with credentials
// holding the same token can ask for another and take it in.
use auth_core::{AccessToken, Client, ClientCredentials, OAuthToken, ScopeSet, TokenUrl};

fn main() {
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let token = OAuthToken::new(AccessToken::new("abc"), now, now, ScopeSet::new());
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("id", "secret"),
    )
    .with_token(token);
    let _ = client.token_request();
    let answer = http::Response::new(Vec::<u8>::new());
    let _ = client.parse_token_response(&answer, now);
}
