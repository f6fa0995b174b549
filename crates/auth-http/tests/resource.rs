//! The resource server's side (issue 13, checklist B10): the bearer layer
//! with the JWT + JWKS and introspection validators, against the mock's
//! own tokens, answering per RFC 6750 §3.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
use auth_core::{
    BearerChallenge, BearerErrorCode, ClientId, ClientSecret, Clock as _, ManualClock,
};
use auth_http::resource::{
    IntrospectionValidator, JwtValidator, ValidateBearerLayer, Validator, grant,
};
use mock_server::{
    ClientRegistration, Endpoint as FaultEndpoint, Fault, FaultRule, MockServer, TokenFormat,
};
use tower::{Layer as _, ServiceExt as _};

const REALM: &str = "service-profile";

struct Setup {
    server: MockServer,
    clock: ManualClock,
}

async fn mock(format: TokenFormat) -> Setup {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let server = MockServer::builder()
        .token_format(format)
        .client(
            ClientRegistration::new("api", "api-secret")
                .with_scopes(["discovery:read", "serviceprofile:write"]),
        )
        .shared_clock(Arc::new(clock.clone()))
        .start()
        .await
        .unwrap();
    Setup { server, clock }
}

impl Setup {
    fn jwt_validator(&self) -> JwtValidator {
        JwtValidator::builder(
            self.server.url(),
            self.server.resource_url(),
            self.server.jwks_url(),
        )
        .clock(Arc::new(self.clock.clone()))
        .build()
        .unwrap()
    }

    fn introspection_validator(&self) -> IntrospectionValidator {
        self.introspection_validator_with_secret("api-secret")
    }

    fn introspection_validator_with_secret(&self, secret: &str) -> IntrospectionValidator {
        IntrospectionValidator::builder(
            self.server.introspection_url(),
            &ClientId::new("api"),
            &ClientSecret::new(secret),
            self.server.resource_url(),
        )
        .clock(Arc::new(self.clock.clone()))
        .build()
        .unwrap()
    }

    fn token(&self, scope: &str) -> String {
        self.server.mint_token("api", &scope.parse().unwrap())
    }
}

/// `POST /profile` needs `serviceprofile:write`; `GET` needs `discovery:read`.
async fn call<V: Validator + 'static>(
    validator: Arc<V>,
    request: http::Request<String>,
) -> http::Response<String> {
    let service = ValidateBearerLayer::from_shared(validator, REALM).layer(tower::service_fn(
        |request: http::Request<String>| async move {
            let checked = if request.method() == http::Method::POST {
                grant::<ServiceProfileWrite>(request.extensions()).map(|_| "written")
            } else {
                grant::<DiscoveryRead>(request.extensions()).map(|_| "read")
            };
            Ok::<_, Infallible>(match checked {
                Ok(body) => http::Response::new(body.to_owned()),
                Err(refusal) => refusal.into_response(),
            })
        },
    ));
    service.oneshot(request).await.unwrap()
}

/// The status of `method /profile` with `token`.
async fn status<V: Validator + 'static>(validator: &Arc<V>, method: &str, token: &str) -> u16 {
    call(Arc::clone(validator), bearer(method, token))
        .await
        .status()
        .as_u16()
}

fn introspections(server: &MockServer) -> usize {
    server
        .journal()
        .iter()
        .filter(|e| e.path == "/introspect")
        .count()
}

fn bearer(method: &str, token: &str) -> http::Request<String> {
    http::Request::builder()
        .method(method)
        .uri("/profile")
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap()
}

/// The Bearer challenge of an answer, parsed back (S-66).
fn challenge(response: &http::Response<String>) -> BearerChallenge {
    let header = response.headers()["www-authenticate"].to_str().unwrap();
    BearerChallenge::parse(header).unwrap()
}

fn assert_invalid_token(response: &http::Response<String>, why: &str) {
    assert_eq!(response.status(), 401, "{why}");
    let challenge = challenge(response);
    assert_eq!(
        challenge.error,
        Some(BearerErrorCode::InvalidToken),
        "{why}"
    );
    assert_eq!(challenge.realm.as_deref(), Some(REALM), "{why}");
}

