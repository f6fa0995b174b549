//! JWT mode: the token endpoint's rate on one worker against the bare
//! signing rate of the same key, in the same run, for RS256, ES256 and
//! `EdDSA` (issue 11 item 6), and the opaque format beside them.
//!
//! `cargo bench -p mock-server --features cli --bench jwt` (env:
//! `MOCK_BENCH_SECS`, default 10 per algorithm; `MOCK_BENCH_CONNS`, default
//! 256; `MOCK_BENCH_ALGS`, say `ES256,EdDSA`, measures only those and skips
//! the opaque format: for a profile). The mock runs as its own process with one worker
//! (`MOCK_SERVER_WORKERS=1`), the embedded configuration and the embedded
//! development key of the algorithm; the load generator is this process
//! (hyper clients, keep-alive, one request in flight per connection, valid
//! F1 token requests). The baseline signs a typical access token's JWS
//! signing input with the same PKCS#8 key and `ring`, as fast as one
//! thread can, with nothing else running.
//!
//! The ceiling is what any server could do on this harness: this bench
//! binary run again as its own process (`--ceiling ALG`), bare hyper
//! HTTP/1 on a one-worker tokio runtime, whose handler reads the request,
//! signs a JWT of the same shape (header, the same claims with a fresh
//! `iat`, `exp` and `jti`) with the same key via `ring`, and returns it in
//! a token response. It checks no credentials and parses no form: an upper
//! bound for the mock, which does both. Same connections, same requests.
//! A last column times the mock's minting path alone
//! (`MockServer::try_mint_token` on one thread, no HTTP), so minting minus
//! signing is what a JWT adds beyond its signature. Rounds alternate (mock,
//! ceiling, signing alone, minting alone); medians are reported.

mod support;

use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use support::{BoxError, Connection, Server, env_or, load, mock_command};

/// One algorithm: its config name, the embedded development key and its
/// `kid`.
#[derive(Clone, Copy)]
struct Alg {
    name: &'static str,
    pem: &'static str,
    kid: &'static str,
}

const ALGS: [Alg; 3] = [
    Alg {
        name: "RS256",
        pem: include_str!("../keys/mock-dev-rs256.pem"),
        kid: "mock-dev-rs256",
    },
    Alg {
        name: "ES256",
        pem: include_str!("../keys/mock-dev-es256.pem"),
        kid: "mock-dev-es256",
    },
    Alg {
        name: "EdDSA",
        pem: include_str!("../keys/mock-dev-eddsa.pem"),
        kid: "mock-dev-eddsa",
    },
];

/// The RS256 target is 90 % of signing alone; ES256 and `EdDSA` 60 %.
fn target(alg: &str) -> f64 {
    if alg == "RS256" { 0.90 } else { 0.60 }
}

/// A typical access token's signing input: what the endpoint signs.
const SIGNING_INPUT: &str = concat!(
    "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Im1vY2stZGV2LXJzMjU2In0.",
    "eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAiLCJzdWIiOiJzNkJoZFJrcXQzIiwiYXVkIjoi",
    "aHR0cDovLzEyNy4wLjAuMTo4MDgwL3Jlc291cmNlIiwiZXhwIjoxNzAwMDAzNjAwLCJpYXQiOjE3",
    "MDAwMDAwMDAsImp0aSI6IlgxYjJjM2Q0ZTVmNmc3aDhpOWowazEiLCJjbGllbnRfaWQiOiJzNkJo",
    "ZFJrcXQzIiwic2NvcGUiOiJyZWFkIn0"
);

enum Signer {
    Rsa(RsaKeyPair),
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    fn from_pem(alg: Alg) -> Result<Self, BoxError> {
        let body: String = alg
            .pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let der = STANDARD.decode(body)?;
        let rng = SystemRandom::new();
        Ok(match alg.name {
            "RS256" => Self::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(|e| e.to_string())?),
            "ES256" => Self::Es256(
                EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
                    .map_err(|e| e.to_string())?,
            ),
            _ => Self::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|e| e.to_string())?,
            ),
        })
    }

    /// One signature, base64url-encoded as a token carries it.
    fn sign(&self, rng: &SystemRandom, message: &[u8]) -> String {
        match self {
            Self::Rsa(pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                let _ = pair.sign(&signature::RSA_PKCS1_SHA256, rng, message, &mut out);
                URL_SAFE_NO_PAD.encode(out)
            }
            Self::Es256(pair) => pair
                .sign(rng, message)
                .map(|s| URL_SAFE_NO_PAD.encode(s))
                .unwrap_or_default(),
            Self::Ed25519(pair) => URL_SAFE_NO_PAD.encode(pair.sign(message)),
        }
    }
}

