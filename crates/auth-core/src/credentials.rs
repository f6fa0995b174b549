//! Who the client is: [`ClientId`], [`ClientSecret`], [`ClientAuthMethod`]
//! and the bundle [`ClientCredentials`] (RFC 6749 §2.3).

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

use crate::jose::{AssertionAudience, AssertionKey};
use crate::scope::{Scope, ScopeSet};

/// The client identifier issued at registration (RFC 6749 §2.2). Not a
/// secret: it is printed as it is.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    /// Wraps an identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientId").field(&self.0).finish()
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ClientId {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<String> for ClientId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

/// The client password (RFC 6749 §2.3.1). `Debug` and `Display` print
/// `[REDACTED]`; it is not `Serialize`; equality is constant-time; the memory
/// is zeroed on drop (secrecy). Read it with [`ClientSecret::expose_secret`].
#[derive(Clone)]
pub struct ClientSecret(SecretString);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(SecretString::from(secret.into()))
    }

    /// The secret itself; every call site is a place a secret leaves its box.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// True for the empty secret (RFC 6749 §2.3.1 lets a client omit it).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }
}

impl PartialEq for ClientSecret {
    /// Constant-time in the contents; the length may leak, as it does in
    /// every such comparison.
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret()
            .as_bytes()
            .ct_eq(other.expose_secret().as_bytes())
            .into()
    }
}

impl Eq for ClientSecret {}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([REDACTED])")
    }
}

impl fmt::Display for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl From<&str> for ClientSecret {
    fn from(secret: &str) -> Self {
        Self::new(secret)
    }
}

impl From<String> for ClientSecret {
    fn from(secret: String) -> Self {
        Self::new(secret)
    }
}

/// How the client proves its identity at the token endpoint (RFC 6749 §2.3,
/// names from RFC 7591 §2). Exactly one is used per request (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// HTTP Basic with id and secret each form-urlencoded first
    /// (RFC 6749 §2.3.1, Appendix B). The default: every server MUST support it.
    #[default]
    ClientSecretBasic,
    /// HTTP Basic over the raw `id:secret`, for providers that do not
    /// form-decode. An explicit escape hatch: it breaks on ids with `:` and on
    /// secrets with `+` or `%` at conforming servers.
    ClientSecretBasicUnencoded,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1, NOT
    /// RECOMMENDED by the RFC, but some providers require it).
    ClientSecretPost,
    /// A JWT signed with the client's private key (RS256, ES256 or `EdDSA`)
    /// as `client_assertion` (RFC 7523 §2.2, OIDC Core §9). The key's
    /// public identity is [`ClientCredentials::with_assertion_key`]; the
    /// signature comes from a signer (`auth-http`), never from this crate.
    PrivateKeyJwt,
    /// A JWT signed with HS256 keyed by the client secret, as
    /// `client_assertion` (RFC 7523 §2.2, OIDC Core §9). The secret never
    /// travels.
    ClientSecretJwt,
}

impl ClientAuthMethod {
    /// The RFC 7591 name (the unencoded variant reports `client_secret_basic`,
    /// which is what it claims to be on the wire).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic | Self::ClientSecretBasicUnencoded => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::ClientSecretJwt => "client_secret_jwt",
        }
    }

    /// True when credentials travel in the `Authorization` header.
    #[must_use]
    pub fn uses_authorization_header(self) -> bool {
        matches!(
            self,
            Self::ClientSecretBasic | Self::ClientSecretBasicUnencoded
        )
    }

    /// True for the signed-assertion methods (RFC 7523 §2.2): the request
    /// needs a [`ClientAssertion`](crate::jose::ClientAssertion).
    #[must_use]
    pub fn uses_assertion(self) -> bool {
        matches!(self, Self::PrivateKeyJwt | Self::ClientSecretJwt)
    }
}

impl ClientAuthMethod {
    /// Every method, in declaration order.
    pub const ALL: [ClientAuthMethod; 5] = [
        Self::ClientSecretBasic,
        Self::ClientSecretBasicUnencoded,
        Self::ClientSecretPost,
        Self::PrivateKeyJwt,
        Self::ClientSecretJwt,
    ];

    /// The configuration name: the RFC 7591 name, and
    /// `client_secret_basic_unencoded` for the escape hatch (which is not on
    /// the wire, so it needs a name of its own in settings and flags).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::ClientSecretBasicUnencoded => "client_secret_basic_unencoded",
            other => other.as_str(),
        }
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a [`ClientAuthMethod`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown client authentication method {0:?} (expected client_secret_basic, client_secret_post, client_secret_basic_unencoded, private_key_jwt or client_secret_jwt)"
)]
pub struct UnknownAuthMethod(pub String);

impl FromStr for ClientAuthMethod {
    type Err = UnknownAuthMethod;

    /// Parses a configuration name (see [`ClientAuthMethod::name`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|method| method.name() == s)
            .ok_or_else(|| UnknownAuthMethod(s.to_owned()))
    }
}

impl Serialize for ClientAuthMethod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ClientAuthMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Everything the client sends to prove itself and say what it wants:
/// id, secret, requested scopes and authentication method.
///
/// ```
/// use auth_core::{ClientAuthMethod, ClientCredentials, Scope};
/// let creds = ClientCredentials::new("my-service", "s3cret")
///     .with_scopes([Scope::DiscoveryRead, Scope::ServiceProfileRead])
///     .with_auth_method(ClientAuthMethod::ClientSecretPost);
/// assert_eq!(creds.scopes().to_string(), "discovery:read serviceprofile:read");
/// assert!(!format!("{creds:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    id: ClientId,
    secret: ClientSecret,
    scopes: ScopeSet,
    auth_method: ClientAuthMethod,
    assertion_key: Option<AssertionKey>,
    assertion_audience: AssertionAudience,
}

