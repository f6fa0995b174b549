// No bearer without a token: `authorize_request` exists only on
// `Client<Authorized>` (E0599).
fn main() {
    let client = auth_core::Client::new(
        auth_core::TokenUrl::parse("https://as.example/token").unwrap(),
        auth_core::ClientCredentials::new("id", "secret"),
    );
    let mut request = http::Request::new(());
    let _ = client.authorize_request(&mut request);
}
