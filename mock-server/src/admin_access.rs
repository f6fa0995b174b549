//! Who may use the admin API under `/_mock/` ([`AdminAccess`]): a web page
//! the developer visits must not drive it, a DNS-rebound name must not reach
//! it, and a peer beyond loopback needs the admin token.
//!
//! Checks, in order:
//! 1. `Host` (or the absolute-form target's authority, RFC 9112 §3.2.2) is
//!    a loopback name (`localhost`, `127.x.y.z`, `[::1]`) or the address the
//!    connection was accepted on, with the served port, or one of
//!    `admin_hosts`: else 403. A rebound name (`evil.example` resolving to
//!    127.0.0.1) carries its own name in `Host` (the DNS-rebinding guard of
//!    Kubernetes' and Jupyter's local servers, and of Vite's dev server).
//! 2. With an [`AdminToken`]: `Authorization: Bearer <token>` from every
//!    peer, loopback included, compared in constant time; else 401 with a
//!    `WWW-Authenticate: Bearer` challenge (RFC 6750 §3). Without one: the
//!    peer must be on loopback; else 403. A browser on the web console
//!    carries the token as the console session cookie instead
//!    ([`AdminAccess::session_cookie`], set once by the console's sign-in
//!    form: `HttpOnly; SameSite=Strict; Path=/_mock`, the token never in a
//!    URL); a write so authenticated also needs an `Origin` naming this
//!    server (as Django's and Rails' CSRF checks do), else 403.
//! 3. A method that is not safe (POST, DELETE, ...) carries
//!    `Content-Type: application/json` (parameters allowed), even with an
//!    empty body; else 415. A browser sends that cross-site only after a
//!    CORS preflight, and the mock grants none (it never sends
//!    `Access-Control-Allow-*`): a page's `text/plain` "simple request"
//!    never gets through.
//!
//! `GET /_mock/metrics` ([`AdminAccess::admit_scrape`]) passes the same
//! checks, or, after the `Host` check, admits a scraper: a peer in one of
//! `metrics_scrapers` (CIDRs), or `Authorization: Bearer` with the
//! [`MetricsToken`] (constant time). That token opens the metrics and
//! nothing else: every other admin path checks the admin token only.

use std::fmt;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, ORIGIN, WWW_AUTHENTICATE};
use http::uri::Authority;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use ipnet::IpNet;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ConfigError;
use crate::reply::{self, Reply};

/// The media type every admin write must declare.
const JSON: &str = "application/json";
/// Longest admin token accepted (a header line stays well under the 16 KiB
/// head limit).
const MAX_TOKEN_BYTES: usize = 1024;

/// What the console session value is the HMAC of.
const SESSION_LABEL: &[u8] = b"mock-server console session v1";

/// The console session cookie's name, per port: two mocks on one host (a
/// browser keeps cookies per host, not per port) keep their own.
pub(crate) fn session_cookie_name(port: u16) -> String {
    format!("mock_console_{port}")
}

/// The bearer token of the admin API (`--admin-token`, `MOCK_ADMIN_TOKEN`,
/// `admin_token` in the config file): 1 to 1024 visible ASCII characters.
/// `Debug` is redacted and there is no `Display`.
///
/// ```
/// # fn main() -> Result<(), mock_server::ConfigError> {
/// let token = mock_server::AdminToken::new("k3y-for-ci")?;
/// assert!(!format!("{token:?}").contains("k3y"));
/// assert_eq!(token.expose_secret(), "k3y-for-ci");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AdminToken(String);

/// Checks a bearer token's characters: `Authorization: Bearer <token>`
/// must carry it as it is. `field` names it in the error.
fn checked_token(token: String, field: &'static str) -> Result<String, ConfigError> {
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(ConfigError::new(field, "must be 1 to 1024 characters"));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::new(
            field,
            "must be visible ASCII without spaces",
        ));
    }
    Ok(token)
}

/// Compares digests in constant time: neither where a guess differs nor
/// its length shows in the timing.
fn token_matches(expected: &str, presented: &[u8]) -> bool {
    let expected = Sha256::digest(expected.as_bytes());
    let presented = Sha256::digest(presented);
    expected.as_slice().ct_eq(presented.as_slice()).into()
}

impl AdminToken {
    /// Checks the characters: `Authorization: Bearer <token>` must carry
    /// it as it is.
    pub fn new(token: impl Into<String>) -> Result<Self, ConfigError> {
        checked_token(token.into(), "admin_token").map(Self)
    }