#[tokio::test]
async fn a_valid_jwt_reaches_the_handler_with_its_typed_grant() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = Arc::new(setup.jwt_validator());
    let token = setup.token("serviceprofile:write discovery:read");
    let answer = call(Arc::clone(&validator), bearer("POST", &token)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.body(), "written");
    // S-64: the scheme is case-insensitive, and 1*SP allows two spaces.
    for header in [format!("bearer {token}"), format!("Bearer  {token}")] {
        let request = http::Request::get("/profile")
            .header("authorization", header)
            .body(String::new())
            .unwrap();
        assert_eq!(call(Arc::clone(&validator), request).await.status(), 200);
    }
}

#[tokio::test]
async fn s62_a_token_without_the_needed_scope_gets_insufficient_scope_naming_it() {
    let setup = mock(TokenFormat::Jwt).await;
    let token = setup.token("discovery:read");
    let answer = call(Arc::new(setup.jwt_validator()), bearer("POST", &token)).await;
    assert_eq!(answer.status(), 403);
    let challenge = challenge(&answer);
    assert_eq!(challenge.error, Some(BearerErrorCode::InsufficientScope));
    assert_eq!(challenge.scope.as_deref(), Some("serviceprofile:write"));
}

#[tokio::test]
async fn s60_s65_a_request_without_a_header_token_gets_a_challenge_without_an_error() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = Arc::new(setup.jwt_validator());
    let token = setup.token("discovery:read");
    for request in [
        http::Request::get("/profile").body(String::new()).unwrap(),
        http::Request::get(format!("/profile?access_token={token}"))
            .body(String::new())
            .unwrap(),
        http::Request::get("/profile")
            .header("authorization", "Basic YXBpOmFwaS1zZWNyZXQ=")
            .body(String::new())
            .unwrap(),
    ] {
        let answer = call(Arc::clone(&validator), request).await;
        assert_eq!(answer.status(), 401);
        let challenge = challenge(&answer);
        assert_eq!(challenge.realm.as_deref(), Some(REALM));
        assert_eq!(challenge.error, None);
    }
}

#[tokio::test]
async fn s63_s64_two_methods_two_headers_or_a_malformed_token_get_invalid_request() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = Arc::new(setup.jwt_validator());
    let token = setup.token("discovery:read");
    let both = http::Request::get(format!("/profile?access_token={token}"))
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let two = http::Request::get("/profile")
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let bad_chars = bearer("GET", "a,b");
    for request in [both, two, bad_chars] {
        let answer = call(Arc::clone(&validator), request).await;
        assert_eq!(answer.status(), 400);
        assert_eq!(
            challenge(&answer).error,
            Some(BearerErrorCode::InvalidRequest)
        );
    }
}

fn payload(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

/// Re-encodes a part of a compact JWS (0 header, 1 payload, 2 signature).
fn tamper(token: &str, part: usize, edit: impl Fn(&mut serde_json::Value)) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut value: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[part]).unwrap()).unwrap();
    edit(&mut value);
    parts[part] = URL_SAFE_NO_PAD.encode(value.to_string());
    parts.join(".")
}

#[tokio::test]
async fn s61_s67_garbage_alg_none_typ_jwt_and_a_tampered_payload_get_invalid_token() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = Arc::new(setup.jwt_validator());
    let token = setup.token("discovery:read");
    let cases = [
        ("garbage", "not-a-jwt".to_owned()),
        ("alg none", tamper(&token, 0, |h| h["alg"] = "none".into())),
        ("typ JWT", tamper(&token, 0, |h| h["typ"] = "JWT".into())),
        (
            "HS256 with the public key as secret",
            tamper(&token, 0, |h| h["alg"] = "HS256".into()),
        ),
        (
            "scope widened",
            tamper(&token, 1, |c| {
                c["scope"] = "discovery:read serviceprofile:write".into();
            }),
        ),
    ];
    for (why, bad) in cases {
        assert_invalid_token(
            &call(Arc::clone(&validator), bearer("GET", &bad)).await,
            why,
        );
    }
}

#[tokio::test]
async fn s67_a_jwt_for_another_audience_or_issuer_is_refused() {
    let setup = mock(TokenFormat::Jwt).await;
    let token = setup.token("discovery:read");
    let other_audience = JwtValidator::builder(
        setup.server.url(),
        "https://other.example/",
        setup.server.jwks_url(),
    )
    .build()
    .unwrap();
    let answer = call(Arc::new(other_audience), bearer("GET", &token)).await;
    assert_invalid_token(&answer, "wrong aud");
    let other_issuer = JwtValidator::builder(
        format!("{}/", setup.server.url()),
        setup.server.resource_url(),
        setup.server.jwks_url(),
    )
    .build()
    .unwrap();
    let answer = call(Arc::new(other_issuer), bearer("GET", &token)).await;
    assert_invalid_token(&answer, "iss differs by a trailing slash");
}

