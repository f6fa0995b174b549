//! The bare hyper server the start-up and throughput benches measure the
//! mock against (their bench binary run with `--bare-server`): accept,
//! `TCP_NODELAY`, a fixed token body, nothing else. The serving is
//! parameterized by the [`Answer`] made from a request's head and body, so
//! the load bench can run the same server doing a token request's work.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Collected, Full};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BARE_BODY: &str =
    r#"{"access_token":"x","token_type":"Bearer","expires_in":3600,"scope":"read"}"#;

/// The answer to one request, from its headers and its whole body.
pub(crate) type Answer = fn(&http::HeaderMap, &[u8]) -> hyper::Response<Full<Bytes>>;

/// The bare server's answer: a fixed token body, whatever was asked.
pub(crate) fn fixed_answer(_: &http::HeaderMap, _: &[u8]) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(BARE_BODY.as_bytes())));
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    response
}

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

/// The bare server on the mock's kind of runtime: one multi-thread
/// runtime with one worker that accepts, plus `workers - 1` threads with a
/// single-threaded runtime each, connections dealt to them in turn (as
/// `mock-server --workers N` does). `workers` is `TOKIO_WORKER_THREADS`
/// when `None` (as the load bench sets it), else one per core (tokio's
/// default, what the in-process server bench compares against).
pub(crate) fn run_bare_server(workers: Option<usize>, answer: Answer) -> Result<(), BoxError> {
    let workers = match workers {
        Some(workers) => workers,
        None => match std::env::var("TOKIO_WORKER_THREADS") {
            Ok(text) => text.parse()?,
            Err(_) => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        },
    };
    let mut handoffs = Vec::new();
    for _ in 1..workers.max(1) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (handoff, mut handed) = tokio::sync::mpsc::unbounded_channel::<std::net::TcpStream>();
        std::thread::spawn(move || {
            runtime.block_on(async move {
                while let Some(stream) = handed.recv().await {
                    if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
                        tokio::spawn(serve_connection(stream, answer));
                    }
                }
            });
        });
        handoffs.push(handoff);
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(bare_server(handoffs, answer))
}

/// The ceiling: bind, announce `ready on http://ADDR`, serve forever.
pub(crate) async fn bare_server(
    handoffs: Vec<tokio::sync::mpsc::UnboundedSender<std::net::TcpStream>>,
    answer: Answer,
) -> Result<(), BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("ready on http://{}", listener.local_addr()?);
    let mut turn = 0;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let this_turn = turn;
        turn = (turn + 1) % (handoffs.len() + 1);
        match this_turn
            .checked_sub(1)
            .and_then(|index| handoffs.get(index))
        {
            None => {
                tokio::spawn(serve_connection(stream, answer));
            }
            Some(handoff) => handoff.send(stream.into_std()?)?,
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, answer: Answer) {
    let service = hyper::service::service_fn(
        move |request: hyper::Request<hyper::body::Incoming>| async move {
            let (head, body) = request.into_parts();
            let body = body.collect().await.map(Collected::to_bytes);
            let body = body.as_deref().unwrap_or_default();
            Ok::<_, Infallible>(answer(&head.headers, body))
        },
    );
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
