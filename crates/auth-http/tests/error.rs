//! The error messages, pinned (message text is not API, but a change
//! should be deliberate), and `is_retryable` for every class of failure.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use auth_core::{ApiError, ErrorCode, ProviderError};
use auth_http::{Error, StoreError};
use http::StatusCode;

fn provider(code: &str, status: StatusCode) -> Error {
    Error::Core(
        ProviderError::new(ErrorCode::from(code))
            .with_status(status)
            .into(),
    )
}

fn api(status: u16) -> Error {
    Error::Core(
        ApiError::new(
            StatusCode::from_u16(status).unwrap(),
            b"<html>oops</html>",
            None,
        )
        .into(),
    )
}

#[test]
fn messages_are_one_lowercase_layer() {
    insta::assert_snapshot!(Error::Timeout(Duration::from_secs(30)), @"request timed out after 30s");
    insta::assert_snapshot!(Error::BodyTooLarge { limit: 1024 }, @"response body exceeds the limit of 1024 bytes");
    insta::assert_snapshot!(Error::transport(std::io::Error::other("reset")), @"transport failed");
    insta::assert_snapshot!(Error::Store(StoreError::Io(std::io::Error::other("disk"))), @"token store failed");
    insta::assert_snapshot!(provider("invalid_client", StatusCode::UNAUTHORIZED), @"provider rejected the request: invalid_client (HTTP 401)");
    insta::assert_snapshot!(api(502), @"unexpected provider response: HTTP 502: <html>oops</html>");
    let limited = Error::RateLimited {
        retry_after: Duration::from_secs(120),
        source: ProviderError::new(ErrorCode::from("slow_down"))
            .with_status(StatusCode::TOO_MANY_REQUESTS)
            .into(),
    };
    insta::assert_snapshot!(limited, @"rate limited: the provider asked to retry after 120s, beyond the deadline");
    insta::assert_snapshot!(Error::Shared(Arc::new(api(503))), @"unexpected provider response: HTTP 503: <html>oops</html>");
    let recent = Error::RecentFailure {
        retry_in: Duration::from_millis(250),
        source: Arc::new(api(503)),
    };
    insta::assert_snapshot!(recent, @"token fetch failed recently; next attempt in 250ms");
    insta::assert_snapshot!(auth_http::one_line(&recent), @"token fetch failed recently; next attempt in 250ms: unexpected provider response: HTTP 503: <html>oops</html>");
    insta::assert_snapshot!(Error::ExpiredOnArrival { lifetime: Duration::ZERO }, @"token arrived already expired or due for renewal (lifetime 0ns)");
}

/// auth-core's error for a 200 with `body`.
fn success_with(body: &str) -> Error {
    let answer = http::Response::builder()
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap();
    let scope = auth_core::ScopeSet::default();
    let options = auth_core::response::ParseOptions::default();
    let ctx = auth_core::response::ParseContext {
        requested_at: time::macros::datetime!(2026-01-01 00:00 UTC),
        requested_scope: &scope,
        options: &options,
    };
    Error::Core(auth_core::response::parse(&answer, &ctx).unwrap_err())
}

#[test]
fn a_malformed_success_answer_is_not_retryable() {
    for body in [
        r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":true}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":[]}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":{}}"#,
        r#"{"status":"ok"}"#,
        "<html>portal</html>",
        "",
    ] {
        let error = success_with(body);
        assert!(
            matches!(error, Error::Core(auth_core::Error::Parse(_))),
            "{body}: {error:?}"
        );
        assert!(!error.is_retryable(), "{body}");
        assert!(!Error::Shared(Arc::new(error)).is_retryable(), "{body}");
    }
    assert!(!api(200).is_retryable());
    assert!(
        !Error::ExpiredOnArrival {
            lifetime: Duration::ZERO
        }
        .is_retryable()
    );
}

