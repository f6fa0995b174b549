//! The token request (RFC 6749 §4.4.2): [`TokenUrl`], [`Resource`] and
//! [`TokenRequest`], which builds an `http::Request<Vec<u8>>`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Uri};

use crate::basic;
use crate::credentials::{ClientAuthMethod, ClientCredentials};
use crate::error::RequestError;
use crate::extra::RedactedParams;
use crate::form::{CONTENT_TYPE_FORM, FormBuilder};
use crate::jose::{
    Algorithm, AssertionClaims, AssertionKey, CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAssertion,
    UnsignedAssertion,
};
use crate::metadata::Issuer;
use crate::response::CONTENT_TYPE_JSON;

/// `grant_type` value of this grant (RFC 6749 §4.4.2).
pub const GRANT_TYPE_CLIENT_CREDENTIALS: &str = "client_credentials";

/// The token request's OAuth parameters (RFC 6749 §4.4.2, §2.3.1, RFC 8707
/// §2, and `audience`): this crate writes them itself, so an extra parameter
/// may not repeat them, and a provider never reads them from the URL.
pub const PROTOCOL_PARAMETERS: [&str; 6] = [
    "grant_type",
    "scope",
    "client_id",
    "client_secret",
    "resource",
    "audience",
];

/// The parameters of client authentication by assertion (RFC 7521 §4.2):
/// written by this crate for `private_key_jwt` and `client_secret_jwt`, so
/// an extra parameter may not repeat them either.
pub const ASSERTION_PARAMETERS: [&str; 2] = ["client_assertion_type", "client_assertion"];

/// A token endpoint URL: absolute, no fragment (RFC 6749 §3.2), https
/// unless the host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`),
/// because §2.3.1 and §10.9 require TLS for credentials.
///
/// ```
/// use auth_core::TokenUrl;
/// assert!(TokenUrl::parse("https://as.example/token?tenant=t1").is_ok());
/// assert!(TokenUrl::parse("http://127.0.0.1:8080/token").is_ok());
/// assert!(TokenUrl::parse("http://as.example/token").is_err());
/// assert!(TokenUrl::parse("https://as.example/token#x").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenUrl(Uri);

impl TokenUrl {
    /// Parses and checks a URL.
    pub fn parse(url: &str) -> Result<Self, RequestError> {
        if url.contains('#') {
            return Err(RequestError::UrlFragment);
        }
        let uri: Uri = url.parse().map_err(|_| RequestError::InvalidUrl)?;
        // RFC 6749 §2.3.1: credentials travel in the header or the body,
        // never in the request URI (RFC 3986 §3.2.1 deprecates
        // `user:password@`); a URL is also printed in `Debug`.
        if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
            return Err(RequestError::UrlUserinfo);
        }
        let host = uri.host().ok_or(RequestError::InvalidUrl)?;
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if is_loopback(host) => {}
            Some("http") => return Err(RequestError::InsecureUrl),
            _ => return Err(RequestError::InvalidUrl),
        }
        Ok(Self(uri))
    }

    /// The URI.
    #[must_use]
    pub fn as_uri(&self) -> &Uri {
        &self.0
    }

    /// True for plain http on a loopback host.
    #[must_use]
    pub fn is_insecure_loopback(&self) -> bool {
        self.0.scheme_str() == Some("http")
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// RFC 3986 §4.3 `absolute-URI = scheme ":" hier-part [ "?" query ]`, as
/// RFC 8707 §2 requires of a resource. URIs with an authority (`https://`)
/// must also parse as an `http::Uri`; others (`urn:`) need a valid scheme
/// and only URI characters.
fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let chars_ok = !rest.is_empty()
        && rest.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
        });
    let escapes_ok = rest.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    scheme_ok && chars_ok && escapes_ok && (!rest.starts_with("//") || uri.parse::<Uri>().is_ok())
}

impl FromStr for TokenUrl {
    type Err = RequestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for TokenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for TokenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenUrl({})", self.0)
    }
}

/// An RFC 8707 resource indicator: an absolute URI without a fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resource(String);

impl Resource {
    /// Checks and wraps a resource URI.
    ///
    /// ```
    /// use auth_core::Resource;
    /// assert!(Resource::new("https://api.example.com/").is_ok());
    /// assert!(Resource::new("urn:example:api").is_ok());
    /// assert!(Resource::new("/api").is_err());
    /// assert!(Resource::new("https://api.example.com/#f").is_err());
    /// ```
    pub fn new(uri: impl Into<String>) -> Result<Self, RequestError> {
        let uri = uri.into();
        if uri.contains('#') || !is_absolute_uri(&uri) {
            return Err(RequestError::InvalidResource);
        }
        Ok(Self(uri))
    }