/// Calls of `make` per second on one thread for `secs`; `make` returns a
/// token (or signature), kept from the optimizer.
fn rate(secs: u64, mut make: impl FnMut() -> Result<String, BoxError>) -> Result<f64, BoxError> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut count = 0u64;
    let mut length = 0usize;
    while Instant::now() < deadline {
        for _ in 0..16 {
            length += std::hint::black_box(make()?).len();
            count += 1;
        }
    }
    std::hint::black_box(length);
    #[allow(clippy::cast_precision_loss, reason = "a rate")]
    let rate = count as f64 / started.elapsed().as_secs_f64();
    Ok(rate)
}

/// Signatures per second on one thread for `secs`.
fn sign_rate(signer: &Signer, secs: u64) -> Result<f64, BoxError> {
    let rng = SystemRandom::new();
    rate(secs, || Ok(signer.sign(&rng, SIGNING_INPUT.as_bytes())))
}

/// Tokens per second that the mock's own minting path makes on one thread
/// for `secs` (`MockServer::try_mint_token`: claims, JSON, base64url and
/// the signature, no HTTP): minus signing alone, what minting adds.
fn mint_rate(server: &mock_server::MockServer, secs: u64) -> Result<f64, BoxError> {
    let scope: auth_core::ScopeSet = "read".parse()?;
    rate(secs, || Ok(server.try_mint_token("s6BhdRkqt3", &scope)?))
}

/// The mock on one worker issuing opaque tokens, or JWTs signed with `alg`.
async fn start(alg: Option<&str>) -> Result<Server, BoxError> {
    let mut command = match alg {
        // The benches' own command pins the opaque format.
        None => mock_command(),
        Some(alg) => {
            let mut command = Command::new(env!("CARGO_BIN_EXE_mock-server"));
            command.args([
                "--addr",
                "127.0.0.1:0",
                "--token-format",
                "jwt",
                "--signing-alg",
                alg,
            ]);
            command
        }
    };
    command.env("MOCK_SERVER_WORKERS", "1");
    let server = Server::spawn(command).await?;
    let (status, body) = Connection::open(server.addr).await?.token().await?;
    if status != 200 {
        return Err(format!("{alg:?}: first token request got {status}").into());
    }
    let token = serde_json::from_slice::<serde_json::Value>(&body)?["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if alg.is_some() != (token.split('.').count() == 3) {
        return Err(format!("{alg:?}: the token is not in the format asked for").into());
    }
    Ok(server)
}

/// The ceiling server (`--ceiling ALG`): bare hyper on one worker, one
/// JWT of the mock's shape signed per request. Prints its address as the
/// mock does, then serves until killed.
fn serve_ceiling(name: &str) -> Result<(), BoxError> {
    let alg = ALGS
        .into_iter()
        .find(|a| a.name == name)
        .ok_or("--ceiling RS256|ES256|EdDSA")?;
    let signer = Arc::new(Signer::from_pem(alg)?);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let minter = Arc::new(Minter::new(alg, &format!("http://{addr}")));
            println!("ceiling ({}) on http://{addr}/", alg.name);
            std::io::stdout().flush()?;
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                let (signer, minter) = (Arc::clone(&signer), Arc::clone(&minter));
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                        let (signer, minter) = (Arc::clone(&signer), Arc::clone(&minter));
                        async move {
                            // Read the whole request, as any server does.
                            let _ = request.into_body().collect().await;
                            let token = minter.mint(&signer);
                            let body = format!(
                                r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600,"scope":"read"}}"#
                            );
                            let response = http::Response::builder()
                                .header("content-type", "application/json")
                                .header("cache-control", "no-store")
                                .body(Full::new(Bytes::from(body)))
                                .unwrap_or_default();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
}

/// What the ceiling's handler puts in a token: the mock's header and
/// claims (RFC 9068 §2), with the client and audience of an F1 request.
struct Minter {
    header: String,
    issuer: String,
    rng: SystemRandom,
}

impl Minter {
    fn new(alg: Alg, issuer: &str) -> Self {
        let header = format!(
            r#"{{"alg":"{}","typ":"at+jwt","kid":"{}"}}"#,
            alg.name, alg.kid
        );
        Self {
            header: URL_SAFE_NO_PAD.encode(header),
            issuer: issuer.to_owned(),
            rng: SystemRandom::new(),
        }
    }