    /// The token itself.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The console session value: HMAC-SHA-256 of a fixed label under the
    /// token, in hex. It stands for the token in a cookie (a cookie jar or
    /// a log that shows it does not show the token) and changes with it.
    fn session(&self) -> String {
        use hmac::Mac as _;
        let mut mac = crate::state::keyed(self.0.as_bytes());
        mac.update(SESSION_LABEL);
        mac.finalize()
            .into_bytes()
            .iter()
            .fold(String::with_capacity(64), |mut hex, byte| {
                let _ = write!(hex, "{byte:02x}");
                hex
            })
    }

    /// Compares digests in constant time: neither where a guess differs
    /// nor its length shows in the timing.
    fn matches(&self, presented: &[u8]) -> bool {
        token_matches(&self.0, presented)
    }
}

impl TryFrom<String> for AdminToken {
    type Error = ConfigError;

    fn try_from(token: String) -> Result<Self, ConfigError> {
        Self::new(token)
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken([REDACTED])")
    }
}

/// The read-only bearer token of a metrics scraper (`--metrics-token`,
/// `MOCK_METRICS_TOKEN`, `metrics_token` in the config file): it opens
/// `GET /_mock/metrics` and nothing else. 1 to 1024 visible ASCII
/// characters; `Debug` is redacted and there is no `Display`.
///
/// ```
/// # fn main() -> Result<(), mock_server::ConfigError> {
/// let token = mock_server::MetricsToken::new("scrape-only")?;
/// assert!(!format!("{token:?}").contains("scrape"));
/// assert_eq!(token.expose_secret(), "scrape-only");
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Checks the characters, as [`AdminToken::new`] does.
    pub fn new(token: impl Into<String>) -> Result<Self, ConfigError> {
        checked_token(token.into(), "metrics_token").map(Self)
    }

    /// The token itself.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    fn matches(&self, presented: &[u8]) -> bool {
        token_matches(&self.0, presented)
    }
}

impl TryFrom<String> for MetricsToken {
    type Error = ConfigError;

    fn try_from(token: String) -> Result<Self, ConfigError> {
        Self::new(token)
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken([REDACTED])")
    }
}

/// One `metrics_scrapers` entry: a CIDR (`10.0.0.0/8`, `fd00::/8`) or a
/// single address.
pub(crate) fn parse_network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|net| net.trunc())
}

/// One `admin_hosts` entry: a name, an IP literal (`[v6]`), and an optional
/// port (any port without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdminHost {
    host: String,
    port: Option<u16>,
}

impl AdminHost {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let authority = parse_authority(text)?;
        Some(Self {
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16(),
        })
    }
}

/// An authority as a `Host` header may carry it: no user info, a numeric port.
fn parse_authority(text: &str) -> Option<Authority> {
    if text.contains('@') {
        return None;
    }
    let authority = text.parse::<Authority>().ok()?;
    // `http` accepts any port text (`port()` is then `None`): after the
    // host comes nothing, or `:` and a number.
    let rest = authority.as_str().get(authority.host().len()..)?;
    let port_ok = rest.is_empty()
        || rest
            .strip_prefix(':')
            .is_some_and(|p| p.parse::<u16>().is_ok());
    (!authority.host().is_empty() && port_ok).then_some(authority)
}

/// The admin API's access rules, fixed at start.
#[derive(Debug)]
pub(crate) struct AdminAccess {
    token: Option<AdminToken>,
    hosts: Vec<AdminHost>,
    /// Opens `/_mock/metrics` only.
    metrics_token: Option<MetricsToken>,
    /// Peers that may read `/_mock/metrics` without a token.
    scrapers: Vec<IpNet>,
}

/// The parts of a request the rules look at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller<'a> {
    /// The peer's address.
    pub(crate) peer: SocketAddr,
    /// The address the connection was accepted on.
    pub(crate) local: SocketAddr,
    /// Whether the connection is TLS (the default port of a `Host` without one).
    pub(crate) secure: bool,
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
}

impl AdminAccess {
    /// `hosts` are validated config entries (invalid ones are skipped).
    pub(crate) fn new(token: Option<AdminToken>, hosts: &[String]) -> Self {
        Self {
            token,
            hosts: hosts.iter().filter_map(|h| AdminHost::parse(h)).collect(),
            metrics_token: None,
            scrapers: Vec::new(),
        }
    }

