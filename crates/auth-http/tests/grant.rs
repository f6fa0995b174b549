//! Grants from the `TokenManager` across renewals (issue 10 item 2), end to
//! end against the in-process mock provider: a warm grant costs no request,
//! a renewal is re-checked once, a renewal with fewer scopes is a typed
//! error and never used, and concurrent users of one grant share one
//! renewal.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use auth_core::scope::{DiscoveryRead, ServiceProfileRead, ServiceProfileWrite};
use auth_core::{Client, ClientCredentials, ManualClock, Operation, Operations, TokenUrl};
use auth_http::{HyperTransport, ManagedGrant, TokenManager, Transport as _};
use mock_server::{ClientRegistration, Fault, FaultRule, MockServer};
use time::macros::datetime;

const ID: &str = "profile-service";
const SECRET: &str = "profile-secret";
const LIFETIME: Duration = Duration::from_secs(600);

/// `GET uri`, no body.
fn get(uri: &http::Uri) -> http::Request<Vec<u8>> {
    let mut request = http::Request::new(Vec::new());
    *request.uri_mut() = uri.clone();
    request
}

/// `GET /resource?scope=serviceprofile:read%20serviceprofile:write`: the
/// mock checks the token carries both.
struct UpdateProfile {
    uri: http::Uri,
}

impl Operation for UpdateProfile {
    type Requires = (ServiceProfileRead, ServiceProfileWrite);
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        get(&self.uri)
    }
}

/// `GET /resource?scope=discovery:read`.
struct ListServices {
    uri: http::Uri,
}

impl Operation for ListServices {
    type Requires = DiscoveryRead;
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        get(&self.uri)
    }
}

type Ops = (ListServices, UpdateProfile);

struct Setup {
    server: MockServer,
    clock: ManualClock,
    manager: TokenManager,
    list: ListServices,
    update: UpdateProfile,
}

async fn setup() -> Setup {
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let allowed = Ops::scopes().to_string();
    let server = MockServer::builder()
        .client(ClientRegistration::new(ID, SECRET).with_scopes(allowed.split(' ')))
        .token_lifetime(LIFETIME)
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let client = Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes(Ops::scopes()),
    );
    let manager = TokenManager::builder(client, HyperTransport::new().unwrap())
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build();
    let resource = server.resource_url();
    let list = ListServices {
        uri: format!("{resource}?scope=discovery:read").parse().unwrap(),
    };
    let update = UpdateProfile {
        uri: format!("{resource}?scope=serviceprofile:read%20serviceprofile:write")
            .parse()
            .unwrap(),
    };
    Setup {
        server,
        clock,
        manager,
        list,
        update,
    }
}

fn resource_requests(server: &MockServer) -> usize {
    server
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/resource"))
        .count()
}

fn bearer(request: &http::Request<Vec<u8>>) -> String {
    request.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A `200` token answer carrying `access_token` and granting only `scope`:
/// a provider that narrows a renewal and says so (RFC 6749 §3.3 lets it
/// ignore part of the request; §5.1 makes it name what it granted).
fn narrowed_answer(access_token: &str, scope: &str) -> Fault {
    Fault::Raw {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("cache-control".into(), "no-store".into()),
        ],
        body: format!(
            r#"{{"access_token":"{access_token}","token_type":"Bearer","expires_in":{},"scope":"{scope}"}}"#,
            LIFETIME.as_secs()
        ),
    }
}

#[tokio::test]
async fn a_warm_grant_sends_operations_without_a_token_request() {
    let s = setup().await;
    let grant: ManagedGrant<(ServiceProfileRead, ServiceProfileWrite)> =
        s.manager.grant().await.unwrap();
    assert_eq!(s.server.token_requests(), 1);
    let transport = HyperTransport::new().unwrap();
    for _ in 0..3 {
        let request = s
            .manager
            .operation_request(&s.update, &grant)
            .await
            .unwrap();
        assert_eq!(transport.send(request).await.unwrap().status(), 200);
    }
    assert_eq!(s.server.token_requests(), 1, "no request for a warm grant");
    assert!(grant.is_for(&s.manager.cached().unwrap()));
}

#[tokio::test]
async fn after_expiry_the_grant_renews_once_and_rechecks_the_new_token() {
    let s = setup().await;
    let grant = s.manager.grant::<DiscoveryRead>().await.unwrap();
    let first = bearer(&s.manager.operation_request(&s.list, &grant).await.unwrap());
    let old = s.manager.cached().unwrap();

    s.clock.advance(LIFETIME + Duration::from_secs(1));
    let renewed = s.manager.operation_request(&s.list, &grant).await.unwrap();
    let renewed_bearer = bearer(&renewed);
    assert_ne!(renewed_bearer, first, "the expired token is not used");
    assert_eq!(s.server.token_requests(), 2, "one renewal");
    let new = s.manager.cached().unwrap();
    assert!(
        grant.is_for(&new) && !grant.is_for(&old),
        "the grant moved to the renewed token"
    );
    let transport = HyperTransport::new().unwrap();
    assert_eq!(transport.send(renewed).await.unwrap().status(), 200);
    let again = s.manager.operation_request(&s.list, &grant).await.unwrap();
    assert_eq!(bearer(&again), renewed_bearer);
    assert_eq!(s.server.token_requests(), 2, "the renewed token is warm");
}