#[tokio::test]
async fn s67_an_expired_jwt_is_accepted_within_the_leeway_and_refused_beyond_it() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = Arc::new(setup.jwt_validator());
    let token = setup.token("discovery:read");
    let exp = payload(&token)["exp"].as_i64().unwrap();
    let left = exp - setup.clock.now().unix_timestamp();
    setup
        .clock
        .advance(Duration::from_secs(u64::try_from(left).unwrap() + 59));
    assert_eq!(status(&validator, "GET", &token).await, 200);
    setup.clock.advance(Duration::from_secs(1));
    assert_invalid_token(
        &call(validator, bearer("GET", &token)).await,
        "expired beyond 60 s",
    );
}

fn jwks_fetches(server: &MockServer) -> usize {
    server
        .journal()
        .iter()
        .filter(|entry| entry.path.contains("jwks"))
        .count()
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_keys_at_most_once_per_interval() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = Arc::new(setup.jwt_validator());
    let before = setup.token("discovery:read");
    assert_eq!(status(&validator, "GET", &before).await, 200);
    assert_eq!(jwks_fetches(&setup.server), 1);
    // The cached key serves the next token: no fetch.
    let again = setup.token("discovery:read");
    assert_eq!(status(&validator, "GET", &again).await, 200);
    assert_eq!(jwks_fetches(&setup.server), 1);

    // A token signed by a new key: within the interval, not re-fetched.
    setup
        .server
        .rotate_signing_key(Duration::from_secs(600))
        .unwrap();
    let after = setup.token("discovery:read");
    assert_invalid_token(
        &call(Arc::clone(&validator), bearer("GET", &after)).await,
        "rate limited",
    );
    assert_eq!(jwks_fetches(&setup.server), 1);
    // Past it: one fetch finds the key; the old key, in its grace, still works.
    setup
        .clock
        .advance(auth_http::resource::DEFAULT_REFETCH_INTERVAL);
    assert_eq!(status(&validator, "GET", &after).await, 200);
    assert_eq!(status(&validator, "GET", &before).await, 200);
    assert_eq!(jwks_fetches(&setup.server), 2);
    // A made-up kid costs no more fetches within the interval.
    for n in 0..5 {
        let bogus = tamper(&after, 0, |h| h["kid"] = format!("bogus-{n}").into());
        assert_invalid_token(
            &call(Arc::clone(&validator), bearer("GET", &bogus)).await,
            "bogus kid",
        );
    }
    assert_eq!(jwks_fetches(&setup.server), 2);
}

#[tokio::test]
async fn an_opaque_token_is_validated_by_introspection_and_the_answer_cached() {
    let setup = mock(TokenFormat::Opaque).await;
    let validator = Arc::new(setup.introspection_validator());
    let token = setup.token("serviceprofile:write");
    assert_eq!(status(&validator, "POST", &token).await, 200);
    assert_eq!(status(&validator, "POST", &token).await, 200);
    assert_eq!(introspections(&setup.server), 1);
    // Missing scope through introspection too.
    assert_eq!(status(&validator, "GET", &token).await, 403);
}

#[tokio::test]
async fn a_revoked_token_is_refused_once_the_cached_answer_ends() {
    let setup = mock(TokenFormat::Opaque).await;
    let validator = Arc::new(setup.introspection_validator());
    let token = setup.token("discovery:read");
    assert_eq!(status(&validator, "GET", &token).await, 200);
    assert!(setup.server.revoke_token(&token));
    // Cached: still served until the cache's maximum.
    assert_eq!(status(&validator, "GET", &token).await, 200);
    setup
        .clock
        .advance(auth_http::resource::DEFAULT_MAX_CACHE_TTL);
    assert_invalid_token(
        &call(Arc::clone(&validator), bearer("GET", &token)).await,
        "revoked",
    );
    // The inactive answer is cached briefly: no second introspection.
    assert_invalid_token(
        &call(Arc::clone(&validator), bearer("GET", &token)).await,
        "revoked",
    );
    assert_eq!(introspections(&setup.server), 2);
    setup
        .clock
        .advance(auth_http::resource::DEFAULT_INACTIVE_TTL);
    assert_invalid_token(
        &call(Arc::clone(&validator), bearer("GET", &token)).await,
        "revoked",
    );
    assert_eq!(introspections(&setup.server), 3);
}

