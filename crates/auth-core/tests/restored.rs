//! A client from a stored token alone (issue 10, item 5): restored from the
//! stored format with no secret, it authorizes until the token expires,
//! then refuses with a typed error, and it still produces grants and sends
//! operations under them. That it cannot fetch or renew is a compile error:
//! `tests/ui/restored_client_*.rs`.
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::scope::{DiscoveryRead, ServiceProfileRead, ServiceProfileWrite};
use auth_core::{
    AccessToken, Authorize, Authorized, Client, ClientCredentials, Error, OAuthToken, Operation,
    RequestKey, RestoredClient, Scope, StoredTokenError, TokenRequest, TokenUrl,
};
use http::header::AUTHORIZATION;
use time::OffsetDateTime;
use time::macros::datetime;

const SENT_AT: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
const EXPIRES_AT: OffsetDateTime = datetime!(2026-01-01 01:00 UTC);
const ACCESS_TOKEN: &str = "2YotnFZFEjr1zCsicMWpAA";

fn token_url() -> TokenUrl {
    TokenUrl::parse("https://as.example/token").unwrap()
}

/// The service that holds the credentials.
fn credentialed() -> Client {
    Client::new(
        token_url(),
        ClientCredentials::new("svc", "s3cret")
            .with_scopes([Scope::DiscoveryRead, Scope::ServiceProfileRead]),
    )
}

/// The key of the credentialed service's request, built by a process that
/// knows its token URL, id and scopes, but not its secret.
fn key_without_secret() -> RequestKey {
    TokenRequest::new(
        token_url(),
        ClientCredentials::new("svc", "")
            .with_scopes([Scope::DiscoveryRead, Scope::ServiceProfileRead]),
    )
    .key()
}

/// What the credentialed service fetched and stored: a token the provider
/// answered for a request sent at `SENT_AT`, with no `scope` member (so the
/// requested scope was granted, RFC 6749 §5.1).
fn stored_by_credentialed_service() -> String {
    let client = credentialed();
    let answer = http::Response::builder()
        .header("content-type", "application/json")
        .body(
            format!(
                r#"{{"access_token":"{ACCESS_TOKEN}","token_type":"Bearer","expires_in":3600}}"#
            )
            .into_bytes(),
        )
        .unwrap();
    let token = client.parse_token_response(&answer, SENT_AT).unwrap();
    token.to_stored_json(&client.request().key()).unwrap()
}

fn restored() -> RestoredClient {
    RestoredClient::from_stored_json(
        stored_by_credentialed_service().as_bytes(),
        &key_without_secret(),
    )
    .unwrap()
}

fn restored_with_scope(scope: &str) -> RestoredClient {
    RestoredClient::new(OAuthToken::new(
        AccessToken::new(ACCESS_TOKEN),
        SENT_AT,
        EXPIRES_AT,
        scope.parse().unwrap(),
    ))
}

fn api_call() -> http::Request<()> {
    http::Request::get("https://api.example/services")
        .body(())
        .unwrap()
}

/// Lists the services.
struct ListServices;

impl Operation for ListServices {
    type Requires = DiscoveryRead;
    type Body = ();
    fn to_request(&self) -> http::Request<()> {
        api_call()
    }
}

/// Replaces this service's profile.
struct UpdateProfile;

impl Operation for UpdateProfile {
    type Requires = ServiceProfileWrite;
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(b"{}".to_vec());
        *request.method_mut() = http::Method::PUT;
        *request.uri_mut() = http::Uri::from_static("https://api.example/profile");
        request
    }
}

#[test]
fn restores_the_stored_format_with_a_key_built_without_the_secret() {
    let client = restored();
    assert_eq!(client.expires_at(), EXPIRES_AT);
    assert_eq!(client.token().access_token().expose_secret(), ACCESS_TOKEN);
    assert_eq!(
        client.token().scope().to_string(),
        "discovery:read serviceprofile:read"
    );
}

