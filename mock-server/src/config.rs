//! What the mock serves: clients, secrets, auth methods, scopes, lifetimes
//! and limits. Read from TOML (the binary) or built in code (tests).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use auth_core::jose::Algorithm;
use auth_core::{ClientAuthMethod, Implications, Resource, Scope, ScopeSet};
use serde::{Deserialize, Serialize};

use crate::admin_access::{AdminHost, AdminToken, MetricsToken, parse_network};
use crate::assertion::{
    AssertionAudience, AssertionMethod, ClientKey, DEFAULT_MAX_LIFETIME_SECS,
    DEFAULT_REPLAY_CAPACITY,
};
use crate::error::{ConfigError, Error};
use crate::extra_claim::ExtraClaim;
use crate::keys::Keys;

/// The embedded default configuration (checklist fixtures F1-F7 and a
/// client with every named scope of auth-core).
pub const DEFAULT_CONFIG: &str = include_str!("../default.toml");

/// The grant this provider issues tokens for (RFC 6749 §4.4).
pub(crate) const CLIENT_CREDENTIALS: &str = auth_core::GRANT_TYPE_CLIENT_CREDENTIALS;

/// The form of the access tokens the mock issues (`token_format`,
/// server-wide and per client).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenFormat {
    /// RFC 9068 JWT access tokens, signed with the `signing_alg` key and
    /// verifiable by any resource server through discovery and `/jwks`.
    #[default]
    Jwt,
    /// Opaque tokens under a per-server HMAC: only the mock can check
    /// them (introspection), and they are the fastest to mint.
    Opaque,
}

impl TokenFormat {
    /// The configuration name (`jwt`, `opaque`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Opaque => "opaque",
        }
    }
}

