//! The mock's web console (`/_mock/ui`) in headless Chromium, and the
//! browser harness the browser tests share (`support::browser`).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;
mod support;

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{F1_BASIC, f1_token, request};
use fantoccini::Locator;
use mock_server::{AdminToken, MockServer};
use support::browser::{Browser, PATIENCE, Programs};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const TOKEN: &str = "console-s3cret-token";
const F1_FORM: &str = "grant_type=client_credentials";

/// A mock that wants the admin token [`TOKEN`].
async fn with_admin_token() -> MockServer {
    MockServer::builder()
        .admin_token(AdminToken::new(TOKEN).unwrap())
        .start()
        .await
        .unwrap()
}

/// Opens the console and waits until its event stream is live.
async fn open_console(browser: &Browser, server: &MockServer) {
    browser
        .client()
        .goto(&format!("{}/_mock/ui", server.url()))
        .await
        .unwrap();
    browser.wait_for_text("#status", "live").await;
}

/// Replaces a field's text.
async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser.client().find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Adds a fault rule from the page; waits until its list shows `shown`.
async fn add_fault(browser: &Browser, rule: &str, shown: &str) {
    type_into(browser, "#fault-rule", rule).await;
    click(browser, "#add-fault").await;
    browser.wait_for_text("#faults", shown).await;
}

/// Clicks what `css` matches. The console re-renders its lists on every
/// event (a token request consumes a fault rule), so an element found
/// just before a re-render is stale by the click: it is found again.
async fn click(browser: &Browser, css: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let element = browser.client().find(Locator::Css(css)).await.unwrap();
        match element.click().await {
            Ok(()) => return,
            Err(error) if error.is_stale_element_reference() && Instant::now() < deadline => {}
            Err(error) => panic!("clicking {css:?}: {error}"),
        }
    }
}

