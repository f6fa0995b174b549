//! The bare hyper server the start-up and throughput benches measure the
//! mock against (their bench binary run with `--bare-server`): accept,
//! `TCP_NODELAY`, a fixed token body, nothing else.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BARE_BODY: &str =
    r#"{"access_token":"x","token_type":"Bearer","expires_in":3600,"scope":"read"}"#;

/// What the bench binary was started to do.
pub(crate) enum Role {
    /// `--bare-server`: be the baseline server (the bench spawns itself).
    BareServer,
    /// `--bench`: measure.
    Bench,
    /// Neither: `cargo test --all-targets` runs bench binaries without
    /// `--bench`, and then they do nothing.
    Nothing,
}

impl Role {
    pub(crate) fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        if args.iter().any(|a| a == "--bare-server") {
            Self::BareServer
        } else if args.iter().any(|a| a == "--bench") {
            Self::Bench
        } else {
            Self::Nothing
        }
    }
}

/// The bare server on the mock's kind of runtime: multi-thread, with
/// `workers` workers, or `TOKIO_WORKER_THREADS` (else one per core) as
/// the mock's `--workers` sets them.
pub(crate) fn run_bare_server(workers: Option<usize>) -> Result<(), BoxError> {
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        runtime.worker_threads(workers);
    }
    runtime.enable_all().build()?.block_on(bare_server())
}

/// The ceiling: bind, announce `ready on http://ADDR`, serve forever.
pub(crate) async fn bare_server() -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("ready on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                |request: hyper::Request<hyper::body::Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    let mut response =
                        hyper::Response::new(Full::new(Bytes::from_static(BARE_BODY.as_bytes())));
                    response.headers_mut().insert(
                        "content-type",
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                },
            );
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
