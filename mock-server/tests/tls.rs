//! `--tls`: a CA and leaf made at start; a client trusting the CA gets a token
//! over https, one that does not is refused (issue item 7).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use mock_server::{MockServer, Tls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

fn connector(ca_pem: Option<&str>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = ca_pem {
        roots
            .add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap())
            .unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn post_token(server: &MockServer, connector: &TlsConnector) -> std::io::Result<common::Raw> {
    let tcp = TcpStream::connect(server.local_addr()).await?;
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await?;
    let request = format!(
        "POST /token HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\nauthorization: {}\r\ncontent-type: {}\r\ncontent-length: 29\r\n\r\ngrant_type=client_credentials",
        common::F1_BASIC,
        common::FORM
    );
    tls.write_all(request.as_bytes()).await?;
    let mut buf = Vec::new();
    // A peer that closes without close_notify is fine here.
    let _ = tokio::time::timeout(Duration::from_secs(5), tls.read_to_end(&mut buf)).await;
    Ok(common::parse(&buf))
}

#[tokio::test]
async fn self_signed_tls_serves_a_token_to_a_client_trusting_the_ca() {
    let server = MockServer::builder()
        .tls(Tls::SelfSigned)
        .start()
        .await
        .unwrap();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    assert!(server.token_url().starts_with("https://"));
    let ca = server.ca_pem().unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    let response = post_token(&server, &connector(Some(ca))).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["token_type"], "Bearer");
    let entry = server.journal().pop().unwrap();
    let c07 = entry.findings.iter().find(|f| f.rule == "C-07").unwrap();
    assert_eq!(c07.reason, "TLS");
}

#[tokio::test]
async fn a_client_without_the_ca_is_refused_c08() {
    let server = MockServer::builder()
        .tls(Tls::SelfSigned)
        .start()
        .await
        .unwrap();
    let refused = post_token(&server, &connector(None)).await;
    assert!(refused.is_err());
    assert_eq!(server.token_requests(), 0);
}

#[tokio::test]
async fn missing_certificate_files_are_a_clear_error() {
    let error = MockServer::builder()
        .tls(Tls::Files {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
        })
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "tls setup failed");
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(source, "cannot read PEM from /nonexistent/cert.pem");
}
