//! Certificates are always verified (checklist C-08): the mock provider on
//! TLS with its own CA is refused by the default roots and by a name
//! mismatch, and accepted with its CA trusted through `tls_config`.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::net::SocketAddr;
use std::sync::Arc;

use auth_core::{Client, ClientCredentials, TokenUrl};
use auth_http::{Error, FetchToken as _, HyperTransport};
use mock_server::{MockServer, Tls};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

fn trusting(ca_pem: &str) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// The error and all its sources, for asserting on what rustls said.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn client(token_url: &str) -> Client {
    Client::new(
        TokenUrl::parse(token_url).unwrap(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"),
    )
}

async fn tls_server(addr: &str) -> MockServer {
    MockServer::builder()
        .tls(Tls::SelfSigned)
        .addr(addr.parse::<SocketAddr>().unwrap())
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_c08() {
    let server = tls_server("127.0.0.1:0").await;
    assert!(server.token_url().starts_with("https://"));
    let error = client(&server.token_url())
        .fetch_token(&HyperTransport::new().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_eq!(
        server.token_requests(),
        0,
        "no request reached the provider"
    );
}

#[tokio::test]
async fn a_trusted_ca_is_accepted_through_tls_config() {
    let server = tls_server("127.0.0.1:0").await;
    let transport = HyperTransport::builder()
        .tls_config(trusting(server.ca_pem().unwrap()))
        .build()
        .unwrap();
    client(&server.token_url())
        .fetch_token(&transport)
        .await
        .unwrap();
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_c08() {
    // The leaf names localhost, 127.0.0.1 and ::1; 127.0.0.2 is loopback too.
    let server = tls_server("127.0.0.2:0").await;
    let transport = HyperTransport::builder()
        .tls_config(trusting(server.ca_pem().unwrap()))
        .build()
        .unwrap();
    let url = format!("https://127.0.0.2:{}/token", server.local_addr().port());
    let error = client(&url).fetch_token(&transport).await.unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(
        chain(&error).contains("certificate not valid for name"),
        "{}",
        chain(&error)
    );
    assert_eq!(server.token_requests(), 0);
}