#[tokio::test]
async fn the_console_shows_a_token_request_with_its_findings_and_logs_no_errors() {
    let server = MockServer::start().await.unwrap();
    let browser = Browser::start().await;
    open_console(&browser, &server).await;
    // RFC 6749 §3.2: a token request by GET (rule C-01) is refused.
    let target = format!("/token?{F1_FORM}");
    let refused = request(&server, "GET", &target, &[("authorization", F1_BASIC)], b"").await;
    assert_eq!(refused.status, 405, "{}", refused.text());
    let shown = browser.wait_for_text("#journal .entry", "C-01").await;
    for expected in [
        "GET",
        "/token",
        "405",
        "fail",
        "RFC 6749 §3.2",
        "MUST",
        // The rule's text, from the server's rule table.
        "token request uses POST",
        "auth basic",
    ] {
        assert!(shown.contains(expected), "{expected:?} not in {shown:?}");
    }
    // The request's details: the Basic credentials redacted with their length.
    click(&browser, "#journal .entry details.request summary").await;
    let details = browser
        .wait_for_text("#journal .entry details.request", "[REDACTED] (")
        .await;
    assert!(
        !details.contains("czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
        "{details}"
    );
    browser.assert_no_console_errors().await;
}

#[tokio::test]
async fn a_fault_added_from_the_page_fails_the_next_token_request_until_removed() {
    let server = MockServer::start().await.unwrap();
    let browser = Browser::start().await;
    open_console(&browser, &server).await;
    add_fault(
        &browser,
        r#"{"fault":{"status":503},"endpoint":"token","times":1}"#,
        r#"{"status":503}"#,
    )
    .await;
    let failed = f1_token(&server, F1_FORM).await;
    assert_eq!(failed.status, 503, "{}", failed.text());
    assert_eq!(f1_token(&server, F1_FORM).await.status, 200, "once only");

    add_fault(
        &browser,
        r#"{"fault":"invalid_client","endpoint":"token","times":null}"#,
        "invalid_client",
    )
    .await;
    assert_eq!(f1_token(&server, F1_FORM).await.status, 401);
    add_fault(
        &browser,
        r#"{"fault":{"status":502},"endpoint":"token","times":null}"#,
        r#"{"status":502}"#,
    )
    .await;
    assert_eq!(
        f1_token(&server, F1_FORM).await.status,
        401,
        "the older rule matches first"
    );
    // The older rule's own button removes it alone.
    let older = server.faults()[0].id().unwrap();
    click(&browser, &format!(r#"#faults button[data-id="{older}"]"#)).await;
    wait_until_gone(&browser, "#faults", "invalid_client").await;
    assert_eq!(server.faults().len(), 1);
    assert_eq!(
        f1_token(&server, F1_FORM).await.status,
        502,
        "the other rule stays"
    );
    click(&browser, "#clear-faults").await;
    browser.wait_for_text("#faults", "none queued").await;
    assert_eq!(f1_token(&server, F1_FORM).await.status, 200);
    browser.assert_no_console_errors().await;
}

/// Waits (at most [`PATIENCE`]) until the element `css` matches no longer
/// shows `text`.
async fn wait_until_gone(browser: &Browser, css: &str, text: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let element = browser.client().find(Locator::Css(css)).await.unwrap();
        // Stale when the list was re-rendered between the find and the read.
        let seen = match element.text().await {
            Ok(seen) => seen,
            Err(error) if error.is_stale_element_reference() => String::from(text),
            Err(error) => panic!("reading {css:?}: {error}"),
        };
        if !seen.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css:?} still showed {text:?} after {PATIENCE:?}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn with_an_admin_token_the_console_asks_for_it_and_works_once_it_is_presented() {
    let server = with_admin_token().await;
    let browser = Browser::start().await;
    browser
        .client()
        .goto(&format!("{}/_mock/ui", server.url()))
        .await
        .unwrap();
    browser.wait_for_text("#sign-in", "admin token").await;
    type_into(&browser, "#token", "not-the-token").await;
    click(&browser, "#sign-in-submit").await;
    browser
        .wait_for_text("#sign-in-failed", "not this server's admin token")
        .await;

    type_into(&browser, "#token", TOKEN).await;
    click(&browser, "#sign-in-submit").await;
    browser.wait_for_text("#status", "live").await;
    let url = browser.client().current_url().await.unwrap();
    assert!(!url.as_str().contains(TOKEN), "{url}");
    assert_eq!(url.path(), "/_mock/ui");

    f1_token(&server, F1_FORM).await;
    browser.wait_for_text("#journal .entry", "/token").await;
    // A write signed in by the cookie (the page sends Origin).
    add_fault(
        &browser,
        r#"{"fault":{"status":502},"endpoint":"token","times":1}"#,
        r#"{"status":502}"#,
    )
    .await;
    assert_eq!(f1_token(&server, F1_FORM).await.status, 502);
    browser.assert_no_console_errors().await;
    // The token is in no journal entry.
    let journal = format!("{:?}", server.journal());
    assert!(!journal.contains(TOKEN));
}

#[test]
fn missing_browser_programs_fail_naming_the_debian_packages() {
    let missing = Programs::find(Some(&OsString::from("/nonexistent")), None, None).unwrap_err();
    assert_eq!(missing.0, ["chromedriver", "chromium"]);
    let message = missing.to_string();
    assert!(
        message.contains("`chromium`") && message.contains("`chromium-driver`"),
        "{message}"
    );
    let driver_only = Programs::find(
        Some(&OsString::from("/nonexistent")),
        None,
        Some(OsString::from("/bin/sh")),
    )
    .unwrap_err();
    assert_eq!(driver_only.0, ["chromedriver"]);
}

/// Processes whose command line names `needle`.
fn processes_naming(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&needle))
        .collect()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_dropped_browser_leaves_no_chromium_process_behind() {
    let browser = Browser::start().await;
    browser.client().goto("about:blank").await.unwrap();
    let profile = browser.profile().to_owned();
    assert!(
        !processes_naming(&profile).is_empty(),
        "chromium runs with its own profile"
    );
    drop(browser);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_naming(&profile);
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still running: {left:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!profile.exists(), "the profile is removed");
}

#[tokio::test]
async fn the_console_page_is_served_under_a_strict_content_security_policy() {
    let server = MockServer::start().await.unwrap();
    let page = request(&server, "GET", "/_mock/ui", &[], b"").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // Every script is an asset of its own.
    let html = page.text();
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count()
    );
    let script = request(&server, "GET", "/_mock/ui/console.js", &[], b"").await;
    assert_eq!(script.status, 200);
    assert!(
        !script.text().contains("innerHTML"),
        "entries are written as text"
    );
    // The page follows the admin API's Host rule (DNS rebinding).
    let rebound = request(
        &server,
        "GET",
        "/_mock/ui",
        &[("host", "evil.example")],
        b"",
    )
    .await;
    assert_eq!(rebound.status, 403);
}

/// The `Set-Cookie` of a sign-in with `token`.
async fn sign_in(server: &MockServer, token: &str, origin: Option<&str>) -> common::Raw {
    let body = format!("token={token}");
    let mut headers = vec![("content-type", common::FORM)];
    if let Some(origin) = origin {
        headers.push(("origin", origin));
    }
    request(
        server,
        "POST",
        "/_mock/ui/sign-in",
        &headers,
        body.as_bytes(),
    )
    .await
}

#[tokio::test]
async fn a_console_sign_in_sets_a_strict_session_cookie_that_writes_only_with_this_origin() {
    let server = with_admin_token().await;
    let origin = server.url();
    let wrong = sign_in(&server, "wrong", Some(&origin)).await;
    assert_eq!(wrong.status, 303);
    assert_eq!(wrong.header("location"), Some("/_mock/ui#sign-in-failed"));
    assert_eq!(wrong.header("set-cookie"), None);
    let elsewhere = sign_in(&server, TOKEN, Some("http://evil.example")).await;
    assert_eq!(elsewhere.header("set-cookie"), None, "login CSRF");

    let signed_in = sign_in(&server, TOKEN, Some(&origin)).await;
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/_mock/ui"));
    let set_cookie = signed_in.header("set-cookie").unwrap().to_owned();
    for attribute in ["; HttpOnly", "; SameSite=Strict", "; Path=/_mock"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains(TOKEN), "the cookie is not the token");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let read = request(&server, "GET", "/_mock/faults", &[("cookie", &cookie)], b"").await;
    assert_eq!(read.status, 200, "{}", read.text());
    let forged = format!("{cookie}x");
    let refused = request(&server, "GET", "/_mock/faults", &[("cookie", &forged)], b"").await;
    assert_eq!(refused.status, 401);

    let rule = br#"{"fault":{"status":503}}"#;
    let write = |origin: Option<&'static str>| {
        let cookie = cookie.clone();
        let server = &server;
        async move {
            let mut headers = vec![
                ("cookie", cookie.as_str()),
                ("content-type", "application/json"),
            ];
            if let Some(origin) = origin {
                headers.push(("origin", origin));
            }
            request(server, "POST", "/_mock/faults", &headers, rule)
                .await
                .status
        }
    };
    assert_eq!(write(None).await, 403, "a cookie write needs an Origin");
    assert_eq!(write(Some("http://evil.example")).await, 403);
    let own: &'static str = Box::leak(origin.clone().into_boxed_str());
    assert_eq!(write(Some(own)).await, 201);
    // A write with a text/plain body (a CORS simple request) still fails.
    let simple = request(
        &server,
        "POST",
        "/_mock/faults",
        &[
            ("cookie", &cookie),
            ("origin", own),
            ("content-type", "text/plain"),
        ],
        rule,
    )
    .await;
    assert_eq!(simple.status, 415);
}

