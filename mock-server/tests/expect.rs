//! Wiremock-style expectations: each matcher, each count kind, `verify`
//! and `try_verify`, the check on drop and shutdown, scoped guards, and
//! counting that does not depend on the journal.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{F1_BASIC, basic, f1_token, post_form, request, token};
use mock_server::{
    DetectedAuth, MockServer, Times, any_request, introspection_request, metadata_request,
    resource_request, revocation_request, token_request,
};

const CC: &str = "grant_type=client_credentials";
const F1: &str = "s6BhdRkqt3";

/// The text of a panic payload (`panic!("{x}")` carries a `String`).
fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "<not a string>".to_owned())
}

/// `client_secret_post` as checklist fixture F7.
async fn post_only_token(server: &MockServer) -> common::Raw {
    token(
        server,
        &[],
        "grant_type=client_credentials&client_id=post-only&client_secret=s3cret-post",
    )
    .await
}

#[tokio::test]
async fn a_met_expectation_passes_verify_and_try_verify() {
    let server = MockServer::start().await.unwrap();
    let expectation = server
        .expect(token_request().client(F1).scope("read"))
        .times(1);
    assert!(!expectation.is_satisfied());
    assert_eq!(
        f1_token(&server, "grant_type=client_credentials&scope=read")
            .await
            .status,
        200
    );
    assert_eq!(expectation.match_count(), 1);
    assert!(expectation.is_satisfied());
    server.try_verify().unwrap();
    server.verify();
}

#[tokio::test]
async fn endpoint_matchers_count_only_requests_to_their_endpoint() {
    let server = MockServer::start().await.unwrap();
    let token = server.expect(token_request());
    let introspection = server.expect(introspection_request());
    let revocation = server.expect(revocation_request());
    let resource = server.expect(resource_request());
    let metadata = server.expect(metadata_request());
    let health = server.expect(any_request().path("/healthz"));
    let any = server.expect(any_request());
    f1_token(&server, CC).await;
    let basic = [("authorization", F1_BASIC)];
    post_form(&server, "/introspect", &basic, "token=x").await;
    post_form(&server, "/revoke", &basic, "token=x").await;
    request(&server, "GET", "/resource", &[], b"").await;
    request(
        &server,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        b"",
    )
    .await;
    request(&server, "GET", "/healthz", &[], b"").await;
    // Admin calls are not journaled and never count.
    request(&server, "GET", "/_mock/journal", &[], b"").await;
    for (name, expectation) in [
        ("token", &token),
        ("introspection", &introspection),
        ("revocation", &revocation),
        ("resource", &resource),
        ("metadata", &metadata),
        ("health", &health),
    ] {
        assert_eq!(expectation.match_count(), 1, "{name}");
    }
    assert_eq!(any.match_count(), 6);
    server.verify();
}

#[tokio::test]
async fn client_matcher_counts_only_that_client_even_when_refused() {
    let server = MockServer::start().await.unwrap();
    let f1 = server.expect(token_request().client(F1)).times(2);
    let post_only = server.expect(token_request().client("post-only")).times(1);
    f1_token(&server, CC).await;
    // A wrong secret: the claimed id is what is matched.
    let wrong = basic(F1, "wrong");
    assert_eq!(
        token(&server, &[("authorization", &wrong)], CC)
            .await
            .status,
        401
    );
    post_only_token(&server).await;
    assert_eq!((f1.match_count(), post_only.match_count()), (2, 1));
    server.verify();
}

#[tokio::test]
async fn auth_matcher_tells_basic_from_post() {
    let server = MockServer::start().await.unwrap();
    let basic = server
        .expect(token_request().auth(DetectedAuth::Basic))
        .times(1);
    let post = server
        .expect(token_request().auth(DetectedAuth::Post))
        .times(1);
    let none = server
        .expect(token_request().auth(DetectedAuth::None))
        .never();
    f1_token(&server, CC).await;
    post_only_token(&server).await;
    assert_eq!(
        (basic.match_count(), post.match_count(), none.match_count()),
        (1, 1, 0)
    );
    server.verify();
}