#[test]
fn a_token_stored_for_another_request_is_not_restored() {
    let other = TokenRequest::new(token_url(), ClientCredentials::new("other", "")).key();
    assert_eq!(
        RestoredClient::from_stored_json(stored_by_credentialed_service().as_bytes(), &other)
            .unwrap_err(),
        StoredTokenError::OtherRequest
    );
    assert!(matches!(
        RestoredClient::from_stored_json(b"{\"version\":2,", &key_without_secret()),
        Err(StoredTokenError::Corrupt { .. })
    ));
}

#[test]
fn restores_from_the_stored_file_alone_with_no_id_url_or_secret() {
    let stored = stored_by_credentialed_service();
    let client = RestoredClient::from_stored_json_unbound(stored.as_bytes()).unwrap();
    assert_eq!(client.token(), restored().token());
    assert!(client.grant::<DiscoveryRead>().is_ok());
    let mut call = api_call();
    client.authorize_request(&mut call, SENT_AT).unwrap();
    assert_eq!(
        call.headers()[AUTHORIZATION],
        "Bearer 2YotnFZFEjr1zCsicMWpAA"
    );
    // Version 1 records were never bound to a request: they load too.
    let unbound = stored.replacen("\"version\":2", "\"version\":1", 1);
    let unbound = unbound.replacen(
        &format!(",\"request\":\"{}\"", key_without_secret().digest()),
        "",
        1,
    );
    assert_eq!(
        RestoredClient::from_stored_json(unbound.as_bytes(), &key_without_secret()).unwrap_err(),
        StoredTokenError::Unbound
    );
    assert_eq!(
        RestoredClient::from_stored_json_unbound(unbound.as_bytes())
            .unwrap()
            .token(),
        client.token()
    );
}

#[test]
fn a_corrupt_or_future_file_is_a_typed_error_without_a_key_too() {
    assert!(matches!(
        RestoredClient::from_stored_json_unbound(b"{\"version\":2,"),
        Err(StoredTokenError::Corrupt { .. })
    ));
    assert_eq!(
        RestoredClient::from_stored_json_unbound(b"{\"version\":99}").unwrap_err(),
        StoredTokenError::UnsupportedVersion(99)
    );
    let bad_binding =
        stored_by_credentialed_service().replacen("\"version\":2", "\"version\":1", 1);
    assert_eq!(
        RestoredClient::from_stored_json_unbound(bad_binding.as_bytes()).unwrap_err(),
        StoredTokenError::Invalid("request")
    );
}

#[test]
fn authorizes_requests_before_the_token_expires() {
    let client = restored();
    for now in [SENT_AT, datetime!(2026-01-01 00:59:59.999 UTC)] {
        let mut call = api_call();
        client.authorize_request(&mut call, now).unwrap();
        assert_eq!(
            call.headers()[AUTHORIZATION],
            "Bearer 2YotnFZFEjr1zCsicMWpAA"
        );
        assert!(call.headers()[AUTHORIZATION].is_sensitive());
        assert!(!client.is_expired(now));
    }
}

#[test]
fn refuses_with_a_typed_error_once_the_token_expires() {
    let client = restored();
    for now in [EXPIRES_AT, datetime!(2026-01-02 00:00 UTC)] {
        let mut call = api_call();
        let err = client.authorize_request(&mut call, now).unwrap_err();
        let Error::TokenExpired(expired) = &err else {
            panic!("expected TokenExpired, got {err:?}");
        };
        assert_eq!(expired.expires_at(), EXPIRES_AT);
        assert_eq!(expired.now(), now);
        assert!(client.is_expired(now));
        // Nothing was written into the request.
        assert!(call.headers().get(AUTHORIZATION).is_none());
    }
}

#[test]
fn the_expiry_error_names_both_instants_and_not_the_token() {
    let err = restored()
        .authorize_request(&mut api_call(), datetime!(2026-01-01 01:00:05 UTC))
        .unwrap_err();
    insta::assert_snapshot!(err, @"request not authorized: access token expired at 2026-01-01T01:00:00Z, checked at 2026-01-01T01:00:05Z");
    assert!(!format!("{err:?}").contains(ACCESS_TOKEN));
}