impl ClientCredentials {
    /// Credentials with no scopes and `client_secret_basic`.
    pub fn new(id: impl Into<ClientId>, secret: impl Into<ClientSecret>) -> Self {
        Self {
            id: id.into(),
            secret: secret.into(),
            scopes: ScopeSet::new(),
            auth_method: ClientAuthMethod::default(),
            assertion_key: None,
            assertion_audience: AssertionAudience::default(),
        }
    }

    /// Credentials for `private_key_jwt` (RFC 7523 §2.2): no secret, the
    /// public identity of the signing key (algorithm, `kid`, thumbprint).
    ///
    /// ```
    /// use auth_core::jose::{Algorithm, AssertionKey};
    /// use auth_core::{ClientAuthMethod, ClientCredentials};
    /// let creds = ClientCredentials::private_key_jwt("svc", AssertionKey::new(Algorithm::Es256).with_kid("k1"));
    /// assert_eq!(creds.auth_method(), ClientAuthMethod::PrivateKeyJwt);
    /// assert!(creds.secret().is_empty());
    /// ```
    pub fn private_key_jwt(id: impl Into<ClientId>, key: AssertionKey) -> Self {
        Self::new(id, "")
            .with_auth_method(ClientAuthMethod::PrivateKeyJwt)
            .with_assertion_key(key)
    }

    /// Sets the public identity of the key that signs assertions. Its
    /// thumbprint becomes part of the request identity.
    #[must_use]
    pub fn with_assertion_key(mut self, key: AssertionKey) -> Self {
        self.assertion_key = Some(key);
        self
    }

    /// Chooses the assertions' `aud` (default: the issuer when known, else
    /// the token endpoint URL; C-66).
    #[must_use]
    pub fn with_assertion_audience(mut self, audience: AssertionAudience) -> Self {
        self.assertion_audience = audience;
        self
    }

    /// The assertion key, if set.
    #[must_use]
    pub fn assertion_key(&self) -> Option<&AssertionKey> {
        self.assertion_key.as_ref()
    }

    /// The assertion audience choice.
    #[must_use]
    pub fn assertion_audience(&self) -> AssertionAudience {
        self.assertion_audience
    }

    /// Replaces the client id.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<ClientId>) -> Self {
        self.id = id.into();
        self
    }

    /// Replaces the secret.
    #[must_use]
    pub fn with_secret(mut self, secret: impl Into<ClientSecret>) -> Self {
        self.secret = secret.into();
        self
    }

    /// Replaces the requested scopes.
    #[must_use]
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes = scopes.into_iter().collect();
        self
    }

    /// Adds one requested scope.
    #[must_use]
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scopes.insert(scope);
        self
    }

    /// Replaces the authentication method.
    #[must_use]
    pub fn with_auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.auth_method = method;
        self
    }

    /// The client id.
    #[must_use]
    pub fn id(&self) -> &ClientId {
        &self.id
    }

    /// The secret (still redacted; call `expose_secret` on it to read it).
    #[must_use]
    pub fn secret(&self) -> &ClientSecret {
        &self.secret
    }

    /// The requested scopes.
    #[must_use]
    pub fn scopes(&self) -> &ScopeSet {
        &self.scopes
    }

    /// The authentication method.
    #[must_use]
    pub fn auth_method(&self) -> ClientAuthMethod {
        self.auth_method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let secret = ClientSecret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "ClientSecret([REDACTED])");
        assert_eq!(secret.to_string(), "[REDACTED]");
        let creds = ClientCredentials::new("id", secret);
        assert!(!format!("{creds:?}").contains("hunter2"));
        assert!(!format!("{creds:#?}").contains("hunter2"));
    }

    #[test]
    fn secrets_compare_by_value() {
        assert_eq!(ClientSecret::new("a"), ClientSecret::new("a"));
        assert_ne!(ClientSecret::new("a"), ClientSecret::new("b"));
        assert_ne!(ClientSecret::new("a"), ClientSecret::new("ab"));
    }

    #[test]
    fn builders_replace_each_field() {
        let creds = ClientCredentials::new("a", "s")
            .with_id("b")
            .with_secret("t")
            .with_scope(Scope::Read)
            .with_scope(Scope::Read)
            .with_auth_method(ClientAuthMethod::ClientSecretPost);
        assert_eq!(creds.id().as_str(), "b");
        assert_eq!(creds.secret().expose_secret(), "t");
        assert_eq!(creds.scopes().len(), 1);
        assert_eq!(creds.auth_method(), ClientAuthMethod::ClientSecretPost);
    }

    #[test]
    fn auth_method_names_round_trip() {
        for method in ClientAuthMethod::ALL {
            assert_eq!(method.name().parse::<ClientAuthMethod>(), Ok(method));
            let json = serde_json::to_string(&method).unwrap();
            assert_eq!(
                serde_json::from_str::<ClientAuthMethod>(&json).unwrap(),
                method
            );
        }
        assert_eq!(
            ClientAuthMethod::ClientSecretBasicUnencoded.as_str(),
            "client_secret_basic"
        );
        assert!("basic".parse::<ClientAuthMethod>().is_err());
    }

    #[test]
    fn default_method_is_client_secret_basic_rfc6749_2_3_1() {
        assert_eq!(
            ClientCredentials::new("a", "b").auth_method(),
            ClientAuthMethod::ClientSecretBasic
        );
    }
}