#[tokio::test]
async fn scope_matcher_wants_the_exact_set_in_any_order_and_includes_wants_a_subset() {
    let server = MockServer::start().await.unwrap();
    let exact = server.expect(token_request().scope("read write"));
    let read_only = server.expect(token_request().scope("read"));
    let includes = server.expect(token_request().scope_includes("write"));
    let absent = server.expect(token_request().without_scope());
    f1_token(&server, "grant_type=client_credentials&scope=write%20read").await;
    // No scope parameter: granted F1's default `read`, but did not ask for it.
    f1_token(&server, CC).await;
    assert_eq!(exact.match_count(), 1);
    assert_eq!(read_only.match_count(), 0);
    assert_eq!(includes.match_count(), 1);
    assert_eq!(absent.match_count(), 1);
    server.reset();
}

#[tokio::test]
async fn resource_matcher_checks_the_rfc_8707_parameter() {
    let server = MockServer::start().await.unwrap();
    let api = server.expect(token_request().resource("https://api.example.com/"));
    let both = server.expect(
        token_request()
            .resource("https://api.example.com/")
            .resource("https://api2.example.com/"),
    );
    f1_token(
        &server,
        "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com%2F",
    )
    .await;
    assert_eq!((api.match_count(), both.match_count()), (1, 0));
    f1_token(
        &server,
        "grant_type=client_credentials&resource=https%3A%2F%2Fapi2.example.com%2F\
         &resource=https%3A%2F%2Fapi.example.com%2F",
    )
    .await;
    assert_eq!((api.match_count(), both.match_count()), (2, 1));
    server.verify();
}

#[tokio::test]
async fn status_and_method_matchers_check_the_answer_and_the_verb() {
    let server = MockServer::start().await.unwrap();
    let refused = server.expect(token_request().status(401)).times(1);
    let answered = server.expect(token_request().status(200)).times(1);
    let get = server.expect(token_request().method("GET")).times(1);
    f1_token(&server, CC).await;
    let wrong = basic(F1, "wrong");
    token(&server, &[("authorization", &wrong)], CC).await;
    request(&server, "GET", "/token", &[], b"").await;
    assert_eq!(
        (
            refused.match_count(),
            answered.match_count(),
            get.match_count()
        ),
        (1, 1, 1)
    );
    server.verify();
}

#[test]
fn times_takes_a_number_or_any_range_like_wiremock() {
    let cases: [(Times, &str, &[u64], &[u64]); 8] = [
        (Times::from(2), "exactly 2", &[2], &[0, 1, 3]),
        (Times::from(1..=3), "between 1 and 3", &[1, 2, 3], &[0, 4]),
        (Times::from(1..3), "between 1 and 2", &[1, 2], &[0, 3]),
        (Times::from(2..), "at least 2", &[2, 9], &[0, 1]),
        (Times::from(..2), "at most 1", &[0, 1], &[2]),
        (Times::from(..=2), "at most 2", &[0, 2], &[3]),
        (Times::from(..), "any number", &[0, 7], &[]),
        (Times::from(0), "never", &[0], &[1]),
    ];
    for (times, shown, inside, outside) in cases {
        assert_eq!(times.to_string(), shown);
        for n in inside {
            assert!(times.contains(*n), "{shown} should hold {n}");
        }
        for n in outside {
            assert!(!times.contains(*n), "{shown} should not hold {n}");
        }
    }
    let empty = Times::from(3..3);
    assert!((0..10).all(|n| !empty.contains(n)));
    assert_eq!(empty.to_string(), "a number in an empty range");
}

#[tokio::test]
async fn each_count_kind_is_judged_on_verify() {
    let server = MockServer::start().await.unwrap();
    f1_token(&server, CC).await; // before: not counted by any
    let exactly = server.expect(token_request()).times(2);
    let range = server.expect(token_request()).times(1..=3);
    let at_least = server.expect(token_request()).at_least(3);
    let at_most = server.expect(token_request()).at_most(1);
    let never = server.expect(token_request()).never();
    let never_met = server.expect(revocation_request()).never();
    let default = server.expect(token_request());
    f1_token(&server, CC).await;
    f1_token(&server, CC).await;
    assert!(exactly.is_satisfied());
    assert!(range.is_satisfied());
    assert!(!at_least.is_satisfied());
    assert!(!at_most.is_satisfied());
    assert!(!never.is_satisfied());
    assert!(never_met.is_satisfied());
    assert!(default.is_satisfied());
    let error = server.try_verify().unwrap_err();
    let unmet: Vec<String> = error.unmet().iter().map(ToString::to_string).collect();
    assert_eq!(
        unmet,
        [
            "* /token: wanted at least 3, matched 2",
            "* /token: wanted at most 1, matched 2",
            "* /token: wanted never, matched 2",
        ]
    );
    server.reset();
}