/// The whole configuration, as read from TOML.
///
/// ```
/// # fn main() -> Result<(), mock_server::Error> {
/// let config = mock_server::Config::from_toml(r#"
///     [[clients]]
///     id = "svc"
///     secret = "s3cret"
///     scopes = ["read"]
/// "#)?;
/// assert_eq!(config.clients.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Lifetime of issued tokens, in seconds (`expires_in`).
    #[serde(default = "default_lifetime")]
    pub token_lifetime_secs: u64,
    /// How many journal entries are kept (oldest dropped first).
    #[serde(default = "default_journal_capacity")]
    pub journal_capacity: usize,
    /// Largest accepted request body; larger bodies get 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Time for a request head to arrive (milliseconds): on a new
    /// connection from accept, on a kept-alive one from the head's first
    /// byte. The connection is closed after it.
    #[serde(default = "default_timeout_ms")]
    pub header_timeout_ms: u64,
    /// Time for a request body to arrive (milliseconds; 408 after).
    #[serde(default = "default_timeout_ms")]
    pub body_timeout_ms: u64,
    /// How long a kept-alive connection may wait for its next request
    /// (milliseconds); it is closed after.
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// How long a response write may make no progress (milliseconds): a
    /// peer that stops reading loses its connection after it.
    #[serde(default = "default_timeout_ms")]
    pub write_timeout_ms: u64,
    /// Most connections open at once; a connection accepted beyond it is
    /// closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// The bearer token the admin API (`/_mock/`) requires from every peer,
    /// loopback included. Without one, only loopback peers may use it.
    #[serde(default, skip_serializing)]
    pub admin_token: Option<AdminToken>,
    /// More `Host` values the admin API accepts (`name` for any port, or
    /// `name:port`), besides loopback names and the served address: the
    /// name other containers use, or a port mapped to another number.
    #[serde(default)]
    pub admin_hosts: Vec<String>,
    /// A read-only bearer token for a metrics scraper: it opens
    /// `GET /_mock/metrics` and nothing else (never the rest of the admin
    /// API). Must differ from `admin_token`.
    #[serde(default, skip_serializing)]
    pub metrics_token: Option<MetricsToken>,
    /// Networks (CIDRs such as `10.0.0.0/8`, or single addresses) whose
    /// peers may read `GET /_mock/metrics` without a token: a Prometheus
    /// in the same container network. The `Host` check still applies.
    #[serde(default)]
    pub metrics_scrapers: Vec<String>,
    /// Failed authentications per (client id, source IP) within
    /// `lockout_window_secs` before that pair gets 429 (S-68); 0 disables.
    #[serde(default = "default_lockout_failures")]
    pub lockout_failures: u32,
    /// The lockout window.
    #[serde(default = "default_lockout_window")]
    pub lockout_window_secs: u64,
    /// Failed authentications on unregistered client ids from one source
    /// within the window before the whole source gets 429 (spraying); 0
    /// disables. High enough that one misconfigured local service cannot
    /// lock out the others sharing 127.0.0.1.
    #[serde(default = "default_lockout_spray_failures")]
    pub lockout_spray_failures: u32,
    /// Most (client id, source) entries the lockout tracks (at least 1);
    /// locks on registered clients are never evicted to make room.
    #[serde(default = "default_lockout_capacity")]
    pub lockout_capacity: usize,
    /// The `realm` of every challenge.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Known RFC 8707 resource indicators (absolute URIs, no fragment).
    #[serde(default)]
    pub resources: Vec<String>,
    /// Declared scope implications the protected resource (`/resource`)
    /// honours: `implier = [implied, ...]`, so a token granted the implier
    /// passes where an implied scope is required. Chains are followed
    /// (`a ⇒ b` and `b ⇒ c` let `a` pass for `c`); nothing is inferred from
    /// names. Empty (the default): the check is literal set inclusion.
    /// Every scope is parsed by auth-core's parser as the file is read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scope_implications: BTreeMap<Scope, Vec<Scope>>,
    /// The form of issued tokens, for clients that do not name their own
    /// (default `jwt`).
    #[serde(default)]
    pub token_format: TokenFormat,
    /// The algorithm JWT access tokens are signed with: `RS256` (the
    /// default: RFC 9068 §2.1, what every resource server accepts),
    /// `ES256` or `EdDSA`.
    #[serde(default = "default_signing_alg")]
    pub signing_alg: Algorithm,
    /// Where the signing keys come from ([`Keys`]).
    #[serde(default)]
    pub keys: Keys,
    /// The JWT `aud` when a request names no RFC 8707 `resource`; absent:
    /// the mock's own protected resource (`{url}/resource`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_audience: Option<String>,
    /// Which `aud` a client assertion may carry: `issuer_or_token_endpoint`
    /// (the default) or `issuer` (the issuer alone, as a single string).
    #[serde(default)]
    pub assertion_audience: AssertionAudience,
    /// How far after now a client assertion's `exp` may be, in seconds.
    #[serde(default = "default_assertion_max_lifetime")]
    pub assertion_max_lifetime_secs: u64,
    /// Most client-assertion `jti` values remembered at once; when full of
    /// unexpired ones, assertions are refused (fail closed).
    #[serde(default = "default_assertion_replay_capacity")]
    pub assertion_replay_capacity: usize,
    /// The client registry.
    #[serde(default)]
    pub clients: Vec<ClientRegistration>,
}

fn default_assertion_max_lifetime() -> u64 {
    DEFAULT_MAX_LIFETIME_SECS
}
fn default_assertion_replay_capacity() -> usize {
    DEFAULT_REPLAY_CAPACITY
}

fn default_signing_alg() -> Algorithm {
    Algorithm::Rs256
}

fn default_lifetime() -> u64 {
    3600
}
fn default_journal_capacity() -> usize {
    // Enough for a test suite's story; small enough that the process stays
    // under 8 MB RSS under load (docs/mock-server.md, Performance).
    256
}
fn default_max_body() -> usize {
    64 * 1024
}
fn default_lockout_failures() -> u32 {
    10
}
fn default_lockout_window() -> u64 {
    60
}
fn default_lockout_spray_failures() -> u32 {
    crate::lockout::DEFAULT_SPRAY_FAILURES
}
fn default_lockout_capacity() -> usize {
    crate::lockout::DEFAULT_CAPACITY
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_idle_timeout_ms() -> u64 {
    // Longer than the 90 s a hyper, reqwest or Go client keeps an idle
    // connection (curl: 118 s): the client closes first and never sends a
    // request on a connection the server is closing.
    120_000
}
fn default_max_connections() -> usize {
    1024
}
fn default_realm() -> String {
    "mock".to_owned()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            token_lifetime_secs: default_lifetime(),
            journal_capacity: default_journal_capacity(),
            max_body_bytes: default_max_body(),
            header_timeout_ms: default_timeout_ms(),
            body_timeout_ms: default_timeout_ms(),
            idle_timeout_ms: default_idle_timeout_ms(),
            write_timeout_ms: default_timeout_ms(),
            max_connections: default_max_connections(),
            admin_token: None,
            admin_hosts: Vec::new(),
            metrics_token: None,
            metrics_scrapers: Vec::new(),
            lockout_failures: default_lockout_failures(),
            lockout_window_secs: default_lockout_window(),
            lockout_spray_failures: default_lockout_spray_failures(),
            lockout_capacity: default_lockout_capacity(),
            realm: default_realm(),
            resources: Vec::new(),
            scope_implications: BTreeMap::new(),
            token_format: TokenFormat::default(),
            signing_alg: default_signing_alg(),
            keys: Keys::default(),
            default_audience: None,
            assertion_audience: AssertionAudience::default(),
            assertion_max_lifetime_secs: default_assertion_max_lifetime(),
            assertion_replay_capacity: default_assertion_replay_capacity(),
            clients: Vec::new(),
        }
    }
}