    /// Adds the scraper options of `/_mock/metrics`; `networks` are
    /// validated config entries (invalid ones are skipped).
    #[must_use]
    pub(crate) fn with_scrapers(
        mut self,
        token: Option<MetricsToken>,
        networks: &[String],
    ) -> Self {
        self.metrics_token = token;
        self.scrapers = networks.iter().filter_map(|n| parse_network(n)).collect();
        self
    }

    /// `Ok` when the caller may read `/_mock/metrics`: the `Host` check,
    /// then a scraper network, the metrics token, or the admin API's own
    /// rules. With a metrics token configured, a caller refused for want
    /// of credentials gets 401 and a Bearer challenge (a token would
    /// admit it), not 403.
    pub(crate) fn admit_scrape(&self, caller: &Caller<'_>) -> Result<(), Box<Reply>> {
        if !self.is_allowed_host(caller) {
            return Err(wrong_host());
        }
        let peer = caller.peer.ip().to_canonical();
        if self.scrapers.iter().any(|net| net.contains(&peer)) {
            return Ok(());
        }
        let presented = bearer(caller.headers);
        if let (Some(token), Some(presented)) = (&self.metrics_token, presented)
            && token.matches(presented)
        {
            return Ok(());
        }
        match self.admit(caller) {
            Err(refusal)
                if self.metrics_token.is_some() && refusal.status() == StatusCode::FORBIDDEN =>
            {
                Err(unauthorized(presented.is_some()))
            }
            result => result,
        }
    }

    /// `Ok` when the caller may use the admin API; else the refusal to send.
    pub(crate) fn admit(&self, caller: &Caller<'_>) -> Result<(), Box<Reply>> {
        // The Host rule, and without a token a loopback peer.
        self.admit_page(caller)?;
        let mut by_cookie = false;
        if let Some(token) = &self.token {
            match bearer(caller.headers) {
                Some(presented) if token.matches(presented) => {}
                None if self.has_session(caller) => by_cookie = true,
                presented => return Err(unauthorized(presented.is_some())),
            }
        }
        if !caller.method.is_safe() && !is_json(caller.headers) {
            return Err(refusal(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "admin writes need content-type: application/json, even with an empty body",
            ));
        }
        if by_cookie && !caller.method.is_safe() && !is_same_origin(caller) {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a write signed in by the console cookie needs an Origin naming this server",
            ));
        }
        Ok(())
    }

    /// Whether the caller may load the console's page and assets (they hold
    /// no data): the `Host` rule, and without a token a loopback peer. With
    /// a token anyone may: the page asks for it.
    pub(crate) fn admit_page(&self, caller: &Caller<'_>) -> Result<(), Box<Reply>> {
        if !self.is_allowed_host(caller) {
            return Err(wrong_host());
        }
        if self.token.is_none() && !is_loopback(caller.peer.ip()) {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "forbidden",
                "without an admin token the admin API answers loopback peers only",
            ));
        }
        Ok(())
    }

    /// Whether an admin token is configured.
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The console's sign-in: with the right token (compared in constant
    /// time), from this server's own page (`Host` rule; an `Origin`, when
    /// sent, names this server), the session cookie to set; else `None`.
    pub(crate) fn sign_in(&self, caller: &Caller<'_>, presented: &str) -> Option<String> {
        let token = self.token.as_ref()?;
        let from_here = self.is_allowed_host(caller)
            && (caller.headers.get(ORIGIN).is_none() || is_same_origin(caller));
        if !from_here || !token.matches(presented.trim().as_bytes()) {
            return None;
        }
        let secure = if caller.secure { "; Secure" } else { "" };
        Some(format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/_mock{secure}",
            session_cookie_name(caller.local.port()),
            token.session()
        ))
    }

    /// A `Cookie` header carries this server's console session for the token.
    fn has_session(&self, caller: &Caller<'_>) -> bool {
        let Some(token) = &self.token else {
            return false;
        };
        let name = session_cookie_name(caller.local.port());
        let expected = token.session();
        caller
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(n, v)| n == name && bool::from(v.as_bytes().ct_eq(expected.as_bytes())))
    }

    fn is_allowed_host(&self, caller: &Caller<'_>) -> bool {
        let Some(authority) = target_authority(caller.uri, caller.headers) else {
            return false;
        };
        let host = authority.host().to_ascii_lowercase();
        let default_port = if caller.secure { 443 } else { 80 };
        let port = authority.port_u16().unwrap_or(default_port);
        let ip = parse_ip(&host);
        let served = port == caller.local.port()
            && (host == "localhost"
                || ip.is_some_and(|ip| is_loopback(ip) || ip == caller.local.ip().to_canonical()));
        served
            || self
                .hosts
                .iter()
                .any(|h| h.host == host && h.port.is_none_or(|p| p == port))
    }
}

