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