impl Config {
    /// Parses and validates a TOML document. Errors name the field.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// The embedded default configuration: [`DEFAULT_CONFIG`], built in
    /// code. Parsing the TOML at every start was the largest user-space
    /// cost of `mock-server`'s start-up (docs/performance.md, Start-up);
    /// a unit test keeps the two equal, and that it validates.
    #[must_use]
    pub fn embedded() -> Self {
        let client = |id: &str, secret: &str, scopes: &[&str], default_scopes: &[&str]| {
            ClientRegistration::new(id, secret)
                .with_scopes(scopes.iter().copied())
                .with_default_scopes(default_scopes.iter().copied())
        };
        let read_write: &[&str] = &["read", "write"];
        Self {
            token_lifetime_secs: 3600,
            journal_capacity: 256,
            max_body_bytes: 65536,
            realm: "mock".to_owned(),
            resources: vec![
                "https://api.example.com/".to_owned(),
                "https://api2.example.com/".to_owned(),
            ],
            clients: vec![
                client("s6BhdRkqt3", "gX1fBat3bV", read_write, &["read"]),
                client("client:id+1", "a b+c/d%e&f=g:h~i", read_write, &["read"]),
                client("svc-1", "p\u{e4}ssw\u{f6}rd\u{20ac}", &["read"], &["read"]),
                client("cid", "~~~>?", &["read"], &["read"]),
                ClientRegistration::public("pub").with_scopes(["read"]),
                client("no-cc", "s3cret-no-cc", &["read"], &[])
                    .with_grant_types(["authorization_code"]),
                client("post-only", "s3cret-post", read_write, &["read"])
                    .with_auth_method(ClientAuthMethod::ClientSecretPost),
                // Every named scope of auth-core.
                ClientRegistration::new("dev-service", "dev-secret")
                    .with_scopes(Scope::NAMED.iter().map(Scope::as_str))
                    .with_default_scopes(["discovery:read"]),
            ],
            ..Self::default()
        }
    }

    /// The admin API's and the metrics scraper's settings.
    fn validate_access(&self) -> Result<(), ConfigError> {
        for (i, host) in self.admin_hosts.iter().enumerate() {
            if AdminHost::parse(host).is_none() {
                return Err(ConfigError::new(
                    format!("admin_hosts[{i}]"),
                    "not a host name or address, with an optional port",
                ));
            }
        }
        for (i, network) in self.metrics_scrapers.iter().enumerate() {
            if parse_network(network).is_none() {
                return Err(ConfigError::new(
                    format!("metrics_scrapers[{i}]"),
                    "not a CIDR (10.0.0.0/8, fd00::/8) or an IP address",
                ));
            }
        }
        if let (Some(metrics), Some(admin)) = (&self.metrics_token, &self.admin_token)
            && metrics.expose_secret() == admin.expose_secret()
        {
            // The read-only token would open the whole admin API.
            return Err(ConfigError::new(
                "metrics_token",
                "must differ from admin_token",
            ));
        }
        Ok(())
    }

