//! A [`TokenManager`]'s metrics in Prometheus text (issue 16): the mock
//! provider started in-process, a Prometheus recorder
//! (metrics-exporter-prometheus, without its HTTP listener) installed
//! first, a few token calls, a client the provider refuses, then the scrape
//! printed as a `/metrics` endpoint would serve it.
//!
//! `cargo run -p auth-http --features metrics --example prometheus_metrics`
//! (offline; it prints no token and no secret: no label can hold one).

use auth_core::{Client, ClientCredentials, TokenUrl};
use auth_http::metrics::{FETCH_DURATION_BUCKETS, ManagerName, TOKEN_FETCH_DURATION_SECONDS};
use auth_http::{HyperTransport, RetryPolicy, TokenManager};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The Prometheus recorder, with histogram buckets for the fetch duration
/// (the exporter renders summaries otherwise), and no HTTP listener: the
/// application serves `handle().render()` on its own `/metrics`.
pub(crate) fn recorder() -> Result<PrometheusRecorder, BoxError> {
    Ok(PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(TOKEN_FETCH_DURATION_SECONDS.to_owned()),
            &FETCH_DURATION_BUCKETS,
        )?
        .build_recorder())
}

/// Against a running mock: one manager that gets its token and serves it
/// from the cache, one whose secret the provider refuses. Returns the
/// scrape text.
pub(crate) async fn run(token_url: &str, handle: &PrometheusHandle) -> Result<String, BoxError> {
    let url = TokenUrl::parse(token_url)?;
    let good = Client::new(
        url.clone(),
        ClientCredentials::new("metrics-demo", "dev-secret"),
    );
    let manager = TokenManager::builder(good, HyperTransport::new()?)
        .metrics(ManagerName::new("billing-api")?)?
        .build();
    for _ in 0..5 {
        manager.token().await?; // one fetch (a miss), then four cache hits
    }
    let refused = Client::new(url, ClientCredentials::new("metrics-demo", "wrong-secret"));
    let refused = TokenManager::builder(refused, HyperTransport::new()?)
        .retry(RetryPolicy::none())
        .metrics(ManagerName::new("ledger-sync")?)?
        .build();
    let failed = refused.token().await;
    println!(
        "ledger-sync: {}",
        failed.map_or_else(|e| auth_http::one_line(&e), |_| "ok".to_owned())
    );
    // Hits are counted per thread and reported in batches: report this
    // thread's before scraping.
    auth_http::metrics::flush_hits();
    Ok(handle.render())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    // Installed before any manager is built: managers take their handles
    // from the recorder when they are built.
    let recorder = recorder()?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)?;
    let server = mock_server::MockServer::builder()
        .client(mock_server::ClientRegistration::new(
            "metrics-demo",
            "dev-secret",
        ))
        .start()
        .await?;
    let scrape = run(&server.token_url(), &handle).await?;
    print!("{scrape}");
    server.shutdown().await;
    Ok(())
}