    fn mint(&self, signer: &Signer) -> String {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let jti: [u8; 16] = rand::random();
        let jti = jti.iter().fold(String::with_capacity(32), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        let claims = format!(
            r#"{{"iss":"{iss}","sub":"s6BhdRkqt3","aud":"{iss}/resource","exp":{exp},"iat":{iat},"jti":"{jti}","client_id":"s6BhdRkqt3","scope":"read"}}"#,
            iss = self.issuer,
            exp = iat + 3600,
        );
        let mut token = String::with_capacity(512);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(claims, &mut token);
        let signature = signer.sign(&self.rng, token.as_bytes());
        token.push('.');
        token.push_str(&signature);
        token
    }
}

/// The ceiling server for `alg`, as a child process.
async fn start_ceiling(alg: Alg) -> Result<Server, BoxError> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--ceiling", alg.name]);
    let server = Server::spawn(command).await?;
    let (status, body) = Connection::open(server.addr).await?.token().await?;
    let token = serde_json::from_slice::<serde_json::Value>(&body)?["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if status != 200 || token.split('.').count() != 3 {
        return Err(format!("{}: the ceiling server answered {status}", alg.name).into());
    }
    Ok(server)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--ceiling") {
        return serve_ceiling(args.get(at + 1).map_or("", String::as_str));
    }
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !args.iter().any(|a| a == "--bench") {
        return Ok(());
    }
    let secs = env_or("MOCK_BENCH_SECS", 10);
    // Enough requests in flight that the one worker never waits for one:
    // its rate, not the loopback round trip, is measured.
    let conns = env_or("MOCK_BENCH_CONNS", 256);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(secs, conns))
}

async fn run(secs: u64, conns: u64) -> Result<(), BoxError> {
    let rounds = secs.clamp(1, 10);
    let round_secs = (secs / rounds).max(1);
    println!(
        "mock on 1 worker, {conns} connections, {rounds} alternating rounds of {round_secs} s (mock endpoint, ceiling endpoint, signing alone and minting alone on 1 thread)"
    );
    let only = std::env::var("MOCK_BENCH_ALGS").ok();
    if only.is_none() {
        let opaque = start(None).await?;
        let mut opaque_rates = Vec::new();
        for _ in 0..rounds {
            opaque_rates.push(load(opaque.addr, round_secs, conns).await?.per_sec);
        }
        drop(opaque);
        let opaque_rate = median(opaque_rates);
        println!(
            "{:<7} endpoint {opaque_rate:>9.0} tokens/s ({:.1} µs/token)",
            "opaque",
            1e6 / opaque_rate
        );
    }
    println!(
        "| alg | mock endpoint (1 worker) | ceiling: bare hyper + sign (1 worker) | signing alone (1 thread) | mock / signing | target | met | mock / ceiling | µs per token: mock, ceiling, signing, minting alone | mock RSS after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let measured = ALGS.into_iter().filter(|alg| {
        only.as_ref()
            .is_none_or(|o| o.split(',').any(|a| a == alg.name))
    });
    for alg in measured {
        let signer = Signer::from_pem(alg)?;
        let server = start(Some(alg.name)).await?;
        let ceiling = start_ceiling(alg).await?;
        let minter = mock_server::MockServer::builder()
            .token_format(mock_server::TokenFormat::Jwt)
            .signing_alg(alg.name.parse()?)
            .start()
            .await?;
        let (mut endpoint, mut bare, mut signing, mut minting) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            endpoint.push(load(server.addr, round_secs, conns).await?.per_sec);
            bare.push(load(ceiling.addr, round_secs, conns).await?.per_sec);
            signing.push(tokio::task::block_in_place(|| {
                sign_rate(&signer, round_secs)
            })?);
            minting.push(tokio::task::block_in_place(|| {
                mint_rate(&minter, round_secs)
            })?);
        }
        let rss = server
            .rss_kib()
            .map_or_else(|| "?".to_owned(), |k| format!("{k} KiB"));
        drop(server);
        drop(ceiling);
        let (endpoint, bare, signing, minting) = (
            median(endpoint),
            median(bare),
            median(signing),
            median(minting),
        );
        let ratio = endpoint / signing;
        println!(
            "| {} | {endpoint:.0} tokens/s | {bare:.0} tokens/s | {signing:.0} signatures/s | {:.0} % | ≥ {:.0} % | {} | {:.0} % | {:.1}, {:.1}, {:.1}, {:.1} | {rss} |",
            alg.name,
            100.0 * ratio,
            100.0 * target(alg.name),
            if ratio >= target(alg.name) {
                "yes"
            } else {
                "**no**"
            },
            100.0 * endpoint / bare,
            1e6 / endpoint,
            1e6 / bare,
            1e6 / signing,
            1e6 / minting,
        );
    }
    Ok(())
}