    /// Checks every value that TOML's types cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.token_lifetime_secs == 0 {
            return Err(ConfigError::new(
                "token_lifetime_secs",
                "must be at least 1",
            ));
        }
        if self.journal_capacity == 0 {
            return Err(ConfigError::new("journal_capacity", "must be at least 1"));
        }
        for (field, value) in [
            ("header_timeout_ms", self.header_timeout_ms),
            ("body_timeout_ms", self.body_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
            ("write_timeout_ms", self.write_timeout_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        if self.max_connections == 0 {
            return Err(ConfigError::new("max_connections", "must be at least 1"));
        }
        if self.assertion_replay_capacity == 0 {
            return Err(ConfigError::new(
                "assertion_replay_capacity",
                "must be at least 1",
            ));
        }
        if self.assertion_max_lifetime_secs == 0 {
            return Err(ConfigError::new(
                "assertion_max_lifetime_secs",
                "must be at least 1",
            ));
        }
        if self.lockout_capacity == 0 {
            return Err(ConfigError::new("lockout_capacity", "must be at least 1"));
        }
        self.validate_access()?;
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::new("max_body_bytes", "must be at least 1024"));
        }
        if !self
            .realm
            .chars()
            .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\')
        {
            return Err(ConfigError::new(
                "realm",
                "must be printable ASCII without quote or backslash",
            ));
        }
        for (i, resource) in self.resources.iter().enumerate() {
            Resource::new(resource.as_str()).map_err(|_| {
                ConfigError::new(
                    format!("resources[{i}]"),
                    "not an absolute URI without fragment",
                )
            })?;
        }
        if !self.signing_alg.is_asymmetric() {
            return Err(ConfigError::new(
                "signing_alg",
                "must be RS256, ES256 or EdDSA: resource servers verify with a public key",
            ));
        }
        if let Some(audience) = &self.default_audience {
            Resource::new(audience.as_str()).map_err(|_| {
                ConfigError::new("default_audience", "not an absolute URI without fragment")
            })?;
        }
        let mut seen = std::collections::HashSet::new();
        for client in &self.clients {
            client.validate()?;
            if !seen.insert(client.id.as_str()) {
                return Err(ConfigError::new(
                    format!("clients[{}].id", client.id),
                    "registered twice",
                ));
            }
        }
        Ok(())
    }

    /// Token lifetime as a duration.
    #[must_use]
    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.token_lifetime_secs)
    }

    /// [`scope_implications`](Self::scope_implications) as auth-core's
    /// [`Implications`] (none when the table is empty).
    pub(crate) fn implications(&self) -> Implications {
        self.scope_implications
            .iter()
            .flat_map(|(implier, implied)| implied.iter().map(move |to| (implier, to)))
            .fold(Implications::new(), |all, (from, to)| {
                all.with(from.clone(), to.clone())
            })
    }
}

/// One registered client.
///
/// ```
/// use mock_server::ClientRegistration;
/// let client = ClientRegistration::new("svc", "s3cret")
///     .with_scopes(["read", "write"])
///     .with_default_scopes(["read"])
///     .with_auth_method(auth_core::ClientAuthMethod::ClientSecretPost);
/// assert_eq!(client.id(), "svc");
/// assert!(!format!("{client:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRegistration {
    id: String,
    /// Absent for a public client.
    #[serde(default, skip_serializing)]
    secret: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    default_scopes: Vec<String>,
    #[serde(default)]
    auth_method: Method,
    /// Public keys verifying `private_key_jwt` assertions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    public_keys: Vec<ClientKey>,
    #[serde(default = "default_grant_types")]
    grant_types: Vec<String>,
    /// Claims added to its JWT access tokens (names in order).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    extra_claims: BTreeMap<String, ExtraClaim>,
    /// The form of this client's tokens; absent: the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_format: Option<TokenFormat>,
}

/// A registered method: a secret one, or a signed assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Secret(ClientAuthMethod),
    Assertion(AssertionMethod),
}

impl From<ClientAuthMethod> for Method {
    fn from(method: ClientAuthMethod) -> Self {
        match method {
            ClientAuthMethod::PrivateKeyJwt => Self::Assertion(AssertionMethod::PrivateKeyJwt),
            ClientAuthMethod::ClientSecretJwt => Self::Assertion(AssertionMethod::ClientSecretJwt),
            other => Self::Secret(other),
        }
    }
}

impl Default for Method {
    fn default() -> Self {
        Self::Secret(ClientAuthMethod::default())
    }
}