/// The authority a request names: the absolute-form target's, else the one
/// `Host` header (none, two, or a malformed one: `None`).
fn target_authority(uri: &Uri, headers: &HeaderMap) -> Option<Authority> {
    if let Some(authority) = uri.authority() {
        return parse_authority(authority.as_str());
    }
    let mut hosts = headers.get_all(HOST).iter();
    let host = hosts.next()?;
    if hosts.next().is_some() {
        return None;
    }
    parse_authority(host.to_str().ok()?)
}

/// One `Origin` whose scheme is this connection's and whose authority is
/// the one the request targets (RFC 6454 §7: the page that sent it is
/// this server's own).
fn is_same_origin(caller: &Caller<'_>) -> bool {
    let mut origins = caller.headers.get_all(ORIGIN).iter();
    let (Some(origin), None) = (origins.next(), origins.next()) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let scheme = if caller.secure { "https://" } else { "http://" };
    let Some(authority) = origin.strip_prefix(scheme).and_then(parse_authority) else {
        return false;
    };
    let Some(target) = target_authority(caller.uri, caller.headers) else {
        return false;
    };
    let default_port = if caller.secure { 443 } else { 80 };
    authority.host().eq_ignore_ascii_case(target.host())
        && authority.port_u16().unwrap_or(default_port) == target.port_u16().unwrap_or(default_port)
}

