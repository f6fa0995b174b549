//! Authorization server metadata (RFC 8414): the [`Issuer`] and its
//! metadata URL (§3, §3.1), the [`AuthorizationServerMetadata`] document
//! (§2), and [`parse_metadata`], which accepts it only for the configured
//! issuer (§3.3) and gives [`Metadata`].

use std::fmt;
use std::str::FromStr;

use http::header::ACCEPT;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::credentials::ClientAuthMethod;
use crate::error::{Error, RequestError};
use crate::request::TokenUrl;
use crate::response::{CONTENT_TYPE_JSON, parse_error};
use crate::revocation::RevocationUrl;

/// The RFC 8414 §3 well-known URI suffix, with its leading `/.well-known/`.
pub const WELL_KNOWN_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// The most bytes of a mismatching issuer an error keeps.
const ISSUER_EXCERPT_LIMIT: usize = 256;

/// An authorization server's issuer identifier (RFC 8414 §2): an https URL
/// (plain http only for loopback hosts, as [`TokenUrl`]) without query or
/// fragment. Kept byte for byte: §3.3 compares it as a string.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::Issuer;
/// let issuer = Issuer::parse("https://as.example/tenant1")?;
/// assert_eq!(issuer.metadata_url(), "https://as.example/.well-known/oauth-authorization-server/tenant1");
/// let issuer = Issuer::parse("https://as.example")?;
/// assert_eq!(issuer.metadata_url(), "https://as.example/.well-known/oauth-authorization-server");
/// assert!(Issuer::parse("https://as.example/?tenant=1").is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer {
    text: String,
    uri: Uri,
}

impl Issuer {
    /// Parses and checks an issuer identifier.
    pub fn parse(issuer: &str) -> Result<Self, RequestError> {
        // §2: "no query or fragment components".
        if issuer.contains('?') {
            return Err(RequestError::InvalidUrl);
        }
        let url = TokenUrl::parse(issuer)?;
        Ok(Self {
            text: issuer.to_owned(),
            uri: url.as_uri().clone(),
        })
    }

    /// The identifier, exactly as configured.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Where its metadata lives (RFC 8414 §3.1): the well-known suffix is
    /// *inserted* between the host and the issuer's path (a terminating `/`
    /// of the path removed), not appended to the issuer.
    #[must_use]
    pub fn metadata_url(&self) -> Uri {
        let path = self.uri.path().trim_end_matches('/');
        let scheme = self.uri.scheme_str().unwrap_or("https");
        let authority = self
            .uri
            .authority()
            .map_or("", http::uri::Authority::as_str);
        let url = format!("{scheme}://{authority}{WELL_KNOWN_METADATA_PATH}{path}");
        // Built from the parts of a valid URI and a constant path.
        url.parse().unwrap_or_else(|_| self.uri.clone())
    }

    /// The metadata request (RFC 8414 §3.1): `GET` the metadata URL,
    /// `Accept: application/json`.
    #[must_use]
    pub fn metadata_request(&self) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(Vec::new());
        *request.method_mut() = Method::GET;
        *request.uri_mut() = self.metadata_url();
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static(CONTENT_TYPE_JSON));
        request
    }
}

impl FromStr for Issuer {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({})", self.text)
    }
}

/// The RFC 8414 §2 metadata document, as published: the members a
/// client-credentials client reads, and every other member kept in
/// [`AuthorizationServerMetadata::extra`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// REQUIRED. The issuer identifier; must equal the configured one (§3.3).
    pub issuer: String,
    /// URL of the token endpoint (REQUIRED unless only the implicit grant
    /// is supported, so always required here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// OPTIONAL. URL of the RFC 7009 revocation endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// OPTIONAL. URL of the RFC 7662 introspection endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// OPTIONAL. Client authentication methods of the token endpoint;
    /// absent means `client_secret_basic` (§2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// OPTIONAL. Grant types; absent means `authorization_code` and `implicit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// RECOMMENDED. Scope values the server supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// Every other member, kept as published (§2: extensible).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AuthorizationServerMetadata {
    /// Checklist C-17 (RFC 8414 §2 `token_endpoint_auth_methods_supported`):
    /// `client_secret_basic` when the list is absent or names it;
    /// `client_secret_post` only when listed and Basic is not; neither →
    /// [`MetadataError::NoSupportedAuthMethod`], and no request is sent.
    pub fn choose_auth_method(&self) -> Result<ClientAuthMethod, MetadataError> {
        let Some(methods) = &self.token_endpoint_auth_methods_supported else {
            return Ok(ClientAuthMethod::ClientSecretBasic);
        };
        let listed = |m: ClientAuthMethod| methods.iter().any(|s| s == m.as_str());
        if listed(ClientAuthMethod::ClientSecretBasic) {
            Ok(ClientAuthMethod::ClientSecretBasic)
        } else if listed(ClientAuthMethod::ClientSecretPost) {
            Ok(ClientAuthMethod::ClientSecretPost)
        } else {
            Err(MetadataError::NoSupportedAuthMethod)
        }
    }
}

