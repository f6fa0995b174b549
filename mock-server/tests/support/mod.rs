//! Clients under test for the conformance runner's own tests, behind the
//! client contract ([`ClientEnv`]): a deliberately broken one, written on
//! raw HTTP/1.1, and this project's own auth-http client.
#![allow(dead_code, reason = "each test uses a different subset")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

pub(crate) mod browser;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{Client, ClientAuthMethod, ClientCredentials, ScopeSet, TokenUrl};
use auth_http::{HyperTransport, RetryPolicy, TokenManager, Transport as _};
use base64::Engine as _;
use mock_server::conformance::runner::{ClientEnv, ClientUnderTest};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One answer: status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`).
async fn exchange(
    url: &str,
    method: &str,
    headers: &[(&str, String)],
    body: &str,
) -> std::io::Result<Answer> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("not http"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).await?;
    let mut request = format!(
        "{method} {} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\ncontent-length: {}\r\n",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok(Answer { status, body })
}

/// The value of `"access_token"` in a JSON body, if any.
fn access_token(body: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    json.get("access_token")?.as_str().map(str::to_owned)
}

/// How the broken client misbehaves when something fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// Retries every failure forever, 20 ms apart.
    Forever,
    /// Gives up at the first failure (deterministic, for snapshots).
    Once,
}

/// A deliberately broken client: Basic over the raw, unencoded
/// `id:secret` (RFC 7617 style, not RFC 6749 §2.3.1), ignores expiry (one
/// token for the whole run), and retries failures as `persistence` says.
pub(crate) async fn broken_client(env: ClientEnv, persistence: Persistence) -> i32 {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", env.client_id, env.client_secret));
    let mut form = String::from("grant_type=client_credentials");
    if !env.scopes.is_empty() {
        form.push_str("&scope=");
        form.push_str(&env.scopes.replace(' ', "+").replace(':', "%3A"));
    }
    let token = loop {
        let answer = exchange(
            &env.token_url,
            "POST",
            &[
                ("authorization", format!("Basic {basic}")),
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
            ],
            &form,
        )
        .await;
        if let Ok(answer) = &answer
            && answer.status == 200
            && let Some(token) = access_token(&answer.body)
        {
            break token;
        }
        if persistence == Persistence::Once {
            return 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for call in 0..env.calls {
        if call > 0 {
            tokio::time::sleep(env.call_interval).await;
        }
        loop {
            let answer = exchange(
                &env.resource_url,
                "GET",
                &[("authorization", format!("Bearer {token}"))],
                "",
            )
            .await;
            if answer.is_ok_and(|a| a.status == 200) {
                break;
            }
            if persistence == Persistence::Once {
                return 1;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    0
}

/// The broken client as a [`ClientUnderTest`].
pub(crate) fn broken(persistence: Persistence) -> ClientUnderTest {
    ClientUnderTest::InProcess(Arc::new(move |env| {
        Box::pin(broken_client(env, persistence))
    }))
}

/// This project's client: auth-http's `TokenManager` (cache, refresh
/// ahead, bounded retries) and `HyperTransport` (timeouts, body cap, no
/// redirects); on a resource `401 invalid_token` it drops the rejected
/// token and retries the call once (RFC 6750 §3.1).
pub(crate) async fn auth_http_client(env: ClientEnv) -> i32 {
    match auth_http_run(env).await {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn auth_http_run(env: ClientEnv) -> Result<(), BoxError> {
    use auth_http::AssertionSigner as _;
    let method = env
        .auth_method
        .parse::<ClientAuthMethod>()
        .unwrap_or(ClientAuthMethod::ClientSecretBasic);
    let scopes = ScopeSet::parse_lenient(&env.scopes)?;
    // private_key_jwt: the key file and kid of the contract.
    let signer = match (&env.private_key_file, method) {
        (Some(file), ClientAuthMethod::PrivateKeyJwt) => {
            let signer = auth_http::PrivateKeySigner::from_file(file)?;
            Some(match &env.key_id {
                Some(kid) => signer.with_kid(kid.as_str()),
                None => signer,
            })
        }
        _ => None,
    };
    let credentials = match &signer {
        Some(signer) => {
            ClientCredentials::private_key_jwt(env.client_id.as_str(), signer.key().clone())
        }
        None => ClientCredentials::new(env.client_id.as_str(), env.client_secret.as_str())
            .with_auth_method(method),
    }
    .with_scopes(scopes.iter().cloned());
    let client = Client::new(TokenUrl::parse(&env.token_url)?, credentials);
    let transport = HyperTransport::builder().timeout(env.timeout).build()?;
    let mut builder = TokenManager::builder(client, transport.clone())
        .retry(RetryPolicy::default().with_deadline(env.timeout * 3));
    if let Some(signer) = signer {
        builder = builder.signer(signer);
    }
    let manager = builder.build();
    for call in 0..env.calls {
        if call > 0 {
            tokio::time::sleep(env.call_interval).await;
        }
        let mut retried = false;
        loop {
            let mut request = http::Request::get(&env.resource_url).body(Vec::new())?;
            let token = manager.authorize(&mut request).await?;
            let response = transport.send(request).await?;
            let invalid_token = response.status() == 401
                && response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("invalid_token"));
            if invalid_token && !retried {
                manager.invalidate_token(&token);
                retried = true;
                continue;
            }
            if !response.status().is_success() {
                return Err(format!("resource answered {}", response.status()).into());
            }
            break;
        }
    }
    Ok(())
}

/// The auth-http client as a [`ClientUnderTest`].
pub(crate) fn ours() -> ClientUnderTest {
    ClientUnderTest::InProcess(Arc::new(|env| Box::pin(auth_http_client(env))))
}

/// `text` with every `127.0.0.1:<port>` as `127.0.0.1:PORT`: each
/// scenario's provider listens on a port of its own.
pub(crate) fn without_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (before, after) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(if digits > 0 { "PORT" } else { "" });
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}