#[test]
fn grants_are_checked_against_the_restored_token_and_tied_to_it() {
    let client = restored();
    let grant = client
        .grant::<(DiscoveryRead, ServiceProfileRead)>()
        .unwrap();
    assert!(grant.is_for(client.token()));
    // Another restoring of the same bytes is another token.
    assert!(!grant.is_for(restored().token()));
    let missing = client.grant::<ServiceProfileWrite>().unwrap_err();
    assert_eq!(missing.missing().to_string(), "serviceprofile:write");
}

#[test]
fn an_expired_token_still_yields_its_grants_but_sends_nothing_under_them() {
    let client = restored();
    let grant = client.grant::<DiscoveryRead>().unwrap();
    assert!(matches!(
        client.operation_request(&ListServices, &grant, EXPIRES_AT),
        Err(Error::TokenExpired(_))
    ));
}

#[test]
fn sends_operations_under_grants_from_its_token() {
    let client = restored();
    let grant = client.grant::<DiscoveryRead>().unwrap();
    let request = client
        .operation_request(&ListServices, &grant, SENT_AT)
        .unwrap();
    assert_eq!(request.uri(), "https://api.example/services");
    assert_eq!(
        request.headers()[AUTHORIZATION],
        "Bearer 2YotnFZFEjr1zCsicMWpAA"
    );
}

#[test]
fn a_grant_from_a_wider_token_is_not_used_with_a_narrower_restored_token() {
    let wider = restored_with_scope("serviceprofile:write");
    let grant = wider.grant::<ServiceProfileWrite>().unwrap();
    let narrower = restored_with_scope("serviceprofile:read");
    assert!(matches!(
        narrower.operation_request(&UpdateProfile, &grant, SENT_AT),
        Err(Error::MissingScopes(_))
    ));
    // A token that also meets the grant's requirement may use it.
    let also_granted = restored_with_scope("serviceprofile:write");
    assert!(
        also_granted
            .operation_request(&UpdateProfile, &grant, SENT_AT)
            .is_ok()
    );
}

/// Code generic over both clients, through `Authorize`.
fn list_services(client: &impl Authorize, now: OffsetDateTime) -> Result<http::Request<()>, Error> {
    let grant = client.grant::<DiscoveryRead>()?;
    client.authorize_operation(&ListServices, &grant, now)
}

#[test]
fn code_generic_over_authorize_serves_both_clients_alike() {
    let token = restored().into_token();
    let authorized: Client<Authorized> = credentialed().with_token(token.clone());
    let restored = RestoredClient::new(token);

    for now in [SENT_AT, EXPIRES_AT] {
        let from_authorized = list_services(&authorized, now);
        let from_restored = list_services(&restored, now);
        match (from_authorized, from_restored) {
            (Ok(a), Ok(r)) => {
                assert_eq!(now, SENT_AT);
                assert_eq!(a.headers()[AUTHORIZATION], r.headers()[AUTHORIZATION]);
            }
            (Err(Error::TokenExpired(a)), Err(Error::TokenExpired(r))) => {
                assert_eq!(now, EXPIRES_AT);
                assert_eq!(a, r);
            }
            other => panic!("the two clients disagree at {now}: {other:?}"),
        }
    }
}

#[test]
fn a_restored_client_sends_what_the_credentialed_client_sends() {
    let restored = restored();
    let authorized = credentialed().with_token(restored.token().clone());
    let mut by_authorized = api_call();
    authorized.authorize_request(&mut by_authorized).unwrap();
    let mut by_restored = api_call();
    restored
        .authorize_request(&mut by_restored, SENT_AT)
        .unwrap();
    assert_eq!(
        by_authorized.headers()[AUTHORIZATION],
        by_restored.headers()[AUTHORIZATION]
    );
}
