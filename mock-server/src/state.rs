//! What every request handler shares: settings, the client registry, the
//! token issuer, faults, the journal and the (movable) clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use auth_core::jose::Jwk;
use auth_core::{ClientAuthMethod, Clock, Implications, ScopeSet};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::admin_access::AdminAccess;
use crate::assertion::{AssertionMethod, Verifier};
use crate::config::{CLIENT_CREDENTIALS, ClientRegistration, Config, TokenFormat};
use crate::error::{ConfigError, Error};
use crate::expect::Expectations;
use crate::fault::FaultQueue;
use crate::issuer::Issuer;
use crate::journal::Journal;
use crate::jwt::JwtIssuer;
use crate::keys::KeyRing;
use crate::lockout::{Lockout, LockoutPolicy};
use crate::metrics::Metrics;
use crate::retry_watch::RetryWatch;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Upper bound of the revocation set (entries leave once expired).
pub(crate) const MAX_REVOCATIONS: usize = 100_000;

/// An HMAC-SHA-256 keyed with `key` (any length is a valid HMAC key).
pub(crate) fn keyed(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("hmac accepts any key length"))
}

/// Fresh bytes from the operating system's generator (the `getrandom`
/// system call, through ring), for the per-server keys made at start.
/// Not `rand::random`: the thread generator's first use detects the CPU's
/// features (35-70 µs on a VM, where CPUID traps to the hypervisor): it
/// was the costliest step of building the state, on the way to the ready
/// line (docs/performance.md, Start-up). The `mock-server` binary's
/// runtime threads make their own generator (token ids) as they start.
pub(crate) fn os_random<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0; N];
    // A panic, as `rand::random` and the thread generator give: nothing
    // here can go on without secret keys.
    assert!(
        ring::rand::SystemRandom::new().fill(&mut bytes).is_ok(),
        "the operating system's random number generator failed"
    );
    bytes
}

/// A fixed-size stand-in for a client id in bounded tables (lockout, retry
/// watch): a 128-bit HMAC-SHA-256 under a per-table random key, so a 64 KiB
/// id costs 16 bytes and nobody can aim two ids at one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct IdHash([u8; 16]);

/// Computes [`IdHash`]es under one random key.
#[derive(Debug, Clone)]
pub(crate) struct IdHasher(HmacSha256);

impl IdHasher {
    pub(crate) fn random() -> Self {
        Self(keyed(&os_random::<32>()))
    }

    pub(crate) fn hash(&self, id: &str) -> IdHash {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = [0; 16];
        out.copy_from_slice(&digest[..16]);
        IdHash(out)
    }
}

/// Settings fixed at start.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) token_lifetime: Duration,
    pub(crate) realm: String,
    pub(crate) max_body_bytes: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) admin: AdminAccess,
    pub(crate) resources: Vec<String>,
    pub(crate) journal_capacity: usize,
    /// What `/resource` lets a granted scope stand for (none: literal).
    pub(crate) implications: Implications,
    /// The token format of clients that do not name one.
    pub(crate) token_format: TokenFormat,
}

/// A registered client, validated, with its secret kept only as an HMAC.
#[derive(Debug)]
pub(crate) struct Registered {
    pub(crate) id: String,
    digest: Option<[u8; 32]>,
    pub(crate) scopes: ScopeSet,
    pub(crate) default_scopes: ScopeSet,
    pub(crate) auth_method: ClientAuthMethod,
    /// Set for a client registered for a signed-assertion method.
    pub(crate) assertion: Option<AssertionMethod>,
    /// The public keys of a `private_key_jwt` client.
    pub(crate) keys: Vec<Jwk>,
    pub(crate) grant_types: Vec<String>,
    pub(crate) registration: ClientRegistration,
}

impl Registered {
    pub(crate) fn is_public(&self) -> bool {
        self.digest.is_none()
    }

    pub(crate) fn may_use_client_credentials(&self) -> bool {
        self.grant_types.iter().any(|g| g == CLIENT_CREDENTIALS)
    }
}

