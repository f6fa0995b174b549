//! Optional TLS (issue item 7): a certificate authority and a leaf for
//! `localhost`, `127.0.0.1` and `::1` made at start, or certificate and key
//! files given by the user; clients that insist on https trust the CA.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tls {
    /// A fresh CA and leaf certificate, made at start; the CA is
    /// [`MockServer::ca_pem`](crate::MockServer::ca_pem).
    SelfSigned,
    /// PEM files: the certificate chain (leaf first) and its private key.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The self-signed certificate could not be made.
    #[error("cannot generate a self-signed certificate")]
    Generate(#[source] rcgen::Error),
    /// A PEM file could not be read.
    #[error("cannot read PEM from {path}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// rustls refused the certificate or key.
    #[error("the certificate and key do not make a TLS configuration")]
    Config(#[source] rustls::Error),
}

pub(crate) struct Setup {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: Option<String>,
}

pub(crate) fn setup(tls: &Tls) -> Result<Setup, TlsError> {
    let (chain, key, ca_pem) = match tls {
        Tls::SelfSigned => {
            let (chain, key, ca) = self_signed().map_err(TlsError::Generate)?;
            (chain, key, Some(ca))
        }
        Tls::Files { cert, key } => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|source| TlsError::Pem {
                    path: cert.clone(),
                    source,
                })?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Pem {
                path: key.clone(),
                source,
            })?;
            (chain, key, None)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(TlsError::Config)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Setup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem,
    })
}

type Made = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, String);

fn self_signed() -> Result<Made, rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "mock-server test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate()?;
    let ca = ca.self_signed(&ca_key)?;
    let mut leaf = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "mock-server");
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Ok((vec![leaf.der().clone(), ca.der().clone()], key, ca.pem()))
}