/// `127.0.0.1`, `[::1]` (brackets optional here) and the like.
fn parse_ip(host: &str) -> Option<IpAddr> {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// `127.0.0.0/8` and `::1`, also as IPv4-mapped IPv6 (a dual-stack listener).
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The token of the one `Authorization: Bearer` header (scheme in any case,
/// RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?.as_bytes();
    if values.next().is_some() {
        return None;
    }
    let space = value.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// One `Content-Type` whose media type is `application/json` (any case,
/// any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

fn wrong_host() -> Box<Reply> {
    refusal(
        StatusCode::FORBIDDEN,
        "forbidden",
        "the Host header must name this server or a loopback address, with its port",
    )
}

fn refusal(status: StatusCode, error: &str, description: &str) -> Box<Reply> {
    Box::new(reply::no_store(reply::json(
        status,
        serde_json::json!({ "error": error, "error_description": description }).to_string(),
    )))
}

/// 401 with a Bearer challenge; `invalid_token` when one was presented
/// (RFC 6750 §3.1).
fn unauthorized(presented: bool) -> Box<Reply> {
    let (challenge, description) = if presented {
        (
            r#"Bearer realm="mock-admin", error="invalid_token""#,
            "the admin token is wrong",
        )
    } else {
        (
            r#"Bearer realm="mock-admin""#,
            "the admin API needs authorization: Bearer <admin token>",
        )
    };
    let mut reply = refusal(StatusCode::UNAUTHORIZED, "unauthorized", description);
    reply
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    reply
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    const LOCAL: &str = "127.0.0.1:8080";

    fn status(
        access: &AdminAccess,
        peer: &str,
        local: &str,
        method: &Method,
        headers: &[(&str, &str)],
    ) -> u16 {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let uri = Uri::from_static("/_mock/reset");
        let caller = Caller {
            peer: peer.parse().unwrap(),
            local: local.parse().unwrap(),
            secure: false,
            method,
            uri: &uri,
            headers: &map,
        };
        match access.admit(&caller) {
            Ok(()) => 200,
            Err(reply) => reply.status().as_u16(),
        }
    }

    /// The status `admit_scrape` (`/_mock/metrics`) and `admit` (the rest
    /// of the admin API) give a GET from `peer` with these headers.
    fn scrape_and_admin(access: &AdminAccess, peer: &str, headers: &[(&str, &str)]) -> (u16, u16) {
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static("127.0.0.1:8080"));
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        let uri = Uri::from_static("/_mock/metrics");
        let caller = Caller {
            peer: peer.parse().unwrap(),
            local: LOCAL.parse().unwrap(),
            secure: false,
            method: &Method::GET,
            uri: &uri,
            headers: &map,
        };
        let code = |result: Result<(), Box<Reply>>| match result {
            Ok(()) => 200,
            Err(reply) => reply.status().as_u16(),
        };
        (
            code(access.admit_scrape(&caller)),
            code(access.admit(&caller)),
        )
    }

    #[test]
    fn a_remote_scraper_needs_the_metrics_token_which_opens_nothing_else() {
        let access = open().with_scrapers(Some(MetricsToken::new("scrape-k3y").unwrap()), &[]);
        let remote = "192.0.2.7:1";
        assert_eq!(scrape_and_admin(&access, remote, &[]), (401, 403));
        let wrong = [("authorization", "Bearer scrape-k3")];
        assert_eq!(scrape_and_admin(&access, remote, &wrong), (401, 403));
        let right = [("authorization", "Bearer scrape-k3y")];
        assert_eq!(scrape_and_admin(&access, remote, &right), (200, 403));
        // Loopback peers read it as they read the admin API.
        assert_eq!(scrape_and_admin(&access, "127.0.0.1:1", &[]), (200, 200));
    }

    #[test]
    fn without_scraper_options_remote_peers_are_refused_as_by_the_admin_api() {
        assert_eq!(scrape_and_admin(&open(), "192.0.2.7:1", &[]), (403, 403));
        let admin = AdminAccess::new(Some(AdminToken::new("admin-k3y").unwrap()), &[]);
        let bearer = [("authorization", "Bearer admin-k3y")];
        assert_eq!(scrape_and_admin(&admin, "192.0.2.7:1", &bearer), (200, 200));
        assert_eq!(scrape_and_admin(&admin, "192.0.2.7:1", &[]), (401, 401));
    }

    #[test]
    fn peers_in_a_scraper_network_read_metrics_without_a_token() {
        let access =
            open().with_scrapers(None, &["192.0.2.0/24".to_owned(), "2001:db8::5".to_owned()]);
        assert_eq!(scrape_and_admin(&access, "192.0.2.7:1", &[]), (200, 403));
        assert_eq!(
            scrape_and_admin(&access, "[::ffff:192.0.2.7]:1", &[]),
            (200, 403)
        );
        assert_eq!(
            scrape_and_admin(&access, "[2001:db8::5]:1", &[]),
            (200, 403)
        );
        assert_eq!(
            scrape_and_admin(&access, "[2001:db8::6]:1", &[]),
            (403, 403)
        );
        assert_eq!(scrape_and_admin(&access, "198.51.100.1:1", &[]), (403, 403));
    }

    #[test]
    fn scraper_networks_are_cidrs_or_addresses() {
        assert!(parse_network("10.0.0.0/8").is_some());
        assert!(parse_network("10.1.2.3/8").is_some_and(|n| n.to_string() == "10.0.0.0/8"));
        assert!(parse_network("fd00::/8").is_some());
        assert!(parse_network("192.0.2.7").is_some());
        for bad in ["10.0.0.0/33", "mock", "", "10.0.0.0/", "::/129"] {
            assert!(parse_network(bad).is_none(), "{bad}");
        }
    }

    fn open() -> AdminAccess {
        AdminAccess::new(None, &[])
    }

    #[test]
    fn loopback_names_with_the_served_port_are_allowed_hosts() {
        for host in [
            "localhost:8080",
            "LOCALHOST:8080",
            "127.0.0.1:8080",
            "127.8.9.10:8080",
            "[::1]:8080",
        ] {
            assert_eq!(
                status(
                    &open(),
                    "127.0.0.1:5000",
                    LOCAL,
                    &Method::GET,
                    &[("host", host)]
                ),
                200,
                "{host}"
            );
        }
    }

    #[test]
    fn other_hosts_and_ports_are_refused_as_dns_rebinding() {
        for host in [
            "evil.example:8080",
            "localhost:9090",
            "localhost",
            "localhost.evil.example:8080",
            "localhost:80x",
            "localhost:",
            "user@localhost:8080",
            "10.0.0.1:8080",
            "",
        ] {
            assert_eq!(
                status(
                    &open(),
                    "127.0.0.1:5000",
                    LOCAL,
                    &Method::GET,
                    &[("host", host)]
                ),
                403,
                "{host}"
            );
        }
        assert_eq!(
            status(&open(), "127.0.0.1:5000", LOCAL, &Method::GET, &[]),
            403
        );
        let two = [("host", "localhost:8080"), ("host", "evil.example:8080")];
        assert_eq!(
            status(&open(), "127.0.0.1:5000", LOCAL, &Method::GET, &two),
            403
        );
    }

    #[test]
    fn the_served_address_and_configured_admin_hosts_are_allowed() {
        let access = AdminAccess::new(None, &["mock".to_owned(), "LocalHost:18080".to_owned()]);
        let get = |host| {
            status(
                &access,
                "127.0.0.1:5000",
                "172.17.0.2:8080",
                &Method::GET,
                &[("host", host)],
            )
        };
        assert_eq!(get("172.17.0.2:8080"), 200);
        assert_eq!(get("mock:8080"), 200);
        assert_eq!(get("MOCK"), 200);
        assert_eq!(get("localhost:18080"), 200);
        assert_eq!(get("localhost:18081"), 403);
        assert_eq!(get("172.17.0.3:8080"), 403);
    }

    #[test]
    fn without_a_token_only_loopback_peers_are_admitted() {
        let host = [("host", "localhost:8080")];
        for peer in [
            "127.0.0.1:1",
            "127.1.2.3:1",
            "[::1]:1",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert_eq!(
                status(&open(), peer, LOCAL, &Method::GET, &host),
                200,
                "{peer}"
            );
        }
        for peer in ["192.0.2.7:1", "[2001:db8::1]:1", "[::ffff:192.0.2.7]:1"] {
            assert_eq!(
                status(&open(), peer, LOCAL, &Method::GET, &host),
                403,
                "{peer}"
            );
        }
    }

    #[test]
    fn with_a_token_every_peer_must_present_it() {
        let access = AdminAccess::new(Some(AdminToken::new("s3cr3t").unwrap()), &[]);
        let host = ("host", "localhost:8080");
        for peer in ["127.0.0.1:1", "192.0.2.7:1"] {
            let get =
                |headers: &[(&str, &str)]| status(&access, peer, LOCAL, &Method::GET, headers);
            assert_eq!(get(&[host]), 401);
            assert_eq!(get(&[host, ("authorization", "Bearer s3cr3t!")]), 401);
            assert_eq!(get(&[host, ("authorization", "Bearer s3cr3")]), 401);
            assert_eq!(get(&[host, ("authorization", "Basic czM=")]), 401);
            assert_eq!(get(&[host, ("authorization", "Bearer s3cr3t")]), 200);
            assert_eq!(get(&[host, ("authorization", "bearer  s3cr3t")]), 200);
            let twice = [
                host,
                ("authorization", "Bearer s3cr3t"),
                ("authorization", "Bearer s3cr3t"),
            ];
            assert_eq!(get(&twice), 401);
        }
    }

    #[test]
    fn writes_need_a_json_content_type() {
        let host = ("host", "localhost:8080");
        let post = |headers: &[(&str, &str)]| {
            status(&open(), "127.0.0.1:1", LOCAL, &Method::POST, headers)
        };
        assert_eq!(post(&[host]), 415);
        assert_eq!(post(&[host, ("content-type", "text/plain")]), 415);
        assert_eq!(
            post(&[host, ("content-type", "application/x-www-form-urlencoded")]),
            415
        );
        assert_eq!(post(&[host, ("content-type", "application/jsonx")]), 415);
        assert_eq!(post(&[host, ("content-type", "application/json")]), 200);
        assert_eq!(
            post(&[host, ("content-type", "Application/JSON; charset=utf-8")]),
            200
        );
        let delete = status(&open(), "127.0.0.1:1", LOCAL, &Method::DELETE, &[host]);
        assert_eq!(delete, 415);
        let options = status(&open(), "127.0.0.1:1", LOCAL, &Method::OPTIONS, &[host]);
        assert_eq!(options, 200);
    }

    #[test]
    fn admin_tokens_are_visible_ascii_and_never_printed() {
        assert!(AdminToken::new("").is_err());
        assert!(AdminToken::new("a b").is_err());
        assert!(AdminToken::new("tök").is_err());
        assert!(AdminToken::new("x".repeat(1025)).is_err());
        let token = AdminToken::new("0123456789abcdef").unwrap();
        assert_eq!(format!("{token:?}"), "AdminToken([REDACTED])");
    }
}