impl Serialize for Method {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Secret(method) => method.serialize(serializer),
            Self::Assertion(method) => method.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if let Some(method) = AssertionMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
        {
            return Ok(Self::Assertion(method));
        }
        name.parse::<ClientAuthMethod>()
            .map(Self::from)
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "unknown client authentication method {name:?} (expected client_secret_basic, \
                 client_secret_post, client_secret_basic_unencoded, private_key_jwt or \
                 client_secret_jwt)"
                ))
            })
    }
}

fn default_grant_types() -> Vec<String> {
    vec![CLIENT_CREDENTIALS.to_owned()]
}

impl fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| "[REDACTED]"))
            .field("scopes", &self.scopes)
            .field("default_scopes", &self.default_scopes)
            .field("auth_method", &self.auth_method)
            .field("public_keys", &self.public_keys.len())
            .field("grant_types", &self.grant_types)
            .field("extra_claims", &self.extra_claims)
            .field("token_format", &self.token_format)
            .finish()
    }
}

impl ClientRegistration {
    /// A confidential client using `client_secret_basic`, allowed the
    /// client-credentials grant, with no scopes yet.
    #[must_use]
    pub fn new(id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            secret: Some(secret.into()),
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            auth_method: Method::default(),
            public_keys: Vec::new(),
            grant_types: default_grant_types(),
            extra_claims: BTreeMap::new(),
            token_format: None,
        }
    }

    /// A public client (no secret; RFC 6749 §4.4 refuses it the grant).
    #[must_use]
    pub fn public(id: impl Into<String>) -> Self {
        Self {
            secret: None,
            ..Self::new(id, "")
        }
    }

    /// The scopes it may be granted (each parsed as an [`auth_core::Scope`] at start).
    #[must_use]
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The scopes granted when a request names none (RFC 6749 §3.3).
    #[must_use]
    pub fn with_default_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.default_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The registered `token_endpoint_auth_method` (RFC 7591 §2), enforced.
    /// [`ClientAuthMethod::ClientSecretBasicUnencoded`] is the opt-in
    /// `lenient-basic` quirk: Basic credentials are also accepted without
    /// the RFC 6749 §2.3.1 form-encoding.
    #[must_use]
    pub fn with_auth_method(mut self, method: ClientAuthMethod) -> Self {
        self.auth_method = Method::from(method);
        self
    }

    /// Registers the client for a signed-assertion method (RFC 7523):
    /// `private_key_jwt` needs [`with_public_key`](Self::with_public_key),
    /// `client_secret_jwt` the secret.
    ///
    /// ```
    /// use mock_server::{AssertionMethod, ClientKey, ClientRegistration};
    /// let client = ClientRegistration::new("svc", "unused")
    ///     .with_assertion_method(AssertionMethod::PrivateKeyJwt)
    ///     .with_public_key(ClientKey::Text("client.pub.pem".into()));
    /// assert_eq!(client.assertion_method(), Some(AssertionMethod::PrivateKeyJwt));
    /// ```
    #[must_use]
    pub fn with_assertion_method(mut self, method: AssertionMethod) -> Self {
        self.auth_method = Method::Assertion(method);
        self
    }

    /// Adds a public key (or set) verifying the client's assertions.
    #[must_use]
    pub fn with_public_key(mut self, key: ClientKey) -> Self {
        self.public_keys.push(key);
        self
    }

    /// The registered assertion method, if the client uses one.
    #[must_use]
    pub fn assertion_method(&self) -> Option<AssertionMethod> {
        match self.auth_method {
            Method::Assertion(method) => Some(method),
            Method::Secret(_) => None,
        }
    }

    /// The registered name (RFC 7591 `token_endpoint_auth_method`).
    #[must_use]
    pub fn auth_method_name(&self) -> &'static str {
        match self.auth_method {
            Method::Secret(method) => method.name(),
            Method::Assertion(method) => method.as_str(),
        }
    }

    /// The grant types it may use (default: `client_credentials`).
    #[must_use]
    pub fn with_grant_types<I, S>(mut self, grant_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grant_types = grant_types.into_iter().map(Into::into).collect();
        self
    }

    /// Adds (or replaces) a claim of its JWT access tokens; `sub` may be
    /// replaced, the claims in [`RESERVED_CLAIMS`](crate::RESERVED_CLAIMS)
    /// may not (checked at start, or by [`validate`](Self::validate)).
    #[must_use]
    pub fn with_extra_claim(mut self, name: impl Into<String>, claim: ExtraClaim) -> Self {
        self.extra_claims.insert(name.into(), claim);
        self
    }

    /// Replaces all the extra claims of its JWT access tokens.
    #[must_use]
    pub fn with_extra_claims(mut self, claims: BTreeMap<String, ExtraClaim>) -> Self {
        self.extra_claims = claims;
        self
    }

    /// The extra claims of its JWT access tokens, by name.
    #[must_use]
    pub fn extra_claims(&self) -> &BTreeMap<String, ExtraClaim> {
        &self.extra_claims
    }

    /// The form of this client's tokens, whatever the server's default.
    #[must_use]
    pub fn with_token_format(mut self, format: TokenFormat) -> Self {
        self.token_format = Some(format);
        self
    }

    /// The form of this client's tokens, if it names one.
    #[must_use]
    pub fn token_format(&self) -> Option<TokenFormat> {
        self.token_format
    }

    /// The client id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret (`None` for a public client). A dev mock's secret.
    #[must_use]
    pub fn expose_secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }

    /// The registered authentication method.
    #[must_use]
    pub fn auth_method(&self) -> ClientAuthMethod {
        match self.auth_method {
            Method::Secret(method) => method,
            Method::Assertion(AssertionMethod::PrivateKeyJwt) => ClientAuthMethod::PrivateKeyJwt,
            Method::Assertion(_) => ClientAuthMethod::ClientSecretJwt,
        }
    }

    /// The scopes as written.
    #[must_use]
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The scopes granted when a request names none, as written.
    #[must_use]
    pub fn default_scopes(&self) -> &[String] {
        &self.default_scopes
    }

    /// The grant types as written.
    #[must_use]
    pub fn grant_types(&self) -> &[String] {
        &self.grant_types
    }

    /// Checks ids and scopes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.resolve().map(|_| ())
    }

    pub(crate) fn resolve(&self) -> Result<Resolved, ConfigError> {
        let field = |name: &str| format!("clients[{}].{name}", self.id);
        if self.id.is_empty() {
            return Err(ConfigError::new("clients[].id", "must not be empty"));
        }
        let parse = |name: &str, list: &[String]| -> Result<ScopeSet, ConfigError> {
            list.iter()
                .map(|s| Scope::new(s).map_err(|e| ConfigError::new(field(name), e.to_string())))
                .collect()
        };
        let scopes = parse("scopes", &self.scopes)?;
        let default_scopes = parse("default_scopes", &self.default_scopes)?;
        if !scopes.is_superset(&default_scopes) {
            return Err(ConfigError::new(
                field("default_scopes"),
                "must be a subset of scopes",
            ));
        }
        if self.grant_types.iter().any(String::is_empty) {
            return Err(ConfigError::new(
                field("grant_types"),
                "must not contain an empty name",
            ));
        }
        crate::extra_claim::validate(&self.id, &self.extra_claims)?;
        let mut keys = Vec::new();
        for (i, key) in self.public_keys.iter().enumerate() {
            keys.extend(
                key.load()
                    .map_err(|e| ConfigError::new(field(&format!("public_keys[{i}]")), e))?,
            );
        }
        match self.auth_method {
            Method::Assertion(AssertionMethod::PrivateKeyJwt) if keys.is_empty() => {
                return Err(ConfigError::new(
                    field("public_keys"),
                    "private_key_jwt needs at least one public key (PEM, JWK or JWK Set)",
                ));
            }
            Method::Assertion(AssertionMethod::ClientSecretJwt)
                if self.secret.as_deref().is_none_or(str::is_empty) =>
            {
                return Err(ConfigError::new(
                    field("secret"),
                    "client_secret_jwt needs the secret (the HS256 key)",
                ));
            }
            // Kept, unused, for another method: the admin API may switch it.
            _ => {}
        }
        Ok(Resolved {
            scopes,
            default_scopes,
            keys,
        })
    }
}