/// Metadata accepted for an issuer (RFC 8414 §3.3): the issuer matched and
/// the endpoints are valid URLs. Only [`parse_metadata`] makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    document: AuthorizationServerMetadata,
    token_url: TokenUrl,
    revocation_url: Option<RevocationUrl>,
}

impl Metadata {
    /// The document as published.
    #[must_use]
    pub fn document(&self) -> &AuthorizationServerMetadata {
        &self.document
    }

    /// The issuer (identical to the configured one).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.document.issuer
    }

    /// The token endpoint.
    #[must_use]
    pub fn token_url(&self) -> &TokenUrl {
        &self.token_url
    }

    /// The revocation endpoint, if published.
    #[must_use]
    pub fn revocation_url(&self) -> Option<&RevocationUrl> {
        self.revocation_url.as_ref()
    }

    /// See [`AuthorizationServerMetadata::choose_auth_method`] (C-17).
    pub fn choose_auth_method(&self) -> Result<ClientAuthMethod, MetadataError> {
        self.document.choose_auth_method()
    }
}

/// Why metadata was not used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// RFC 8414 §3.3: the `issuer` member is not identical to the issuer
    /// the metadata was fetched for; the document MUST NOT be used.
    #[error("metadata issuer {found:?} is not the configured issuer {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// What the document says (at most 256 bytes of it).
        found: String,
    },
    /// The body is not a metadata JSON object.
    #[error("metadata is not a valid JSON document")]
    Json(#[source] serde_json::Error),
    /// No `token_endpoint` member.
    #[error("metadata has no token_endpoint")]
    MissingTokenEndpoint,
    /// An endpoint URL fails the [`TokenUrl`] rules.
    #[error("metadata member `{member}` is not a valid endpoint url")]
    InvalidEndpoint {
        /// The member name.
        member: &'static str,
        /// Why.
        #[source]
        source: RequestError,
    },
    /// C-17: the server lists neither `client_secret_basic` nor
    /// `client_secret_post` for its token endpoint.
    #[error("token endpoint supports neither client_secret_basic nor client_secret_post")]
    NoSupportedAuthMethod,
}

/// Reads a metadata answer for `expected` (RFC 8414 §3.2, §3.3): a
/// non-2xx answer is an [`Error::Provider`] or [`Error::Api`]; the
/// document must name the same issuer, byte for byte, and a valid
/// `token_endpoint`, else [`Error::Metadata`] and nothing of it is used.
pub fn parse_metadata(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    expected: &Issuer,
) -> Result<Metadata, Error> {
    if !status.is_success() {
        return Err(parse_error(status, headers, body));
    }
    let document: AuthorizationServerMetadata =
        serde_json::from_slice(body).map_err(MetadataError::Json)?;
    Ok(validate(document, expected)?)
}

fn validate(
    document: AuthorizationServerMetadata,
    expected: &Issuer,
) -> Result<Metadata, MetadataError> {
    if document.issuer != expected.as_str() {
        return Err(MetadataError::IssuerMismatch {
            expected: expected.as_str().to_owned(),
            found: bounded(&document.issuer),
        });
    }
    let token_endpoint = document
        .token_endpoint
        .as_deref()
        .ok_or(MetadataError::MissingTokenEndpoint)?;
    let token_url =
        TokenUrl::parse(token_endpoint).map_err(|source| MetadataError::InvalidEndpoint {
            member: "token_endpoint",
            source,
        })?;
    let revocation_url = document
        .revocation_endpoint
        .as_deref()
        .map(RevocationUrl::parse)
        .transpose()
        .map_err(|source| MetadataError::InvalidEndpoint {
            member: "revocation_endpoint",
            source,
        })?;
    Ok(Metadata {
        document,
        token_url,
        revocation_url,
    })
}

fn bounded(text: &str) -> String {
    let mut end = text.len().min(ISSUER_EXCERPT_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