#[test]
fn a_reused_failure_is_classified_like_the_original() {
    let recent = Error::RecentFailure {
        retry_in: Duration::from_millis(100),
        source: Arc::new(provider("invalid_client", StatusCode::UNAUTHORIZED)),
    };
    assert!(recent.is_provider_rejection());
    assert!(!recent.is_retryable());
    assert_eq!(recent.status(), Some(StatusCode::UNAUTHORIZED));
    let transient = Error::RecentFailure {
        retry_in: Duration::from_millis(100),
        source: Arc::new(api(503)),
    };
    assert!(transient.is_retryable());
    assert_eq!(
        transient.root().status(),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
}

#[test]
fn transient_failures_are_retryable_and_rfc_codes_are_not_c47_c48() {
    for retryable in [
        api(500),
        api(502),
        api(503),
        api(504),
        api(408),
        api(429),
        provider("temporarily_unavailable", StatusCode::SERVICE_UNAVAILABLE),
        provider("slow_down", StatusCode::BAD_REQUEST),
        provider("rate_limited", StatusCode::TOO_MANY_REQUESTS),
        Error::Timeout(Duration::from_secs(1)),
        Error::transport(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
        Error::Shared(Arc::new(api(503))),
    ] {
        assert!(retryable.is_retryable(), "{retryable:?}");
    }
    for permanent in [
        provider("invalid_client", StatusCode::UNAUTHORIZED),
        provider("invalid_request", StatusCode::BAD_REQUEST),
        provider("invalid_grant", StatusCode::BAD_REQUEST),
        provider("unauthorized_client", StatusCode::BAD_REQUEST),
        provider("unsupported_grant_type", StatusCode::BAD_REQUEST),
        provider("invalid_scope", StatusCode::BAD_REQUEST),
        provider("invalid_target", StatusCode::SERVICE_UNAVAILABLE),
        provider("invalid_client", StatusCode::SERVICE_UNAVAILABLE),
        api(307),
        api(404),
        Error::BodyTooLarge { limit: 1 },
    ] {
        assert!(!permanent.is_retryable(), "{permanent:?}");
    }
}

#[test]
fn status_and_retry_after_look_through_shared_errors() {
    let shared = Error::Shared(Arc::new(provider("invalid_scope", StatusCode::BAD_REQUEST)));
    assert_eq!(shared.status(), Some(StatusCode::BAD_REQUEST));
    assert!(shared.is_provider_rejection());
    assert!(matches!(
        shared.root(),
        Error::Core(auth_core::Error::Provider(_))
    ));
}

fn exhausted(attempts: u32, elapsed: Duration, last: Error) -> Error {
    Error::RetriesExhausted {
        attempts,
        elapsed,
        source: Box::new(last),
    }
}

#[test]
fn exhausted_retries_say_how_many_attempts_over_how_long() {
    let error = exhausted(3, Duration::from_micros(1_432_789), api(503));
    insta::assert_snapshot!(error, @"token request failed after 3 attempts over 1.432s");
    insta::assert_snapshot!(
        auth_http::one_line(&error),
        @"token request failed after 3 attempts over 1.432s: unexpected provider response: HTTP 503: <html>oops</html>"
    );
    insta::assert_snapshot!(
        exhausted(2, Duration::from_millis(200), Error::Timeout(Duration::from_secs(5))),
        @"token request failed after 2 attempts over 200ms"
    );
    let recent = Error::RecentFailure {
        retry_in: Duration::from_millis(100),
        source: Arc::new(error),
    };
    insta::assert_snapshot!(
        auth_http::one_line(&recent),
        @"token fetch failed recently; next attempt in 100ms: token request failed after 3 attempts over 1.432s: unexpected provider response: HTTP 503: <html>oops</html>"
    );
}

#[test]
fn exhausted_retries_are_classified_by_the_last_error() {
    let transient = Error::Shared(Arc::new(exhausted(3, Duration::from_secs(2), api(503))));
    assert!(transient.is_retryable());
    assert!(!transient.is_provider_rejection());
    assert_eq!(transient.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(matches!(
        transient.root(),
        Error::Core(auth_core::Error::Api(_))
    ));
    let source = std::error::Error::source(&transient).unwrap();
    assert_eq!(source.to_string(), api(503).to_string());

    let rejected = exhausted(
        2,
        Duration::from_secs(1),
        provider("invalid_client", StatusCode::UNAUTHORIZED),
    );
    assert!(!rejected.is_retryable());
    assert!(rejected.is_provider_rejection());
    assert_eq!(rejected.status(), Some(StatusCode::UNAUTHORIZED));

    let limited = exhausted(
        2,
        Duration::from_secs(1),
        Error::RateLimited {
            retry_after: Duration::from_secs(120),
            source: ProviderError::new(ErrorCode::from("slow_down"))
                .with_status(StatusCode::TOO_MANY_REQUESTS)
                .with_retry_after(auth_core::RetryAfter::Delay(Duration::from_secs(120)))
                .into(),
        },
    );
    assert!(limited.retry_after().is_some());
}