pub(crate) struct Resolved {
    pub(crate) scopes: ScopeSet,
    pub(crate) default_scopes: ScopeSet,
    pub(crate) keys: Vec<auth_core::jose::Jwk>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn embedded_config_is_the_default_toml_without_parsing_it() {
        let parsed = Config::from_toml(DEFAULT_CONFIG).expect("embedded config is valid");
        let built = Config::embedded();
        built.validate().expect("the built config is valid");
        // Serialization shows every setting but the secrets (skipped);
        // `ClientRegistration`'s `PartialEq` compares the secrets too.
        assert_eq!(
            serde_json::to_value(&built).expect("serializes"),
            serde_json::to_value(&parsed).expect("serializes")
        );
        assert_eq!(built.clients, parsed.clients);
        assert!(built.admin_token.is_none() && built.metrics_token.is_none());
    }

    #[test]
    fn embedded_config_parses_and_holds_the_fixtures() {
        let config = Config::from_toml(DEFAULT_CONFIG).expect("embedded config is valid");
        let ids: Vec<&str> = config.clients.iter().map(ClientRegistration::id).collect();
        for id in [
            "s6BhdRkqt3",
            "client:id+1",
            "svc-1",
            "cid",
            "pub",
            "no-cc",
            "post-only",
        ] {
            assert!(ids.contains(&id), "{id} missing");
        }
    }

