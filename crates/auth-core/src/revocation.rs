//! Token revocation (RFC 7009): [`RevocationUrl`], [`RevocationRequest`],
//! which builds the `http::Request<Vec<u8>>`, and
//! [`parse_revocation_response`], which classifies the answer.

use std::fmt;
use std::str::FromStr;

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};

use crate::credentials::ClientCredentials;
use crate::error::{ApiError, Error, RequestError};
use crate::form::{CONTENT_TYPE_FORM, FormBuilder};
use crate::request::{TokenUrl, append_post_credentials, authorization};
use crate::response::parse_error_scrubbed;
use crate::retry_after::RetryAfter;
use crate::scrub::Scrubber;
use crate::token::AccessToken;

/// The `token_type_hint` this client sends: it only holds access tokens
/// (RFC 7009 §2.1, client credentials issue no refresh token).
pub const TOKEN_TYPE_HINT_ACCESS_TOKEN: &str = "access_token";

/// A revocation endpoint URL, checked like a [`TokenUrl`]: absolute, no
/// fragment, no userinfo, https unless the host is loopback (RFC 7009
/// §2: the client authenticates, so TLS is required).
///
/// ```
/// use auth_core::RevocationUrl;
/// assert!(RevocationUrl::parse("https://as.example/revoke").is_ok());
/// assert!(RevocationUrl::parse("http://127.0.0.1:8080/revoke").is_ok());
/// assert!(RevocationUrl::parse("http://as.example/revoke").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RevocationUrl(TokenUrl);

impl RevocationUrl {
    /// Parses and checks a URL (the rules of [`TokenUrl::parse`]).
    pub fn parse(url: &str) -> Result<Self, RequestError> {
        TokenUrl::parse(url).map(Self)
    }

    /// The URI.
    #[must_use]
    pub fn as_uri(&self) -> &Uri {
        self.0.as_uri()
    }
}

impl FromStr for RevocationUrl {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RevocationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for RevocationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RevocationUrl({self})")
    }
}

/// An RFC 7009 §2.1 revocation request: where, and who asks (the same
/// client authentication as the token request).
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::{AccessToken, ClientCredentials, RevocationRequest, RevocationUrl};
/// let request = RevocationRequest::new(
///     RevocationUrl::parse("https://as.example/revoke")?,
///     ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"),
/// );
/// let http = request.to_http(&AccessToken::new("45ghiukldjahdnhzdauz"));
/// assert_eq!(http.method(), "POST");
/// assert_eq!(http.headers()["authorization"], "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
/// assert_eq!(http.body(), b"token=45ghiukldjahdnhzdauz&token_type_hint=access_token");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    url: RevocationUrl,
    credentials: ClientCredentials,
}

impl RevocationRequest {
    /// A revocation request for `credentials` at `url`.
    #[must_use]
    pub fn new(url: RevocationUrl, credentials: ClientCredentials) -> Self {
        Self { url, credentials }
    }

    /// The revocation URL.
    #[must_use]
    pub fn url(&self) -> &RevocationUrl {
        &self.url
    }

    /// The credentials.
    #[must_use]
    pub fn credentials(&self) -> &ClientCredentials {
        &self.credentials
    }

    /// The form body: `token`, `token_type_hint=access_token` (RFC 7009
    /// §2.1), then the `client_secret_post` credentials if that is the
    /// method. Contains the token (and maybe the secret).
    #[must_use]
    pub fn form_body(&self, token: &AccessToken) -> String {
        let mut form = FormBuilder::new();
        form.append("token", token.expose_secret());
        form.append("token_type_hint", TOKEN_TYPE_HINT_ACCESS_TOKEN);
        append_post_credentials(&mut form, &self.credentials);
        form.finish()
    }

    /// The complete HTTP request: POST, form body, exactly one client
    /// authentication method (RFC 7009 §2.1, RFC 6749 §2.3).
    #[must_use]
    pub fn to_http(&self, token: &AccessToken) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(self.form_body(token).into_bytes());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.url.as_uri().clone();
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_FORM));
        if let Some(value) = authorization(&self.credentials) {
            headers.insert(AUTHORIZATION, value);
        }
        request
    }

    /// [`parse_revocation_response`] for this request's answer to the
    /// revocation of `token`. A server can echo the request in an error
    /// page or an `error_description`, so the token and the client's secret
    /// are scrubbed from the decoded text in every spelling (raw,
    /// form-encoded, JSON- or HTML-escaped, inside the Basic value) before
    /// anything is cut: no error ever holds them (checklist C-18).
    pub fn parse_response(
        &self,
        token: &AccessToken,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), Error> {
        let scrubber =
            Scrubber::for_credentials(&self.credentials).with_value(token.expose_secret());
        classify(status, headers, body, &scrubber)
    }
}

/// Classifies a revocation answer (RFC 7009 §2.2):
/// - `200`, whatever the body → revoked (or already invalid; either way the
///   client drops it);
/// - `503` → [`Error::RevocationUnavailable`] with its `Retry-After`
///   (§2.2.1): the token is still valid, try again later;
/// - an RFC 6749 §5.2 error body → [`Error::Provider`]; anything else →
///   [`Error::Api`].
///
/// ```
/// use auth_core::revocation::parse_revocation_response;
/// use http::{HeaderMap, StatusCode};
/// assert!(parse_revocation_response(StatusCode::OK, &HeaderMap::new(), b"<html>ok</html>").is_ok());
/// ```
pub fn parse_revocation_response(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Error> {
    classify(status, headers, body, &Scrubber::NONE)
}

fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    scrubber: &Scrubber,
) -> Result<(), Error> {
    if status == StatusCode::OK {
        return Ok(());
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        let retry_after = RetryAfter::from_headers(headers);
        return Err(Error::RevocationUnavailable(ApiError::scrubbed(
            status,
            body,
            retry_after,
            scrubber,
        )));
    }
    Err(parse_error_scrubbed(status, headers, body, scrubber))
}
