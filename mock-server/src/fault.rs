//! Faults on purpose (checklist S-73): what to serve instead of, or on top
//! of, the correct answer, for which endpoint and client, how many times.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Largest body an [`Fault::Oversized`] answer may have (64 MiB).
pub const MAX_OVERSIZED_BYTES: usize = 64 * 1024 * 1024;
/// Most rules queued at once; pushing more drops the oldest.
pub const MAX_RULES: usize = 1024;

/// A misbehaviour of the provider.
///
/// JSON form (admin API), externally tagged: `"hang"`, `{"status": 503}`,
/// `{"latency": 250}` (milliseconds), `{"retry_after": {"status": 429, "seconds": 1}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Answer correctly, after a delay (JSON: milliseconds).
    Latency(#[serde(with = "millis")] Duration),
    /// Never answer (until the server shuts down).
    Hang,
    /// A bare status with a plain-text body and no JSON (e.g. 500, 502, 503).
    Status(u16),
    /// A status with `Retry-After: seconds` (RFC 6585 §4, RFC 9110 §10.2.3).
    RetryAfter {
        /// 429 or 503, usually.
        status: u16,
        /// The delay, in seconds.
        seconds: u64,
    },
    /// An HTML error page, as a proxy or gateway would serve.
    Html {
        /// The status it comes with.
        status: u16,
    },
    /// `200` with a truncated JSON body.
    MalformedJson,
    /// `"expires_in": "3600"` (a string).
    ExpiresInString,
    /// `"token_type": "bearer"`.
    LowercaseTokenType,
    /// Extra, unknown members in the success body.
    ExtraFields,
    /// No `scope` member.
    NoScope,
    /// No `expires_in` member.
    NoExpiresIn,
    /// A token that lives one second.
    ShortLifetime,
    /// A valid success body padded to about `bytes` bytes.
    Oversized {
        /// Body size (capped at [`MAX_OVERSIZED_BYTES`]).
        bytes: usize,
    },
    /// `200` carrying an RFC 6749 §5.2 error body.
    ErrorIn200,
    /// `307` to another location.
    Redirect {
        /// The `Location` header.
        location: String,
    },
    /// `401 invalid_client` whatever the credentials.
    InvalidClient,
    /// Exactly this answer: status, headers (invalid ones skipped) and body
    /// (a BOM, duplicate keys, a truncated document: anything).
    Raw {
        /// The status.
        status: u16,
        /// Header name/value pairs, in order.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// The body.
        #[serde(default)]
        body: String,
    },
    /// Close the connection without an answer.
    Reset,
}

impl Fault {
    /// Faults that change a successful answer rather than replace it.
    pub(crate) fn shapes_success(&self) -> bool {
        matches!(
            self,
            Self::ExpiresInString
                | Self::LowercaseTokenType
                | Self::ExtraFields
                | Self::NoScope
                | Self::NoExpiresIn
                | Self::ShortLifetime
                | Self::Oversized { .. }
        )
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// The endpoint a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /token` (the default).
    #[default]
    Token,
    /// `POST /introspect`.
    Introspect,
    /// `POST /revoke`.
    Revoke,
    /// The protected resource.
    Resource,
}

/// A fault, with whom and how often it applies.
///
/// ```
/// use mock_server::{Fault, FaultRule};
/// let rule = FaultRule::new(Fault::RetryAfter { status: 429, seconds: 1 }).for_client("svc").times(2);
/// assert_eq!(rule.remaining(), Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    fault: Fault,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default)]
    endpoint: Endpoint,
    /// `None`: always.
    #[serde(default = "one")]
    times: Option<u32>,
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "serde default for an Option field"
)]
fn one() -> Option<u32> {
    Some(1)
}

impl FaultRule {
    /// The next token request (any client) gets `fault`.
    #[must_use]
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            client_id: None,
            endpoint: Endpoint::Token,
            times: Some(1),
        }
    }

    /// The next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Every matching request, until reset.
    #[must_use]
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Only requests from this client (as claimed by the request).
    #[must_use]
    pub fn for_client(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Another endpoint than the token endpoint.
    #[must_use]
    pub fn for_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// The fault.
    #[must_use]
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// How many more times it applies (`None`: always).
    #[must_use]
    pub fn remaining(&self) -> Option<u32> {
        self.times
    }

    /// The client it is limited to, if any.
    pub(crate) fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    fn matches(&self, endpoint: Endpoint, client_id: Option<&str>) -> bool {
        self.endpoint == endpoint
            && self.times != Some(0)
            && self
                .client_id
                .as_deref()
                .is_none_or(|want| client_id == Some(want))
    }
}

/// The queue of rules, first match wins.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    rules: Mutex<VecDeque<FaultRule>>,
    /// Lets the hot path skip the lock (and the client-id guess) when idle.
    queued: AtomicUsize,
}

impl FaultQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<FaultRule>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn push(&self, rule: FaultRule) {
        let mut rules = self.lock();
        if rules.len() >= MAX_RULES {
            rules.pop_front();
        }
        rules.push_back(rule);
        self.queued.store(rules.len(), Ordering::Release);
    }

    /// The queued rules, first match first, with the uses each has left.
    pub(crate) fn rules(&self) -> Vec<FaultRule> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.queued.store(0, Ordering::Release);
    }

    /// Takes one use of the first matching rule. `client_id` is asked for
    /// only when a queued rule names a client.
    pub(crate) fn take(
        &self,
        endpoint: Endpoint,
        client_id: impl FnOnce() -> Option<String>,
    ) -> Option<Fault> {
        if self.queued.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.lock();
        let client_id = if rules.iter().any(|r| r.client_id.is_some()) {
            client_id()
        } else {
            None
        };
        let index = rules
            .iter()
            .position(|r| r.matches(endpoint, client_id.as_deref()))?;
        let rule = &mut rules[index];
        let fault = rule.fault.clone();
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(index);
            }
        }
        self.queued.store(rules.len(), Ordering::Release);
        Some(fault)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_per_client_and_count_down() {
        let queue = FaultQueue::default();
        queue.push(FaultRule::new(Fault::Status(503)).for_client("a").times(2));
        queue.push(FaultRule::new(Fault::Hang).always());
        assert_eq!(
            queue.take(Endpoint::Token, || Some("b".into())),
            Some(Fault::Hang)
        );
        assert_eq!(
            queue.take(Endpoint::Token, || Some("a".into())),
            Some(Fault::Status(503))
        );
        assert_eq!(
            queue.take(Endpoint::Token, || Some("a".into())),
            Some(Fault::Status(503))
        );
        assert_eq!(
            queue.take(Endpoint::Token, || Some("a".into())),
            Some(Fault::Hang)
        );
        assert_eq!(queue.take(Endpoint::Revoke, || Some("a".into())), None);
    }

    #[test]
    fn json_form_is_readable() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"fault":{"retry_after":{"status":429,"seconds":2}},"client_id":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::new(Fault::RetryAfter {
                status: 429,
                seconds: 2
            })
            .for_client("x")
        );
        let rule: FaultRule =
            serde_json::from_str(r#"{"fault":{"latency":250},"times":null}"#).unwrap();
        assert_eq!(
            rule,
            FaultRule::new(Fault::Latency(Duration::from_millis(250))).always()
        );
        let rule: FaultRule = serde_json::from_str(r#"{"fault":"hang"}"#).unwrap();
        assert_eq!(rule.remaining(), Some(1));
    }
}