/// Reads from an event stream until `done` holds for what arrived (bounded).
async fn read_until(stream: &mut TcpStream, seen: &mut String, done: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    let mut buffer = vec![0u8; 65536];
    while !done(seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("not there within {PATIENCE:?}: {seen}"))
            .unwrap();
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
}

/// Opens the event stream; returns it with what arrived up to its first
/// `resync`.
async fn open_stream(server: &MockServer) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let head = format!(
        "GET /_mock/ui/events HTTP/1.1\r\nhost: {}\r\n\r\n",
        server.local_addr()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, |s| s.contains("event: resync\n")).await;
    (stream, seen)
}

/// The data line of the first `entries` message, once complete.
fn entries_data(seen: &str) -> Option<&str> {
    let rest = seen.split("event: entries\ndata: ").nth(1)?;
    rest.find('\n').map(|end| &rest[..end])
}

#[tokio::test]
async fn the_event_stream_sends_a_resync_then_new_entries() {
    let server = MockServer::start().await.unwrap();
    let (mut stream, mut seen) = open_stream(&server).await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(
        seen.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{seen}"
    );
    f1_token(&server, F1_FORM).await;
    read_until(&mut stream, &mut seen, |s| entries_data(s).is_some()).await;
    let data = entries_data(&seen).unwrap();
    let entries: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(entries[0]["path"], "/token");
    assert_eq!(entries[0]["seq"], 1);
    // A reset tells the reader to read the journal again.
    server.reset();
    seen.clear();
    read_until(&mut stream, &mut seen, |s| s.contains("event: resync\n")).await;
}

#[tokio::test]
async fn the_event_stream_needs_the_admin_token_when_one_is_set() {
    let server = with_admin_token().await;
    let refused = request(&server, "GET", "/_mock/ui/events", &[], b"").await;
    assert_eq!(refused.status, 401);
    let rules = request(&server, "GET", "/_mock/ui/rules.json", &[], b"").await;
    assert_eq!(rules.status, 401);
    let session = request(&server, "GET", "/_mock/ui/session", &[], b"").await;
    assert_eq!(session.status, 200);
    assert_eq!(session.json()["admitted"], false);
    assert_eq!(session.json()["token_required"], true);
}

#[tokio::test]
async fn an_issued_jwt_is_journaled_decoded_without_its_signature() {
    let server = MockServer::start().await.unwrap();
    let issued = f1_token(&server, "grant_type=client_credentials&scope=read").await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let token = issued.json()["access_token"].as_str().unwrap().to_owned();
    let signature = token.rsplit('.').next().unwrap();
    let entry = serde_json::to_value(server.journal().pop().unwrap()).unwrap();
    let decoded = &entry["issued_token"];
    assert_eq!(decoded["header"]["typ"], "at+jwt", "{entry}");
    assert_eq!(decoded["claims"]["client_id"], "s6BhdRkqt3", "{entry}");
    assert_eq!(decoded["claims"]["scope"], "read", "{entry}");
    let text = entry.to_string();
    assert!(
        !text.contains(signature) && !text.contains(&token),
        "{text}"
    );
}

#[tokio::test]
async fn an_open_event_stream_does_not_hold_up_shutdown() {
    let server = MockServer::start().await.unwrap();
    // Held open (not read) while the server shuts down.
    let (_stream, _seen) = open_stream(&server).await;
    // Well under the 5 s a shutdown grants requests in flight: the stream
    // ends when the server stops, it is not waited for.
    tokio::time::timeout(Duration::from_secs(3), server.shutdown())
        .await
        .expect("shutdown ends the stream instead of waiting for it");
}