/// The shared state of one server.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) settings: Settings,
    clients: RwLock<HashMap<String, Arc<Registered>>>,
    initial: Vec<ClientRegistration>,
    /// HMAC-SHA-256 keyed once with a per-server random key; cloned per use.
    secret_mac: HmacSha256,
    dummy_digest: [u8; 32],
    pub(crate) issuer: Issuer,
    pub(crate) faults: FaultQueue,
    pub(crate) journal: Journal,
    /// The counters `/_mock/metrics` serves; never reset.
    pub(crate) metrics: Metrics,
    pub(crate) expectations: Expectations,
    pub(crate) lockout: Lockout,
    pub(crate) retry_watch: RetryWatch,
    /// Client assertions: settings and the `jti` replay cache.
    pub(crate) assertions: Verifier,
    clock: Arc<dyn Clock>,
    offset_nanos: AtomicI64,
    pub(crate) base_url: String,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl State {
    pub(crate) fn new(
        config: &Config,
        clock: Arc<dyn Clock>,
        base_url: String,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self, Error> {
        // `MockServerBuilder::start`, the only caller, validated `config`.
        let keys = KeyRing::load(&config.keys, config.signing_alg)?;
        let default_audience = config
            .default_audience
            .clone()
            .unwrap_or_else(|| format!("{base_url}/resource"));
        let jwt = JwtIssuer::new(base_url.clone(), default_audience, keys);
        let state = Self {
            settings: Settings {
                token_lifetime: config.token_lifetime(),
                realm: config.realm.clone(),
                max_body_bytes: config.max_body_bytes,
                header_timeout: Duration::from_millis(config.header_timeout_ms),
                body_timeout: Duration::from_millis(config.body_timeout_ms),
                idle_timeout: Duration::from_millis(config.idle_timeout_ms),
                write_timeout: Duration::from_millis(config.write_timeout_ms),
                max_connections: config.max_connections,
                admin: AdminAccess::new(config.admin_token.clone(), &config.admin_hosts)
                    .with_scrapers(config.metrics_token.clone(), &config.metrics_scrapers),
                resources: config.resources.clone(),
                journal_capacity: config.journal_capacity,
                implications: config.implications(),
                token_format: config.token_format,
            },
            clients: RwLock::new(HashMap::new()),
            initial: config.clients.clone(),
            secret_mac: keyed(&os_random::<32>()),
            dummy_digest: os_random(),
            issuer: Issuer::new(MAX_REVOCATIONS, jwt),
            faults: FaultQueue::default(),
            journal: Journal::new(config.journal_capacity),
            metrics: Metrics::default(),
            expectations: Expectations::default(),
            retry_watch: RetryWatch::default(),
            assertions: Verifier::new(
                base_url.clone(),
                config.assertion_audience,
                config.assertion_max_lifetime_secs,
                config.assertion_replay_capacity,
            ),
            lockout: Lockout::new(LockoutPolicy {
                max_failures: config.lockout_failures,
                window_secs: config.lockout_window_secs,
                spray_failures: config.lockout_spray_failures,
                capacity: config.lockout_capacity,
            }),
            clock,
            offset_nanos: AtomicI64::new(0),
            base_url,
            shutdown,
        };
        for client in &config.clients {
            state.add_client(client.clone())?;
        }
        Ok(state)
    }

    /// The mock's time: the clock plus whatever the admin API added.
    pub(crate) fn now(&self) -> OffsetDateTime {
        date_of(self.now_nanos())
    }

    /// The mock's time as Unix nanoseconds: [`State::now`] without the
    /// calendar date, which a request that only counts does not need.
    pub(crate) fn now_nanos(&self) -> i128 {
        let offset = i128::from(self.offset_nanos.load(Ordering::Relaxed));
        self.clock.unix_nanos().saturating_add(offset)
    }

    pub(crate) fn now_unix(&self) -> i64 {
        unix_seconds(self.now_nanos())
    }

    /// `exp` for a token of `lifetime_secs` issued now. Tokens carry whole
    /// seconds, so round up: a client that counts `expires_in` from when it
    /// sent the request must never see the token die before that.
    pub(crate) fn expiry_after(&self, lifetime_secs: u64) -> i64 {
        expiry_at(self.now_nanos(), lifetime_secs)
    }

    /// How far the clock was moved ahead (whole seconds).
    pub(crate) fn clock_offset(&self) -> Duration {
        let nanos = self.offset_nanos.load(Ordering::Relaxed);
        Duration::from_secs(u64::try_from(nanos / 1_000_000_000).unwrap_or_default())
    }

    pub(crate) fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_add(by))
            });
    }

    fn digest(&self, secret: &str) -> HmacSha256 {
        let mut mac = self.secret_mac.clone();
        mac.update(secret.as_bytes());
        mac
    }

    pub(crate) fn add_client(&self, registration: ClientRegistration) -> Result<(), ConfigError> {
        let resolved = registration.resolve()?;
        let digest = registration
            .expose_secret()
            .map(|s| self.digest(s).finalize().into_bytes().into());
        let client = Registered {
            id: registration.id().to_owned(),
            digest,
            scopes: resolved.scopes,
            default_scopes: resolved.default_scopes,
            auth_method: registration.auth_method(),
            assertion: registration.assertion_method(),
            keys: resolved.keys,
            grant_types: registration.grant_types().to_vec(),
            registration,
        };
        self.write().insert(client.id.clone(), Arc::new(client));
        Ok(())
    }

    /// Replaces the extra claims of client `id`; `Ok(false)` when no such
    /// client is registered. Invalid claims leave the client as it was.
    pub(crate) fn set_extra_claims(
        &self,
        id: &str,
        claims: std::collections::BTreeMap<String, crate::ExtraClaim>,
    ) -> Result<bool, ConfigError> {
        let Some(client) = self.client(id) else {
            return Ok(false);
        };
        let registration = client.registration.clone().with_extra_claims(claims);
        self.add_client(registration)?;
        Ok(true)
    }

    pub(crate) fn remove_client(&self, id: &str) -> bool {
        self.write().remove(id).is_some()
    }

    pub(crate) fn client(&self, id: &str) -> Option<Arc<Registered>> {
        self.clients
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// The registry, sorted by id.
    pub(crate) fn clients(&self) -> Vec<Arc<Registered>> {
        let mut all: Vec<_> = self
            .clients
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// Checks a secret: one HMAC and one constant-time compare whether or
    /// not the client exists (a dummy digest stands in), so timing tells
    /// neither where the secret differs nor whether the id is registered
    /// (checklist S-28, RFC 6819 §4.3.5).
    pub(crate) fn verify(&self, id: &str, secret: &str) -> Option<Arc<Registered>> {
        let client = self.client(id);
        let expected = client
            .as_ref()
            .and_then(|c| c.digest)
            .unwrap_or(self.dummy_digest);
        let ok = self.digest(secret).verify_slice(&expected).is_ok();
        client.filter(|c| ok && !c.is_public())
    }

    /// Back to the configuration the server started with.
    pub(crate) fn reset(&self) {
        self.write().clear();
        for client in &self.initial {
            // Validated when the server started.
            let _ = self.add_client(client.clone());
        }
        self.faults.clear();
        self.journal.clear();
        self.expectations.clear();
        self.issuer.clear_revocations();
        self.issuer.jwt().keys().reset();
        self.lockout.clear();
        self.retry_watch.clear();
        self.assertions.reset();
        self.offset_nanos.store(0, Ordering::Relaxed);
    }

    /// The format of `client`'s tokens: its own, else the server's.
    pub(crate) fn token_format(&self, client: &Registered) -> TokenFormat {
        client
            .registration
            .token_format()
            .unwrap_or(self.settings.token_format)
    }

    pub(crate) fn resource_url(&self) -> String {
        format!("{}/resource", self.base_url)
    }

    /// RFC 8707 resources this server knows: the configured ones and its own.
    pub(crate) fn is_known_resource(&self, resource: &str) -> bool {
        self.settings.resources.iter().any(|r| r == resource) || resource == self.resource_url()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Registered>>> {
        self.clients.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `exp` for a token of `lifetime_secs` issued at `now`, rounded up to the
/// next whole second ([`State::expiry_after`]).
pub(crate) fn expiry_at(now_nanos: i128, lifetime_secs: u64) -> i64 {
    let ceil = unix_seconds(now_nanos).saturating_add(i64::from(now_nanos % NANOS != 0));
    ceil.saturating_add(i64::try_from(lifetime_secs).unwrap_or(i64::MAX))
}

const NANOS: i128 = 1_000_000_000;

/// The date of a Unix nanosecond count ([`State::now_nanos`]), held to the
/// dates `OffsetDateTime` has, as its `saturating_add` holds them.
pub(crate) fn date_of(nanos: i128) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(if nanos < 0 {
        time::PrimitiveDateTime::MIN.assume_utc()
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    })
}

/// Whole seconds, rounded down (as `OffsetDateTime::unix_timestamp`).
fn unix_seconds(nanos: i128) -> i64 {
    let seconds = nanos.div_euclid(NANOS);
    i64::try_from(seconds).unwrap_or(if seconds < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    /// Heap allocations of building a server's state on a new thread,
    /// after making that thread's `rand` generator first or not.
    fn allocations_of_new_state(thread_rng_first: bool) -> u64 {
        std::thread::spawn(move || {
            if thread_rng_first {
                drop(rand::rng());
            }
            let (_stop, stopped) = watch::channel(false);
            let config = Config::embedded();
            allocation_counter::measure(|| {
                let state = State::new(
                    &config,
                    Arc::new(auth_core::SystemClock),
                    "http://127.0.0.1:1".to_owned(),
                    stopped,
                );
                assert!(state.is_ok());
            })
            .count_total
        })
        .join()
        .unwrap()
    }

    #[test]
    fn the_state_keys_do_not_make_the_thread_random_generator() {
        // The generator is one allocation on its thread, and its first use
        // detects the CPU's features (CPUID traps to a hypervisor): building
        // the state leaves it to whoever mints tokens.
        assert_eq!(
            allocations_of_new_state(false),
            allocations_of_new_state(true)
        );
    }

    #[test]
    fn expiry_rounds_a_started_second_up_as_the_calendar_time_does() {
        let at = |nanos: i128| OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
        for nanos in [
            1_767_225_600_000_000_000,
            1_767_225_600_000_000_001,
            1_767_225_600_999_999_999,
            -1,
            -1_000_000_000,
            -1_500_000_000,
            0,
        ] {
            let now = at(nanos);
            let calendar = now.unix_timestamp() + i64::from(now.nanosecond() > 0) + 60;
            assert_eq!(expiry_at(nanos, 60), calendar, "{nanos}");
            assert_eq!(unix_seconds(nanos), now.unix_timestamp(), "{nanos}");
        }
        assert_eq!(expiry_at(1_767_225_600_000_000_001, 3600), 1_767_229_201);
        assert_eq!(expiry_at(i128::MAX, 1), i64::MAX);
    }

    #[test]
    fn a_nanosecond_count_has_the_date_an_offset_date_time_saturates_to() {
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_456_789).unwrap();
        assert_eq!(date_of(1_767_225_600_123_456_789), now);
        let far = time::Duration::MAX;
        assert_eq!(date_of(i128::MAX), now.saturating_add(far));
        assert_eq!(date_of(i128::MIN), now.saturating_sub(far));
    }

    #[test]
    fn os_random_keys_differ() {
        assert_ne!(os_random::<32>(), os_random::<32>());
    }
}