    /// The URI.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client-credentials token request: where, who, and what for.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::{ClientCredentials, Scope, TokenRequest, TokenUrl};
/// let request = TokenRequest::new(
///     TokenUrl::parse("https://as.example/token")?,
///     ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV").with_scopes([Scope::Read, Scope::Write]),
/// );
/// let http = request.to_http()?;
/// assert_eq!(http.method(), "POST");
/// assert_eq!(http.headers()["authorization"], "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
/// assert!(http.headers()["authorization"].is_sensitive());
/// assert_eq!(http.body(), b"grant_type=client_credentials&scope=read%20write");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    url: TokenUrl,
    credentials: ClientCredentials,
    resources: Vec<Resource>,
    audience: Option<String>,
    extra_params: Vec<(String, String)>,
    issuer: Option<Issuer>,
}

/// Extra-parameter values can be credentials of their own (a tenant key,
/// a signed assertion), so only their names print.
impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("url", &self.url)
            .field("credentials", &self.credentials)
            .field("resources", &self.resources)
            .field("audience", &self.audience)
            .field("extra_params", &RedactedParams(&self.extra_params))
            .field("issuer", &self.issuer.as_ref().map(Issuer::as_str))
            .finish()
    }
}

impl TokenRequest {
    /// A request for `credentials` at `url`.
    #[must_use]
    pub fn new(url: TokenUrl, credentials: ClientCredentials) -> Self {
        Self {
            url,
            credentials,
            resources: Vec::new(),
            audience: None,
            extra_params: Vec::new(),
            issuer: None,
        }
    }

    /// Sets the authorization server's issuer identifier, known from RFC
    /// 8414 metadata: the `aud` of client assertions by default (C-66).
    #[must_use]
    pub fn with_issuer(mut self, issuer: Issuer) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// The issuer, if known.
    #[must_use]
    pub fn issuer(&self) -> Option<&Issuer> {
        self.issuer.as_ref()
    }

    /// The `aud` of this request's client assertions: the issuer when it
    /// is known and the credentials' [`AssertionAudience`](crate::jose::AssertionAudience)
    /// takes it, else the token endpoint URL (RFC 7523 §3 item 3).
    #[must_use]
    pub fn assertion_audience(&self) -> String {
        let endpoint = self.url.to_string();
        self.credentials
            .assertion_audience()
            .select(self.issuer.as_ref().map(Issuer::as_str), &endpoint)
            .to_owned()
    }

    /// The first signing step of a client assertion for this request,
    /// made at `now` with the fresh `jti` (RFC 7523 §3, C-65..C-69): sign
    /// [`UnsignedAssertion::signing_input`], then pass
    /// [`UnsignedAssertion::finish`]'s result to
    /// [`to_http_with_assertion`](Self::to_http_with_assertion). Call it
    /// for every attempt, retries included: an assertion is single-use.
    ///
    /// The header comes from the credentials'
    /// [`assertion_key`](ClientCredentials::assertion_key); for
    /// `client_secret_jwt` without one it is HS256 with no `kid`.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::Error> {
    /// use auth_core::jose::{Algorithm, AssertionKey, CompactJws};
    /// use auth_core::{ClientCredentials, TokenRequest, TokenUrl};
    /// let request = TokenRequest::new(
    ///     TokenUrl::parse("https://as.example/token")?,
    ///     ClientCredentials::private_key_jwt("svc", AssertionKey::new(Algorithm::EdDsa).with_kid("k1")),
    /// );
    /// let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    /// let unsigned = request.unsigned_assertion(now, "jti-1")?;
    /// let signature = [1u8; 64]; // Ed25519 over unsigned.signing_input()
    /// let http = request.to_http_with_assertion(&unsigned.finish(&signature))?;
    /// assert!(!http.headers().contains_key("authorization"));
    /// assert!(std::str::from_utf8(http.body()).is_ok_and(|b| b.contains("client_assertion=ey")));
    /// # Ok(()) }
    /// ```
    pub fn unsigned_assertion(
        &self,
        now: time::OffsetDateTime,
        jti: &str,
    ) -> Result<UnsignedAssertion, RequestError> {
        let method = self.credentials.auth_method();
        let key = match (method, self.credentials.assertion_key()) {
            (ClientAuthMethod::PrivateKeyJwt, Some(key)) if key.alg().is_asymmetric() => {
                key.clone()
            }
            (ClientAuthMethod::ClientSecretJwt, Some(key)) if !key.alg().is_asymmetric() => {
                key.clone()
            }
            (ClientAuthMethod::ClientSecretJwt, None) => AssertionKey::new(Algorithm::Hs256),
            (ClientAuthMethod::PrivateKeyJwt, None) => {
                return Err(RequestError::AssertionKeyMissing);
            }
            (ClientAuthMethod::PrivateKeyJwt | ClientAuthMethod::ClientSecretJwt, Some(key)) => {
                return Err(RequestError::AssertionAlgorithm {
                    method: method.as_str(),
                    alg: key.alg(),
                });
            }
            _ => return Err(RequestError::NotAssertionMethod(method.name())),
        };
        let claims = AssertionClaims::new(
            self.credentials.id().as_str(),
            self.assertion_audience(),
            now,
            jti,
        );
        // Strings and integers always serialize.
        UnsignedAssertion::new(&key, &claims).map_err(|_| RequestError::AssertionKeyMissing)
    }