    #[test]
    fn bad_scope_names_the_field() {
        let err =
            Config::from_toml("[[clients]]\nid = \"x\"\nsecret = \"y\"\nscopes = [\"a b\"]\n")
                .unwrap_err();
        assert!(err.to_string().contains("clients[x].scopes"), "{err}");
    }

    #[test]
    fn connection_limits_and_admin_access_are_read_and_checked() {
        let config = Config::from_toml(
            "admin_token = \"t0k3n-for-ci\"\nadmin_hosts = [\"mock\", \"localhost:18080\"]\n\
             max_connections = 8\nidle_timeout_ms = 5\nwrite_timeout_ms = 6\n",
        )
        .unwrap();
        assert_eq!(config.max_connections, 8);
        assert_eq!((config.idle_timeout_ms, config.write_timeout_ms), (5, 6));
        assert_eq!(
            config.admin_token.as_ref().map(AdminToken::expose_secret),
            Some("t0k3n-for-ci")
        );
        assert!(!format!("{config:?}").contains("t0k3n"));
        assert!(!toml::to_string(&config).unwrap().contains("t0k3n"));
        let defaults = Config::default();
        assert_eq!(defaults.max_connections, 1024);
        assert!(defaults.admin_token.is_none());
        for (text, field) in [
            ("admin_token = \"two words\"", "admin_token"),
            ("admin_token = \"\"", "admin_token"),
            ("admin_hosts = [\"user@mock\"]", "admin_hosts[0]"),
            ("admin_hosts = [\"mock:port\"]", "admin_hosts[0]"),
            ("max_connections = 0", "max_connections"),
            ("idle_timeout_ms = 0", "idle_timeout_ms"),
            ("write_timeout_ms = 0", "write_timeout_ms"),
        ] {
            let err = Config::from_toml(text).unwrap_err();
            assert!(err.to_string().contains(field), "{text}: {err}");
        }
    }

    #[test]
    fn unknown_field_names_the_field() {
        let err = Config::from_toml("[[clients]]\nid = \"x\"\nsecert = \"y\"\n").unwrap_err();
        assert!(err.to_string().contains("secert"), "{err}");
    }

    #[test]
    fn extra_claims_are_read_per_client_and_a_reserved_one_is_a_config_error() {
        let config = Config::from_toml(
            "[[clients]]\nid = \"svc\"\nsecret = \"s\"\n\
             extra_claims = { sub = \"custom\", tid = { from_param = \"tenant\" } }\n",
        )
        .unwrap();
        let claims = config.clients[0].extra_claims();
        assert_eq!(claims["tid"], ExtraClaim::from_param("tenant"));
        assert_eq!(claims["sub"], ExtraClaim::Fixed("custom".into()));
        let error = Config::from_toml(
            "[[clients]]\nid = \"svc\"\nsecret = \"s\"\nextra_claims = { iss = \"https://evil\" }\n",
        )
        .unwrap_err();
        assert!(
            matches!(&error, Error::Config(e) if e.field == "clients[svc].extra_claims.iss"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "invalid configuration: clients[svc].extra_claims.iss: is set by the mock and cannot be overridden"
        );
    }
}
