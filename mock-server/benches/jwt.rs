//! JWT mode: the token endpoint's rate on one worker against the bare
//! signing rate of the same key, in the same run, for RS256, ES256 and
//! `EdDSA` (issue 11 item 6), and the opaque format beside them.
//!
//! `cargo bench -p mock-server --features cli --bench jwt` (env:
//! `MOCK_BENCH_SECS`, default 10 per algorithm; `MOCK_BENCH_CONNS`, default
//! 256). The mock runs as its own process with one worker
//! (`MOCK_SERVER_WORKERS=1`), the embedded configuration and the embedded
//! development key of the algorithm; the load generator is this process
//! (hyper clients, keep-alive, one request in flight per connection, valid
//! F1 token requests). The baseline signs a typical access token's JWS
//! signing input with the same PKCS#8 key and `ring`, as fast as one
//! thread can, with nothing else running. Rounds alternate, medians are
//! reported.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use support::{BoxError, Connection, Server, env_or, load, mock_command};

/// One algorithm: its config name and the embedded development key.
#[derive(Clone, Copy)]
struct Alg {
    name: &'static str,
    pem: &'static str,
}

const ALGS: [Alg; 3] = [
    Alg {
        name: "RS256",
        pem: include_str!("../keys/mock-dev-rs256.pem"),
    },
    Alg {
        name: "ES256",
        pem: include_str!("../keys/mock-dev-es256.pem"),
    },
    Alg {
        name: "EdDSA",
        pem: include_str!("../keys/mock-dev-eddsa.pem"),
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

/// Signatures per second on one thread for `secs`.
fn sign_rate(signer: &Signer, secs: u64) -> f64 {
    let rng = SystemRandom::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut count = 0u64;
    let mut length = 0usize;
    while Instant::now() < deadline {
        for _ in 0..16 {
            length += std::hint::black_box(signer.sign(&rng, SIGNING_INPUT.as_bytes())).len();
            count += 1;
        }
    }
    std::hint::black_box(length);
    #[allow(clippy::cast_precision_loss, reason = "a rate")]
    let rate = count as f64 / started.elapsed().as_secs_f64();
    rate
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn main() -> Result<(), BoxError> {
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
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
        "mock on 1 worker, {conns} connections, {rounds} alternating rounds of {round_secs} s (endpoint, then signing alone on 1 thread)"
    );
    let opaque = start(None).await?;
    let mut opaque_rates = Vec::new();
    for _ in 0..rounds {
        opaque_rates.push(load(opaque.addr, round_secs, conns).await?.per_sec);
    }
    drop(opaque);
    let opaque_rate = median(opaque_rates);
    println!("{:<7} endpoint {opaque_rate:>9.0} tokens/s", "opaque");
    println!(
        "| alg | token endpoint (1 worker) | signing alone (1 thread) | ratio | target | met | mock RSS after |"
    );
    println!("|---|---|---|---|---|---|---|");
    for alg in ALGS {
        let signer = Signer::from_pem(alg)?;
        let server = start(Some(alg.name)).await?;
        let (mut endpoint, mut signing) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            endpoint.push(load(server.addr, round_secs, conns).await?.per_sec);
            signing.push(tokio::task::block_in_place(|| {
                sign_rate(&signer, round_secs)
            }));
        }
        let rss = server
            .rss_kib()
            .map_or_else(|| "?".to_owned(), |k| format!("{k} KiB"));
        drop(server);
        let (endpoint, signing) = (median(endpoint), median(signing));
        let ratio = endpoint / signing;
        println!(
            "| {} | {endpoint:.0} tokens/s | {signing:.0} signatures/s | {:.0} % | ≥ {:.0} % | {} | {rss} |",
            alg.name,
            100.0 * ratio,
            100.0 * target(alg.name),
            if ratio >= target(alg.name) {
                "yes"
            } else {
                "**no**"
            }
        );
    }
    Ok(())
}