    /// Adds an RFC 8707 `resource` (may be repeated).
    #[must_use]
    pub fn with_resource(mut self, resource: Resource) -> Self {
        if !self.resources.contains(&resource) {
            self.resources.push(resource);
        }
        self
    }

    /// Sets `audience` (used by several providers instead of `resource`).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Adds a provider-specific parameter. Names this crate writes
    /// (`grant_type`, `scope`, `client_id`, ...) and repeated names are
    /// refused when the request is built.
    #[must_use]
    pub fn with_extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// Replaces the credentials.
    #[must_use]
    pub fn with_credentials(mut self, credentials: ClientCredentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// The token URL.
    #[must_use]
    pub fn url(&self) -> &TokenUrl {
        &self.url
    }

    /// The credentials.
    #[must_use]
    pub fn credentials(&self) -> &ClientCredentials {
        &self.credentials
    }

    /// The resources, in the order added.
    #[must_use]
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The audience.
    #[must_use]
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// The extra parameters, in the order added.
    #[must_use]
    pub fn extra_params(&self) -> &[(String, String)] {
        &self.extra_params
    }

    /// The request's persistent identity: everything that makes two
    /// requests ask for the same token, and only what is not secret (token
    /// URL, client id, auth method, scopes (sorted), resources (sorted),
    /// audience and extra parameters (sorted)). Never the secret; see
    /// [`RequestKey`] for what that means and where it is used.
    #[must_use]
    pub fn key(&self) -> RequestKey {
        let mut resources: Vec<String> = self.resources.iter().map(|r| r.0.clone()).collect();
        resources.sort();
        let mut extra = self.extra_params.clone();
        extra.sort();
        RequestKey {
            url: self.url.to_string(),
            client_id: self.credentials.id().as_str().to_owned(),
            auth_method: self.credentials.auth_method(),
            key_thumbprint: self
                .credentials
                .assertion_key()
                .filter(|_| self.credentials.auth_method().uses_assertion())
                .and_then(AssertionKey::thumbprint)
                .map(str::to_owned),
            scopes: self.credentials.scopes().to_string(),
            resources,
            audience: self.audience.clone(),
            extra,
        }
    }

    fn check_extra_params(&self) -> Result<(), RequestError> {
        for (i, (name, _)) in self.extra_params.iter().enumerate() {
            if name.is_empty() {
                return Err(RequestError::EmptyParameterName);
            }
            if PROTOCOL_PARAMETERS.contains(&name.as_str())
                || ASSERTION_PARAMETERS.contains(&name.as_str())
                || self.extra_params[..i].iter().any(|(n, _)| n == name)
            {
                return Err(RequestError::ReservedParameter(name.clone()));
            }
        }
        Ok(())
    }

    /// The form body (RFC 6749 §4.4.2). Contains the secret in
    /// `client_secret_post` mode. The assertion methods need
    /// [`form_body_with_assertion`](Self::form_body_with_assertion).
    pub fn form_body(&self) -> Result<String, RequestError> {
        self.form_body_inner(None)
    }

    /// The form body with `client_assertion_type` and `client_assertion`
    /// (RFC 7521 §4.2), for `private_key_jwt` and `client_secret_jwt`.
    pub fn form_body_with_assertion(
        &self,
        assertion: &ClientAssertion,
    ) -> Result<String, RequestError> {
        self.form_body_inner(Some(assertion))
    }

    fn form_body_inner(&self, assertion: Option<&ClientAssertion>) -> Result<String, RequestError> {
        let method = self.credentials.auth_method();
        match (method.uses_assertion(), assertion.is_some()) {
            (true, false) => return Err(RequestError::AssertionRequired(method.as_str())),
            (false, true) => return Err(RequestError::NotAssertionMethod(method.name())),
            _ => {}
        }
        self.check_extra_params()?;
        let mut form = FormBuilder::new();
        form.append("grant_type", GRANT_TYPE_CLIENT_CREDENTIALS);
        let scopes = self.credentials.scopes();
        // §3.2: an empty parameter means "omitted", so say nothing (C-22).
        if !scopes.is_empty() {
            form.append("scope", &scopes.to_string());
        }
        for resource in &self.resources {
            form.append("resource", resource.as_str());
        }
        if let Some(audience) = &self.audience {
            form.append("audience", audience);
        }
        for (name, value) in &self.extra_params {
            form.append(name, value);
        }
        append_post_credentials(&mut form, &self.credentials);
        if let Some(assertion) = assertion {
            // RFC 7521 §4.2; one method only (RFC 6749 §2.3, C-64): no
            // secret and no Basic header go with it. `client_id` is
            // OPTIONAL and omitted: the assertion's `sub` names the client.
            form.append("client_assertion_type", CLIENT_ASSERTION_TYPE_JWT_BEARER);
            form.append("client_assertion", assertion.expose_secret());
        }
        Ok(form.finish())
    }

    /// The `Authorization` value, for the Basic methods; marked sensitive.
    #[must_use]
    pub fn authorization(&self) -> Option<HeaderValue> {
        authorization(&self.credentials)
    }

    /// The complete HTTP request: POST, form body, `Accept: application/json`,
    /// exactly one client authentication method (RFC 6749 §2.3).
    pub fn to_http(&self) -> Result<http::Request<Vec<u8>>, RequestError> {
        self.to_http_inner(None)
    }

    /// The complete HTTP request of an assertion method, carrying
    /// `assertion` (built by [`unsigned_assertion`](Self::unsigned_assertion)
    /// for this attempt).
    pub fn to_http_with_assertion(
        &self,
        assertion: &ClientAssertion,
    ) -> Result<http::Request<Vec<u8>>, RequestError> {
        self.to_http_inner(Some(assertion))
    }

    fn to_http_inner(
        &self,
        assertion: Option<&ClientAssertion>,
    ) -> Result<http::Request<Vec<u8>>, RequestError> {
        let body = self.form_body_inner(assertion)?;
        let mut request = http::Request::new(body.into_bytes());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.url.0.clone();
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_FORM));
        headers.insert(ACCEPT, HeaderValue::from_static(CONTENT_TYPE_JSON));
        if let Some(authorization) = self.authorization() {
            headers.insert(AUTHORIZATION, authorization);
        }
        Ok(request)
    }
}

