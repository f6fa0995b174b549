//! Checklist C-61 (RFC 9068 §6: "The client MUST NOT inspect the content of
//! the access token"): a JWT-shaped access token is opaque; the manager's
//! cache follows `expires_in`, never the JWT's `exp`. Exact token responses
//! from wiremock, time from a `ManualClock`.

use std::time::Duration;

use auth_core::{Client, ClientCredentials, ManualClock, Scope, TokenUrl};
use auth_http::{HyperTransport, RetryPolicy, TokenManager};
use time::macros::datetime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// 2026-01-01T00:00:00Z, Unix 1767225600: the manager's clock at the start.
const T0: time::OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// An RFC 9068 access token whose payload says
/// `{"iss":"https://as.example","sub":"svc","client_id":"svc","exp":1767225610,"iat":1767225600,"jti":"a1"}`:
/// `exp` is T0 + 10 s.
const JWT_EXP_IN_10_S: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUiLCJzdWIiOiJzdmMiLCJjbGllbnRfaWQiOiJzdmMiLCJleHAiOjE3NjcyMjU2MTAsImlhdCI6MTc2NzIyNTYwMCwianRpIjoiYTEifQ.c2lnbmF0dXJl";

/// The same with `"exp":1767312000` (T0 + 1 day) and `"jti":"a2"`.
const JWT_EXP_IN_1_DAY: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUiLCJzdWIiOiJzdmMiLCJjbGllbnRfaWQiOiJzdmMiLCJleHAiOjE3NjczMTIwMDAsImlhdCI6MTc2NzIyNTYwMCwianRpIjoiYTIifQ.c2lnbmF0dXJl";

async fn provider(access_token: &str, expires_in: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .insert_header("cache-control", "no-store")
                .set_body_string(format!(
                    r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":{expires_in},"scope":"read"}}"#
                )),
        )
        .mount(&server)
        .await;
    server
}

fn manager(server: &MockServer, clock: &ManualClock) -> TokenManager {
    let client = Client::new(
        TokenUrl::parse(&format!("{}/token", server.uri())).expect("loopback url"),
        ClientCredentials::new("svc", "s3cret").with_scopes([Scope::Read]),
    );
    TokenManager::builder(client, HyperTransport::new().expect("transport"))
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .retry(RetryPolicy::none())
        .build()
}

async fn token_requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn jwt_exp_in_10_s_with_expires_in_3600_stays_cached_at_60_s_c61_rfc9068_6() {
    let server = provider(JWT_EXP_IN_10_S, 3600).await;
    let clock = ManualClock::new(T0);
    let manager = manager(&server, &clock);

    let first = manager.token().await.unwrap();
    assert_eq!(first.access_token().expose_secret(), JWT_EXP_IN_10_S);
    // Expiry from `expires_in` (RFC 6749 §5.1), not from the JWT's `exp`.
    assert_eq!(first.expires_at(), datetime!(2026-01-01 01:00 UTC));

    clock.advance(Duration::from_secs(60)); // 50 s past the JWT's `exp`
    let again = manager.token().await.unwrap();
    assert_eq!(again.access_token().expose_secret(), JWT_EXP_IN_10_S);
    assert_eq!(token_requests(&server).await, 1, "still cached at +60 s");
}

#[tokio::test]
async fn jwt_exp_in_a_day_with_expires_in_30_is_renewed_at_60_s_c61_rfc9068_6() {
    let server = provider(JWT_EXP_IN_1_DAY, 30).await;
    let clock = ManualClock::new(T0);
    let manager = manager(&server, &clock);

    let first = manager.token().await.unwrap();
    assert_eq!(first.expires_at(), datetime!(2026-01-01 00:00:30 UTC));
    assert_eq!(token_requests(&server).await, 1);

    clock.advance(Duration::from_secs(60)); // the JWT's `exp` is a day away
    let _ = manager.token().await.unwrap();
    assert_eq!(
        token_requests(&server).await,
        2,
        "renewed: expires_in said 30 s, the JWT's exp is not read"
    );
}