#[tokio::test]
async fn a_renewal_that_lost_a_scope_is_a_typed_error_and_no_token_is_sent() {
    let s = setup().await;
    let update = s
        .manager
        .grant::<(ServiceProfileRead, ServiceProfileWrite)>()
        .await
        .unwrap();
    let list = s.manager.grant::<DiscoveryRead>().await.unwrap();
    let old = bearer(
        &s.manager
            .operation_request(&s.update, &update)
            .await
            .unwrap(),
    );

    // The provider renews with `discovery:read serviceprofile:read` only.
    let narrowed = "discovery:read serviceprofile:read";
    let token = s.server.mint_token(ID, &narrowed.parse().unwrap());
    s.server
        .push_fault(FaultRule::new(narrowed_answer(&token, narrowed)).times(1));
    s.clock.advance(LIFETIME + Duration::from_secs(1));

    for _ in 0..2 {
        let error = s
            .manager
            .operation_request(&s.update, &update)
            .await
            .unwrap_err();
        let missing = error
            .missing_scopes()
            .unwrap_or_else(|| panic!("{error:?}"));
        assert_eq!(missing.missing().to_string(), "serviceprofile:write");
        assert_eq!(missing.granted().to_string(), narrowed);
        assert!(!error.is_retryable());
        assert_eq!(
            error.to_string(),
            "operation not authorized: token was not granted serviceprofile:write (granted: discovery:read serviceprofile:read)"
        );
    }
    assert_eq!(s.server.token_requests(), 2, "one renewal, not one per use");
    assert!(
        !update.is_for(&s.manager.cached().unwrap()),
        "the grant did not move to the narrower token"
    );
    // A grant the renewal still meets moves on; the old token is not used.
    let listed = s.manager.operation_request(&s.list, &list).await.unwrap();
    assert_eq!(bearer(&listed), format!("Bearer {token}"));
    assert_ne!(bearer(&listed), old);
    assert_eq!(
        resource_requests(&s.server),
        0,
        "nothing reached the resource"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_sharing_a_grant_across_a_renewal_cause_one_token_request() {
    let s = setup().await;
    let grant = s
        .manager
        .grant::<(ServiceProfileRead, ServiceProfileWrite)>()
        .await
        .unwrap();
    s.server
        .push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(100))).times(1));
    s.clock.advance(LIFETIME + Duration::from_secs(1));
    let update = std::sync::Arc::new(s.update);
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let (manager, grant, update) = (s.manager.clone(), grant.clone(), update.clone());
            tokio::spawn(async move {
                let request = manager.operation_request(&*update, &grant).await.unwrap();
                bearer(&request)
            })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for task in tasks {
        tokens.insert(task.await.unwrap());
    }
    assert_eq!(tokens.len(), 1, "every task used the one renewed token");
    assert_eq!(s.server.token_requests(), 2, "the grant and one renewal");
    assert!(grant.is_for(&s.manager.cached().unwrap()));
}

#[tokio::test]
async fn a_grant_the_provider_did_not_grant_is_refused_at_once() {
    let s = setup().await;
    let narrowed = "discovery:read";
    let token = s.server.mint_token(ID, &narrowed.parse().unwrap());
    s.server
        .push_fault(FaultRule::new(narrowed_answer(&token, narrowed)).times(1));
    let error = s
        .manager
        .grant::<(ServiceProfileRead, ServiceProfileWrite)>()
        .await
        .unwrap_err();
    let missing = error
        .missing_scopes()
        .unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(
        missing.missing().to_string(),
        "serviceprofile:read serviceprofile:write"
    );
    assert!(s.manager.grant::<DiscoveryRead>().await.is_ok());
    assert_eq!(s.server.token_requests(), 1);
}

#[tokio::test]
async fn an_operation_to_a_plain_http_host_is_refused_before_any_token_is_used() {
    let s = setup().await;
    let grant = s.manager.grant::<DiscoveryRead>().await.unwrap();
    let list = ListServices {
        uri: "http://api.example/services".parse().unwrap(),
    };
    let error = s
        .manager
        .operation_request(&list, &grant)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            auth_http::Error::InsecureUrl(auth_http::InsecureUrlError::HttpsRequired { .. })
        ),
        "{error:?}"
    );
    assert_eq!(s.server.token_requests(), 1);
}