/// The `Authorization` value of the Basic methods (RFC 6749 §2.3.1),
/// marked sensitive; `None` for `client_secret_post`. Shared by every
/// client-authenticated request (token, RFC 7009 revocation).
pub(crate) fn authorization(credentials: &ClientCredentials) -> Option<HeaderValue> {
    let id = credentials.id();
    let secret = credentials.secret();
    let value = match credentials.auth_method() {
        ClientAuthMethod::ClientSecretBasic => basic::encode(id, secret),
        ClientAuthMethod::ClientSecretBasicUnencoded => basic::encode_unencoded(id, secret),
        ClientAuthMethod::ClientSecretPost
        | ClientAuthMethod::PrivateKeyJwt
        | ClientAuthMethod::ClientSecretJwt => return None,
    };
    // Base64 output is always a valid header value.
    let mut value = HeaderValue::from_str(&value).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// `client_id` and `client_secret` in the body, for `client_secret_post`
/// only (RFC 6749 §2.3.1); nothing for the Basic methods. Shared by every
/// client-authenticated request.
pub(crate) fn append_post_credentials(form: &mut FormBuilder, credentials: &ClientCredentials) {
    if credentials.auth_method() == ClientAuthMethod::ClientSecretPost {
        form.append("client_id", credentials.id().as_str());
        // §2.3.1: the client MAY omit an empty secret.
        if !credentials.secret().is_empty() {
            form.append("client_secret", credentials.secret().expose_secret());
        }
    }
}

/// The persistent identity of a token request: what a token outliving
/// the process (a file, a shared store) is saved under, built by
/// [`TokenRequest::key`].
///
/// It holds the non-secret parts only: token URL, client id, auth method,
/// scopes (sorted), resources (sorted), audience and extra parameters
/// (sorted by name). It is the same in every process and after every
/// restart with the same configuration, so a restarted service finds its
/// token, and a changed URL, scope, audience or parameter finds none. One
/// client id has one secret at a time in such a store: the secret is not
/// part of this identity. (The in-process cache of `auth-http` adds a keyed
/// fingerprint of the secret and the parse options on top of this key, so a
/// wrong or rotated secret never reuses another entry's token there.)
///
/// Values that change on every attempt (a client assertion, its `jti`)
/// belong to neither identity: a key built from them would never match
/// again.
///
/// [`RequestKey::canonical`] is its stable serialization and
/// [`RequestKey::digest`] a SHA-256 of that, usable as a file name or a
/// record key. `Debug` prints extra-parameter names, never their values.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::{ClientCredentials, TokenRequest, TokenUrl};
/// let url = TokenUrl::parse("https://as.example/token")?;
/// let key = TokenRequest::new(url.clone(), ClientCredentials::new("svc", "old")).key();
/// let rotated = TokenRequest::new(url, ClientCredentials::new("svc", "new")).key();
/// assert_eq!(key.digest(), rotated.digest()); // the secret is not part of it
/// assert_eq!(key.digest().len(), 64);
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestKey {
    url: String,
    client_id: String,
    auth_method: ClientAuthMethod,
    key_thumbprint: Option<String>,
    scopes: String,
    resources: Vec<String>,
    audience: Option<String>,
    extra: Vec<(String, String)>,
}

/// Version of [`RequestKey::canonical`]: bump it when a part is added, so
/// old digests stop matching instead of matching wrongly.
const REQUEST_KEY_VERSION: u8 = 1;

impl RequestKey {
    /// The stable serialization: a compact JSON array of the parts in a
    /// fixed order, led by its version,
    /// `[1,url,client_id,auth_method,scopes,[resources…],audience|null,[[name,value]…]]`.
    /// It holds extra-parameter values: keep it where the token is kept,
    /// not in logs.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::Error> {
    /// use auth_core::{ClientCredentials, Scope, TokenRequest, TokenUrl};
    /// let request = TokenRequest::new(
    ///     TokenUrl::parse("https://as.example/token")?,
    ///     ClientCredentials::new("svc", "s").with_scopes([Scope::Write, Scope::Read]),
    /// )
    /// .with_extra_param("tenant", "t1");
    /// assert_eq!(
    ///     request.key().canonical(),
    ///     r#"[1,"https://as.example/token","svc","client_secret_basic","read write",[],null,[["tenant","t1"]]]"#
    /// );
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn canonical(&self) -> String {
        use serde_json::Value;
        let strings = |items: &[String]| Value::from(items.to_vec());
        let method = match self.auth_method {
            // `as_str` reports the wire name, shared with plain Basic.
            ClientAuthMethod::ClientSecretBasicUnencoded => "client_secret_basic_unencoded",
            other => other.as_str(),
        };
        let extra = self
            .extra
            .iter()
            .map(|(name, value)| Value::from(vec![name.clone(), value.clone()]))
            .collect::<Vec<_>>();
        let mut parts = vec![
            Value::from(REQUEST_KEY_VERSION),
            Value::from(self.url.clone()),
            Value::from(self.client_id.clone()),
            Value::from(method),
            Value::from(self.scopes.clone()),
            strings(&self.resources),
            self.audience.clone().map_or(Value::Null, Value::from),
            Value::from(extra),
        ];
        // Appended only when there is one, so the digests of the secret
        // methods (and their stored tokens) stay what they were.
        if let Some(thumbprint) = &self.key_thumbprint {
            parts.push(Value::from(thumbprint.clone()));
        }
        Value::from(parts).to_string()
    }

    /// SHA-256 of [`RequestKey::canonical`], 64 lowercase hex digits: a
    /// file name or record key that reveals nothing of the request.
    #[must_use]
    pub fn digest(&self) -> String {
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(self.canonical().as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in hash {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        hex
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Debug for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestKey")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("auth_method", &self.auth_method)
            .field("key_thumbprint", &self.key_thumbprint)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .field("audience", &self.audience)
            .field("extra", &RedactedParams(&self.extra))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Form;
    use crate::scope::Scope;

    fn request(creds: ClientCredentials) -> TokenRequest {
        TokenRequest::new(
            TokenUrl::parse("https://as.example/token?tenant=t1").unwrap(),
            creds,
        )
    }

    #[test]
    fn post_form_json_rfc6749_3_2_c01_c02() {
        let http = request(ClientCredentials::new("a", "b")).to_http().unwrap();
        assert_eq!(http.method(), Method::POST);
        assert_eq!(http.headers()[CONTENT_TYPE], CONTENT_TYPE_FORM);
        assert_eq!(http.headers()[ACCEPT], CONTENT_TYPE_JSON);
    }

    #[test]
    fn query_is_kept_and_parameters_stay_in_the_body_c05() {
        let http = request(ClientCredentials::new("a", "b").with_scope(Scope::Read))
            .to_http()
            .unwrap();
        assert_eq!(
            http.uri().path_and_query().unwrap().as_str(),
            "/token?tenant=t1"
        );
        assert_eq!(http.body(), b"grant_type=client_credentials&scope=read");
    }

    #[test]
    fn fragment_and_insecure_urls_are_refused_c06_c07() {
        assert_eq!(
            TokenUrl::parse("https://as.example/token#x"),
            Err(RequestError::UrlFragment)
        );
        assert_eq!(
            TokenUrl::parse("http://as.example/token"),
            Err(RequestError::InsecureUrl)
        );
        assert_eq!(
            TokenUrl::parse("ftp://as.example/token"),
            Err(RequestError::InvalidUrl)
        );
        assert_eq!(TokenUrl::parse("/token"), Err(RequestError::InvalidUrl));
        for loopback in [
            "http://127.0.0.1/t",
            "http://127.8.9.1:1/t",
            "http://[::1]:80/t",
            "http://localhost/t",
        ] {
            assert!(
                TokenUrl::parse(loopback).unwrap().is_insecure_loopback(),
                "{loopback}"
            );
        }
    }

    #[test]
    fn basic_mode_sends_one_sensitive_header_and_no_body_credentials_c09_c10_c15() {
        let http = request(ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"))
            .to_http()
            .unwrap();
        assert_eq!(http.headers().get_all(AUTHORIZATION).iter().count(), 1);
        assert_eq!(
            http.headers()[AUTHORIZATION],
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
        assert!(http.headers()[AUTHORIZATION].is_sensitive());
        assert_eq!(http.body(), b"grant_type=client_credentials");
    }

    #[test]
    fn post_mode_puts_encoded_credentials_in_the_body_only_c14_c15() {
        let creds = ClientCredentials::new("client:id+1", "a b+c/d%e&f=g:h~i")
            .with_auth_method(ClientAuthMethod::ClientSecretPost);
        let http = request(creds).to_http().unwrap();
        assert!(http.headers().get(AUTHORIZATION).is_none());
        let form = Form::parse(http.body(), 16).unwrap();
        assert_eq!(form.get("client_id"), Some("client:id+1"));
        assert_eq!(form.get("client_secret"), Some("a b+c/d%e&f=g:h~i"));
        assert_eq!(
            std::str::from_utf8(http.body()).unwrap(),
            "grant_type=client_credentials&client_id=client%3Aid%2B1&client_secret=a%20b%2Bc%2Fd%25e%26f%3Dg%3Ah~i"
        );
    }

    #[test]
    fn post_mode_omits_an_empty_secret_c16() {
        let creds =
            ClientCredentials::new("cid", "").with_auth_method(ClientAuthMethod::ClientSecretPost);
        assert_eq!(
            request(creds).form_body().unwrap(),
            "grant_type=client_credentials&client_id=cid"
        );
    }

    #[test]
    fn scopes_are_space_joined_and_encoded_c19_c21() {
        let creds = ClientCredentials::new("a", "b").with_scopes([
            Scope::new("a+b").unwrap(),
            Scope::new("urn:x:read").unwrap(),
            Scope::TsMecFullAccess,
        ]);
        let body = request(creds).form_body().unwrap();
        assert_eq!(
            body,
            "grant_type=client_credentials&scope=a%2Bb%20ts.mec.fullaccess%20urn%3Ax%3Aread"
        );
        let form = Form::parse(body.as_bytes(), 8).unwrap();
        assert_eq!(form.get("scope"), Some("a+b ts.mec.fullaccess urn:x:read"));
    }

    #[test]
    fn empty_scope_set_omits_the_parameter_c22() {
        let body = request(ClientCredentials::new("a", "b"))
            .form_body()
            .unwrap();
        assert!(!body.contains("scope"));
    }

    #[test]
    fn resources_repeat_and_audience_is_sent_rfc8707_c24() {
        let req = request(ClientCredentials::new("a", "b"))
            .with_resource(Resource::new("https://api.example.com/").unwrap())
            .with_resource(Resource::new("https://api2.example.com/").unwrap())
            .with_audience("api://default");
        let form = Form::parse(req.form_body().unwrap().as_bytes(), 8).unwrap();
        assert_eq!(
            form.get_all("resource").collect::<Vec<_>>(),
            ["https://api.example.com/", "https://api2.example.com/"]
        );
        assert_eq!(form.get("audience"), Some("api://default"));
        assert_eq!(form.first_repeated(&["resource"]), None);
    }

    #[test]
    fn extra_params_cannot_repeat_protocol_parameters_c04() {
        let req = request(ClientCredentials::new("a", "b")).with_extra_param("scope", "x");
        assert_eq!(
            req.to_http().unwrap_err(),
            RequestError::ReservedParameter("scope".into())
        );
        let req = request(ClientCredentials::new("a", "b"))
            .with_extra_param("x", "1")
            .with_extra_param("x", "2");
        assert_eq!(
            req.to_http().unwrap_err(),
            RequestError::ReservedParameter("x".into())
        );
        let ok = request(ClientCredentials::new("a", "b")).with_extra_param("tenant", "t 1");
        assert!(ok.form_body().unwrap().ends_with("&tenant=t%201"));
    }

    #[test]
    fn key_ignores_scope_order_and_secret_c23_c56() {
        let a = request(ClientCredentials::new("a", "s1").with_scopes([Scope::Write, Scope::Read]));
        let b = request(ClientCredentials::new("a", "s2").with_scopes([Scope::Read, Scope::Write]));
        assert_eq!(a.key(), b.key());
        let c = request(ClientCredentials::new("a", "s1").with_scopes([Scope::Read]));
        assert_ne!(a.key(), c.key());
    }

    fn at(seconds: i64) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    fn assertion_claims(request: &TokenRequest, jti: &str) -> AssertionClaims {
        let unsigned = request.unsigned_assertion(at(1_700_000_000), jti).unwrap();
        let token = unsigned.finish(&[9]);
        let jws = crate::jose::CompactJws::parse(token.expose_secret()).unwrap();
        serde_json::from_slice(jws.payload()).unwrap()
    }

    #[test]
    fn assertion_methods_send_one_assertion_and_no_other_credentials_c64() {
        let key = AssertionKey::new(Algorithm::Es256).with_kid("k1");
        for creds in [
            ClientCredentials::private_key_jwt("svc", key.clone()),
            ClientCredentials::new("svc", "s3cret")
                .with_auth_method(ClientAuthMethod::ClientSecretJwt),
        ] {
            let req = request(creds);
            assert!(matches!(
                req.to_http(),
                Err(RequestError::AssertionRequired(_))
            ));
            let assertion = req.unsigned_assertion(at(0), "j").unwrap().finish(&[1]);
            let http = req.to_http_with_assertion(&assertion).unwrap();
            assert!(!http.headers().contains_key(AUTHORIZATION));
            let form = Form::parse(http.body(), 16).unwrap();
            assert_eq!(
                form.get("client_assertion_type"),
                Some(CLIENT_ASSERTION_TYPE_JWT_BEARER)
            );
            assert_eq!(form.count("client_assertion"), 1);
            assert_eq!(
                form.get("client_assertion"),
                Some(assertion.expose_secret())
            );
            assert_eq!(form.get("client_secret"), None);
            assert_eq!(form.get("client_id"), None);
        }
        let basic = request(ClientCredentials::new("a", "b"));
        let assertion = ClientAssertion::new("x.y.z");
        assert!(matches!(
            basic.to_http_with_assertion(&assertion),
            Err(RequestError::NotAssertionMethod(_))
        ));
    }

    #[test]
    fn each_attempt_gets_its_own_jti_and_iat_c68() {
        let req = request(
            ClientCredentials::new("svc", "s").with_auth_method(ClientAuthMethod::ClientSecretJwt),
        );
        let first = req.unsigned_assertion(at(100), "j1").unwrap();
        let retry = req.unsigned_assertion(at(103), "j2").unwrap();
        assert_ne!(first.signing_input(), retry.signing_input());
        assert_eq!(assertion_claims(&req, "j1").jti, "j1");
        assert_eq!(assertion_claims(&req, "j2").jti, "j2");
    }

    #[test]
    fn assertion_audience_prefers_the_issuer_and_can_be_the_token_endpoint_c66() {
        let creds = ClientCredentials::private_key_jwt("svc", AssertionKey::new(Algorithm::Rs256));
        let plain = request(creds.clone());
        assert_eq!(
            assertion_claims(&plain, "j").aud,
            "https://as.example/token?tenant=t1"
        );
        let with_issuer =
            request(creds.clone()).with_issuer(Issuer::parse("https://as.example").unwrap());
        let claims = assertion_claims(&with_issuer, "j");
        assert_eq!(claims.aud, "https://as.example");
        assert_eq!((claims.iss.as_str(), claims.sub.as_str()), ("svc", "svc"));
        assert_eq!(claims.exp - claims.iat, 60);
        let endpoint =
            request(creds.with_assertion_audience(crate::jose::AssertionAudience::TokenEndpoint))
                .with_issuer(Issuer::parse("https://as.example").unwrap());
        assert_eq!(
            assertion_claims(&endpoint, "j").aud,
            "https://as.example/token?tenant=t1"
        );
    }

    #[test]
    fn a_method_refuses_the_other_kind_of_algorithm_and_a_missing_key() {
        let no_key = request(
            ClientCredentials::new("svc", "").with_auth_method(ClientAuthMethod::PrivateKeyJwt),
        );
        assert!(matches!(
            no_key.unsigned_assertion(at(0), "j"),
            Err(RequestError::AssertionKeyMissing)
        ));
        let hmac_key = request(ClientCredentials::private_key_jwt(
            "svc",
            AssertionKey::new(Algorithm::Hs256),
        ));
        insta::assert_snapshot!(hmac_key.unsigned_assertion(at(0), "j").unwrap_err(), @"private_key_jwt cannot sign with HS256");
        let rsa_secret = request(
            ClientCredentials::new("svc", "s")
                .with_auth_method(ClientAuthMethod::ClientSecretJwt)
                .with_assertion_key(AssertionKey::new(Algorithm::Rs256)),
        );
        assert!(rsa_secret.unsigned_assertion(at(0), "j").is_err());
        let basic = request(ClientCredentials::new("svc", "s"));
        insta::assert_snapshot!(basic.unsigned_assertion(at(0), "j").unwrap_err(), @"client_secret_basic does not send a client assertion");
    }

    #[test]
    fn key_thumbprint_is_part_of_the_request_identity() {
        let key = |t: &str| AssertionKey::new(Algorithm::Es256).with_thumbprint(t);
        let a = request(ClientCredentials::private_key_jwt("svc", key("t1"))).key();
        let b = request(ClientCredentials::private_key_jwt("svc", key("t2"))).key();
        assert_ne!(a.digest(), b.digest());
        assert!(a.canonical().ends_with(r#","t1"]"#), "{}", a.canonical());
        // The secret methods keep the digest they had (no thumbprint part).
        let basic = request(ClientCredentials::new("svc", "s").with_assertion_key(key("t1"))).key();
        assert!(basic.canonical().ends_with("[]]"), "{}", basic.canonical());
    }

    #[test]
    fn debug_never_prints_extra_parameter_values() {
        let req =
            request(ClientCredentials::new("a", "b")).with_extra_param("tenant_key", "tk-9f8e7d");
        for printed in [format!("{req:?}"), format!("{:?}", req.key())] {
            assert!(printed.contains("tenant_key"), "{printed}");
            assert!(!printed.contains("tk-9f8e7d"), "{printed}");
        }
    }

    #[test]
    fn digest_changes_with_every_non_secret_part_and_never_with_the_secret() {
        let base = || request(ClientCredentials::new("a", "s1"));
        let digest = base().key().digest();
        assert_eq!(digest.len(), 64);
        assert!(
            digest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(
            request(ClientCredentials::new("a", "s2")).key().digest(),
            digest
        );
        let variants = [
            TokenRequest::new(
                TokenUrl::parse("https://as.example/token?tenant=t2").unwrap(),
                ClientCredentials::new("a", "s1"),
            ),
            request(ClientCredentials::new("b", "s1")),
            request(
                ClientCredentials::new("a", "s1")
                    .with_auth_method(ClientAuthMethod::ClientSecretBasicUnencoded),
            ),
            request(ClientCredentials::new("a", "s1").with_scope(Scope::Read)),
            base().with_resource(Resource::new("urn:x").unwrap()),
            base().with_audience("api"),
            base().with_extra_param("tenant", "t1"),
            base().with_extra_param("tenant", "t2"),
        ];
        let mut seen = vec![digest];
        for variant in variants {
            let d = variant.key().digest();
            assert!(!seen.contains(&d), "{variant:?}");
            seen.push(d);
        }
    }
}