/// Each introspection after this one waits `latency` before it answers.
fn slow_introspection(server: &MockServer, latency: Duration) {
    server.push_fault(
        FaultRule::new(Fault::Latency(latency))
            .for_endpoint(FaultEndpoint::Introspect)
            .times(1),
    );
}

/// `n` concurrent calls with `token`, their statuses in order.
async fn concurrent_statuses(
    validator: &Arc<IntrospectionValidator>,
    token: &str,
    n: usize,
) -> Vec<u16> {
    let calls = (0..n).map(|_| {
        let validator = Arc::clone(validator);
        let token = token.to_owned();
        tokio::spawn(async move { status(&validator, "GET", &token).await })
    });
    let mut statuses = Vec::new();
    for call in calls.collect::<Vec<_>>() {
        statuses.push(call.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn concurrent_checks_of_a_new_token_share_one_introspection() {
    let setup = mock(TokenFormat::Opaque).await;
    let validator = Arc::new(setup.introspection_validator());
    let token = setup.token("discovery:read");
    slow_introspection(&setup.server, Duration::from_millis(200));
    let statuses = concurrent_statuses(&validator, &token, 20).await;
    assert_eq!(statuses, [200; 20]);
    assert_eq!(introspections(&setup.server), 1);
}

#[tokio::test]
async fn concurrent_checks_of_a_revoked_token_share_its_inactive_answer_as_401() {
    let setup = mock(TokenFormat::Opaque).await;
    let validator = Arc::new(setup.introspection_validator());
    let token = setup.token("discovery:read");
    assert!(setup.server.revoke_token(&token));
    slow_introspection(&setup.server, Duration::from_millis(200));
    let statuses = concurrent_statuses(&validator, &token, 20).await;
    assert_eq!(statuses, [401; 20]);
    assert_eq!(introspections(&setup.server), 1);
}

#[tokio::test]
async fn concurrent_checks_share_a_failed_introspection_as_503() {
    let setup = mock(TokenFormat::Opaque).await;
    let token = setup.token("discovery:read");
    let validator = setup.introspection_validator_with_secret("wrong");
    slow_introspection(&setup.server, Duration::from_millis(200));
    let statuses = concurrent_statuses(&Arc::new(validator), &token, 20).await;
    assert_eq!(statuses, [503; 20]);
    assert_eq!(introspections(&setup.server), 1);
}

#[tokio::test]
async fn a_check_whose_caller_goes_away_leaves_the_waiting_checks_an_answer() {
    let setup = mock(TokenFormat::Opaque).await;
    let validator = Arc::new(setup.introspection_validator());
    let token = setup.token("discovery:read");
    slow_introspection(&setup.server, Duration::from_secs(30));
    let leader = {
        let validator = Arc::clone(&validator);
        let token = token.clone();
        tokio::spawn(async move { status(&validator, "GET", &token).await })
    };
    // The leader's introspection starts (and waits on the fault).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let follower = {
        let validator = Arc::clone(&validator);
        let token = token.clone();
        tokio::spawn(async move { status(&validator, "GET", &token).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Still waiting: it joined the leader's call rather than making its own.
    assert!(!follower.is_finished());
    leader.abort();
    let answered = tokio::time::timeout(Duration::from_secs(10), follower).await;
    assert_eq!(answered.unwrap().unwrap(), 200);
}

#[tokio::test]
async fn an_introspection_endpoint_that_cannot_answer_gets_503_not_invalid_token() {
    let setup = mock(TokenFormat::Opaque).await;
    let token = setup.token("discovery:read");
    let validator = setup.introspection_validator_with_secret("wrong");
    let answer = call(Arc::new(validator), bearer("GET", &token)).await;
    assert_eq!(answer.status(), 503);
    assert!(answer.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_jwks_url_is_found_through_the_issuers_metadata() {
    let setup = mock(TokenFormat::Jwt).await;
    let validator = JwtValidator::discover(&setup.server.url(), &setup.server.resource_url())
        .await
        .unwrap();
    assert_eq!(validator.jwks_url(), setup.server.jwks_url());
    let token = setup.token("discovery:read");
    assert_eq!(status(&Arc::new(validator), "GET", &token).await, 200);
}
