//! The web console's picture for the docs (`just screenshots`): a mock with
//! some traffic (a good token request, one refused, one with a failed
//! conformance finding), a queued fault and a moved clock, shown in
//! headless Chromium through the browser tests' harness, written as PNG.
//!
//! `cargo run -p mock-server --all-features --example console_screenshot -- docs/images/console.png`
//! (needs the Debian packages `chromium` and `chromium-driver`).

#[path = "../../tests/support/browser.rs"]
mod browser;

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use mock_server::{Endpoint, Fault, FaultRule, MockServer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use browser::Browser;

/// Checklist F1 (RFC 6749 §4.4.2), `client_secret_basic`.
const F1_BASIC: &str = "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW";
const FORM: &str = "application/x-www-form-urlencoded";

/// One HTTP/1.1 exchange (`Connection: close`); the status.
async fn send(
    server: &MockServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<String, Box<dyn Error + Send + Sync>> {
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        server.local_addr(),
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut stream = TcpStream::connect(server.local_addr()).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("docs/images/console.png"), PathBuf::from);
    let server = MockServer::start().await?;
    let browser = Browser::start().await;
    browser
        .client()
        .goto(&format!("{}/_mock/ui", server.url()))
        .await?;
    browser.wait_for_text("#status", "live").await;

    let token = [("content-type", FORM), ("authorization", F1_BASIC)];
    send(
        &server,
        "POST",
        "/token",
        &token,
        "grant_type=client_credentials&scope=read",
    )
    .await?;
    let body_auth = [("content-type", FORM)];
    send(
        &server,
        "POST",
        "/token",
        &body_auth,
        "grant_type=client_credentials&client_id=s6BhdRkqt3&client_secret=wrong",
    )
    .await?;
    send(
        &server,
        "GET",
        "/token?grant_type=client_credentials",
        &[("authorization", F1_BASIC)],
        "",
    )
    .await?;
    server.push_fault(
        FaultRule::new(Fault::Status(503))
            .for_endpoint(Endpoint::Token)
            .times(1),
    );
    server.advance_clock(Duration::from_secs(3600));
    browser.wait_for_text("#journal", "#3").await;
    browser.wait_for_text("#faults", "503").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let errors = browser.console_errors().await;
    if !errors.is_empty() {
        return Err(format!("the console logged errors: {errors:?}").into());
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    browser.screenshot(&out).await;
    println!("wrote {}", out.display());
    Ok(())
}