#[tokio::test]
async fn verify_failure_lists_every_unmet_expectation_and_every_request_received() {
    let server = MockServer::start().await.unwrap();
    server
        .expect(token_request().client("svc").scope("read"))
        .times(1);
    server
        .expect(resource_request().status(401))
        .never()
        .named("no refusals");
    server.expect(token_request().client(F1)).times(1); // met: not listed
    f1_token(
        &server,
        "grant_type=client_credentials&scope=write+read&resource=https%3A%2F%2Fapi.example.com%2F",
    )
    .await;
    post_only_token(&server).await;
    request(&server, "GET", "/resource?scope=read", &[], b"").await;
    let error = server.try_verify().unwrap_err();
    insta::assert_snapshot!(error, @r#"
    2 expectations not met:
    - * /token client=svc scope="read": wanted exactly 1, matched 0
    - "no refusals": * /resource status=401: wanted never, matched 1
    requests received, oldest first:
      POST /token client=s6BhdRkqt3 auth=basic scope="write read" resource=https://api.example.com/ status=200
      POST /token client=post-only auth=post status=200
      GET /resource?scope=read status=401
    "#);
    assert_eq!(error.received().len(), 3);
    // `?` into the crate's one error.
    let wrapped = mock_server::Error::from(error);
    assert!(matches!(wrapped, mock_server::Error::Verify(_)));
    // The panicking twin says the same.
    let panicked = catch_unwind(AssertUnwindSafe(|| server.verify())).unwrap_err();
    assert_eq!(
        panic_text(&*panicked),
        server.try_verify().unwrap_err().to_string()
    );
    server.reset();
}

#[tokio::test]
async fn verify_failure_never_shows_a_secret() {
    let server = MockServer::start().await.unwrap();
    server.expect(token_request().client("nobody"));
    token(
        &server,
        &[],
        "grant_type=client_credentials&client_id=post-only&client_secret=s3cret-post",
    )
    .await;
    f1_token(&server, CC).await;
    let message = server.try_verify().unwrap_err().to_string();
    assert!(!message.contains("s3cret-post"), "{message}");
    assert!(!message.contains("gX1fBat3bV"), "{message}");
    assert!(
        !message.contains("czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
        "{message}"
    );
    server.reset();
}

#[tokio::test]
async fn dropping_the_server_panics_with_the_message_when_an_expectation_is_unmet() {
    let server = MockServer::start().await.unwrap();
    server.expect(token_request().client("svc")).times(1);
    f1_token(&server, CC).await;
    let joined = std::thread::spawn(move || drop(server)).join();
    let message = panic_text(&*joined.unwrap_err());
    assert!(
        message.starts_with(
            "1 expectation not met:\n- * /token client=svc: wanted exactly 1, matched 0\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("POST /token client=s6BhdRkqt3 auth=basic status=200"),
        "{message}"
    );
}

#[tokio::test]
async fn dropping_a_server_whose_expectations_are_met_does_not_panic() {
    let server = MockServer::start().await.unwrap();
    server.expect(token_request()).times(1);
    f1_token(&server, CC).await;
    std::thread::spawn(move || drop(server)).join().unwrap();
}

#[tokio::test]
async fn dropping_the_server_while_already_panicking_does_not_panic_again() {
    let server = MockServer::start().await.unwrap();
    server.expect(token_request()).times(1);
    // A second panic in drop would abort the whole test binary; the join
    // must see only the first.
    let joined = std::thread::spawn(move || {
        let _server = server;
        panic!("the test's own failure");
    })
    .join();
    assert_eq!(panic_text(&*joined.unwrap_err()), "the test's own failure");
}

#[tokio::test]
async fn shutdown_verifies_the_expectations() {
    let server = MockServer::start().await.unwrap();
    server.expect(token_request()).at_least(1);
    let joined = tokio::spawn(server.shutdown()).await;
    let message = panic_text(&*joined.unwrap_err().into_panic());
    assert_eq!(
        message,
        "1 expectation not met:\n- * /token: wanted at least 1, matched 0\nno requests received"
    );
}

#[tokio::test]
async fn requests_before_the_expectation_do_not_count() {
    let server = MockServer::start().await.unwrap();
    f1_token(&server, CC).await;
    f1_token(&server, CC).await;
    let expectation = server.expect(token_request()).times(1);
    f1_token(&server, CC).await;
    assert_eq!(expectation.match_count(), 1);
    server.verify();
}

#[tokio::test]
async fn requests_beyond_the_journal_capacity_still_count() {
    let server = MockServer::builder()
        .journal_capacity(2)
        .start()
        .await
        .unwrap();
    let all = server.expect(token_request()).times(5);
    let too_few = server.expect(token_request()).times(6);
    for _ in 0..5 {
        f1_token(&server, CC).await;
    }
    assert_eq!(server.journal().len(), 2);
    assert!(all.is_satisfied());
    let error = server.try_verify().unwrap_err();
    assert_eq!(error.unmet().len(), 1);
    assert_eq!(error.unmet()[0].match_count(), 5);
    assert_eq!(error.received().len(), 2);
    assert!(
        error.to_string().contains(
            "requests received, oldest first (the journal is full: earlier ones are gone):"
        ),
        "{error}"
    );
    drop(too_few);
    server.reset();
}

#[tokio::test]
async fn a_scoped_expectation_is_verified_when_its_guard_drops() {
    let server = MockServer::start().await.unwrap();
    {
        let guard = server.expect_scoped(token_request()).times(1);
        f1_token(&server, CC).await;
        assert_eq!(guard.expectation().match_count(), 1);
    }
    let guard = server.expect_scoped(revocation_request()).times(1);
    // The server's own verify leaves a scoped expectation out.
    server.verify();
    let joined = std::thread::spawn(move || drop(guard)).join();
    assert_eq!(
        panic_text(&*joined.unwrap_err()),
        "1 expectation not met:\n- * /revoke: wanted exactly 1, matched 0\n\
         requests received, oldest first:\n  POST /token client=s6BhdRkqt3 auth=basic status=200"
    );
    // Removed with its guard: no longer counted or verified.
    post_form(
        &server,
        "/revoke",
        &[("authorization", F1_BASIC)],
        "token=x",
    )
    .await;
    server.verify();
}

#[tokio::test]
async fn reset_drops_the_expectations_unverified_but_keeps_scoped_ones() {
    let server = MockServer::start().await.unwrap();
    let dropped = server.expect(token_request()).times(3);
    let guard = server.expect_scoped(token_request()).times(1);
    server.reset();
    f1_token(&server, CC).await;
    assert_eq!(dropped.match_count(), 0);
    assert_eq!(guard.expectation().match_count(), 1);
    server.verify();
    drop(guard);
}

#[tokio::test]
async fn verify_failure_lists_only_the_newest_requests_and_says_how_many_it_left_out() {
    let server = MockServer::start().await.unwrap();
    server.expect(revocation_request());
    let total = mock_server::MAX_LISTED_REQUESTS + 3;
    for i in 0..total {
        request(&server, "GET", &format!("/healthz?n={i}"), &[], b"").await;
    }
    let error = server.try_verify().unwrap_err();
    assert_eq!(error.received().len(), mock_server::MAX_LISTED_REQUESTS);
    assert_eq!(
        error.received().last().map(String::as_str),
        Some("GET /healthz?n=[REDACTED] (3 bytes) status=200")
    );
    assert!(
        error.to_string().contains(
            "\n  (3 earlier not listed)\n  GET /healthz?n=[REDACTED] (1 byte) status=200\n"
        ),
        "{error}"
    );
    server.reset();
}

#[tokio::test]
async fn concurrent_requests_are_each_counted_once() {
    let server = std::sync::Arc::new(
        MockServer::builder()
            .journal_capacity(4)
            .start()
            .await
            .unwrap(),
    );
    let expectation = server.expect(token_request().client(F1)).times(24);
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let server = std::sync::Arc::clone(&server);
            tokio::spawn(async move { f1_token(&server, CC).await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(expectation.match_count(), 24);
    server.verify();
}
