//! Each server-observable client rule as data: id, RFC section, level and a
//! check over what the token endpoint or the protected resource saw.

use auth_core::ScopeSet;
use auth_core::form::Form;

use super::{Finding, Level, Verdict};
use crate::journal::DetectedAuth;

pub(crate) use crate::journal::BasicDecode as BasicVerdict;

/// What the token endpoint saw of one request.
#[derive(Debug)]
pub(crate) struct Observation<'a> {
    pub(crate) method: &'a str,
    pub(crate) media_type_ok: bool,
    pub(crate) form: Option<&'a Form>,
    /// Decoded names of the query parameters.
    pub(crate) query_names: Vec<String>,
    pub(crate) auth: DetectedAuth,
    pub(crate) authorization_headers: usize,
    pub(crate) basic: Option<BasicVerdict>,
    pub(crate) loopback_peer: bool,
    pub(crate) secure: bool,
    /// After a `Retry-After` to this client: `Some(true)` if it waited.
    pub(crate) waited: Option<bool>,
}

/// What the protected resource saw of one request.
#[derive(Debug)]
pub(crate) struct ResourceObservation<'a> {
    /// The `Authorization` value, if one.
    pub(crate) authorization: Option<&'a str>,
    pub(crate) query_token: bool,
    pub(crate) loopback_peer: bool,
    pub(crate) secure: bool,
}

/// A check's verdict and reason. The reason is a thin reference to a
/// static `&str` (`&"reason"`), so the per-request [`Findings`] stay small:
/// they are moved along the request path and copied into the journal.
type Verdicts = Option<(Verdict, Reason)>;

/// A reason, as `&"text"`: one pointer instead of a pointer and a length.
type Reason = &'static &'static str;

/// Which requests a rule looks at.
#[derive(Clone, Copy)]
enum Check {
    Token(fn(&Observation<'_>) -> Verdicts),
    Resource(fn(&ResourceObservation<'_>) -> Verdicts),
}

/// A rule: checklist id, RFC section, level, title, what is checked and
/// how to fix a failure (both shown in `docs/conformance-rules.md`, see
/// [`super::reference`]), and the check itself.
pub struct Rule {
    /// Checklist id.
    pub id: &'static str,
    /// RFC section.
    pub rfc: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// What it requires.
    pub title: &'static str,
    /// What the provider looks at, in a sentence or two.
    pub checked: &'static str,
    /// How a client fixes a failure.
    pub fix: &'static str,
    check: Check,
}

impl Rule {
    /// True for a rule on protected-resource requests, false for one on
    /// token requests.
    #[must_use]
    pub fn is_resource_rule(&self) -> bool {
        matches!(self.check, Check::Resource(_))
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .field("rfc", &self.rfc)
            .finish_non_exhaustive()
    }
}

/// How many rules there are.
const RULE_COUNT: usize = 15;

/// Every rule, in checklist order.
pub static RULES: &[Rule] = &RULE_TABLE;

static RULE_TABLE: [Rule; RULE_COUNT] = [
    Rule {
        id: "C-01",
        rfc: "RFC 6749 §3.2",
        level: Level::Must,
        title: "token request uses POST",
        checked: "The method of every request to the token endpoint is `POST`.",
        fix: "Send the token request as `POST` with the parameters in the body, never as `GET` with a query string.",
        check: Check::Token(|o| {
            Some(if o.method == "POST" {
                (Verdict::Pass, &"POST")
            } else {
                (Verdict::Fail, &"method is not POST")
            })
        }),
    },
    Rule {
        id: "C-02",
        rfc: "RFC 6749 §4.4.2, App. B",
        level: Level::Must,
        title: "body is application/x-www-form-urlencoded",
        checked: "Every token request has `Content-Type: application/x-www-form-urlencoded` (the media type compared case-insensitively, parameters such as `charset` ignored) and a body that parses as a UTF-8 form.",
        fix: "Encode the parameters as an HTML form (`name=value&...`, percent-encoded UTF-8) and set that content type; do not send JSON or multipart.",
        check: Check::Token(|o| {
            Some(match (o.media_type_ok, o.form.is_some()) {
                (true, true) => (Verdict::Pass, &"form body"),
                (false, _) => (
                    Verdict::Fail,
                    &"content type is not application/x-www-form-urlencoded",
                ),
                (true, false) => (Verdict::Fail, &"body is not a valid UTF-8 form"),
            })
        }),
    },
    Rule {
        id: "C-03",
        rfc: "RFC 6749 §4.4.2",
        level: Level::Must,
        title: "grant_type=client_credentials exactly once",
        checked: "The form carries `grant_type` exactly once, with the value `client_credentials`.",
        fix: "Send `grant_type=client_credentials`, once.",
        check: Check::Token(|o| {
            let form = o.form?;
            Some(match (form.count("grant_type"), form.get("grant_type")) {
                (1, Some("client_credentials")) => {
                    (Verdict::Pass, &"grant_type=client_credentials")
                }
                (0, _) => (Verdict::Fail, &"grant_type is missing"),
                (1, _) => (Verdict::Fail, &"grant_type is not client_credentials"),
                _ => (Verdict::Fail, &"grant_type is repeated"),
            })
        }),
    },
    Rule {
        id: "C-04",
        rfc: "RFC 6749 §3.2, RFC 8707 §2",
        level: Level::Must,
        title: "no parameter repeated (except resource)",
        checked: "No form parameter name occurs twice, except `resource` (RFC 8707 lets a client name several resources).",
        fix: "Build the form from one value per name; join several scopes into one `scope` value separated by spaces instead of repeating `scope`.",
        check: Check::Token(|o| {
            let form = o.form?;
            Some(match form.first_repeated(&["resource"]) {
                None => (Verdict::Pass, &"no repeated parameter"),
                Some(_) => (Verdict::Fail, &"a parameter is repeated"),
            })
        }),
    },
    Rule {
        id: "C-05",
        rfc: "RFC 6749 §2.3.1, §3.2",
        level: Level::Must,
        title: "no OAuth parameter or credential in the request URI",
        checked: "The query of the token request carries none of the protocol parameters `grant_type`, `scope`, `client_id`, `client_secret`, `resource` and `audience`; a query that is part of the configured token URL is kept and allowed.",
        fix: "Put every parameter and credential in the form body; keep the token URL's own query as it is (RFC 6749 §3.2).",
        check: Check::Token(|o| {
            Some(
                if o.query_names
                    .iter()
                    .any(|n| auth_core::PROTOCOL_PARAMETERS.contains(&n.as_str()))
                {
                    (
                        Verdict::Fail,
                        &"OAuth parameters or credentials in the query",
                    )
                } else {
                    (Verdict::Pass, &"query carries no OAuth parameter")
                },
            )
        }),
    },
    Rule {
        id: "C-07",
        rfc: "RFC 6749 §2.3.1, §10.9",
        level: Level::Must,
        title: "credentials only over TLS (plain HTTP only on loopback)",
        checked: "The token request arrived over TLS, or over plain HTTP from a loopback peer. Plain HTTP from any other peer is reported as a warning (`insecure transport`); the runner's provider listens on 127.0.0.1, so this only shows against a mock served beyond loopback.",
        fix: "Use an `https` token endpoint; allow plain `http` only for loopback hosts (`127.0.0.1`, `[::1]`, `localhost`), and only behind an explicit opt-in.",
        check: Check::Token(|o| {
            Some(if o.secure {
                (Verdict::Pass, &"TLS")
            } else if o.loopback_peer {
                (Verdict::Pass, &"plain HTTP on loopback")
            } else {
                (
                    Verdict::Warn,
                    &"insecure transport: plain HTTP from a non-loopback peer",
                )
            })
        }),
    },
    Rule {
        id: "C-11",
        rfc: "RFC 6749 §2.3.1, App. B",
        level: Level::Must,
        title: "Basic user and password are form-urlencoded before base64",
        checked: "The Basic credentials decode as RFC 6749 §2.3.1 says (base64, split at the first `:`, form-urldecode each half) to the registered client. Credentials that match only without the form-decoding step (raw `id:secret`, RFC 7617 style) fail as `unencoded Basic credentials`; where the two decodings differ (the `basic-special-chars` secret), the provider also refuses the request with `invalid_client`.",
        fix: "Form-urlencode the client id and the secret separately (`:` becomes `%3A`, a space `+`, `+` `%2B`, `%` `%25`) before joining them with `:` and base64-encoding the result. Generic HTTP Basic helpers (curl `-u`, requests' `HTTPBasicAuth`) skip this step: build the header yourself.",
        check: Check::Token(|o| match o.basic? {
            BasicVerdict::Strict => Some((
                Verdict::Pass,
                &"Basic credentials decode per RFC 6749 §2.3.1",
            )),
            BasicVerdict::OnlyNaive | BasicVerdict::Unencoded => {
                Some((Verdict::Fail, &"unencoded Basic credentials"))
            }
            BasicVerdict::BadBase64 | BasicVerdict::NoMatch => None,
        }),
    },
    Rule {
        id: "C-13",
        rfc: "RFC 7617 §2, RFC 4648 §4",
        level: Level::Must,
        title: "Basic credentials are standard, padded base64",
        checked: "The Basic credentials are standard base64 (RFC 4648 §4 alphabet, with `+` and `/`) with `=` padding; base64url or unpadded values fail.",
        fix: "Use the standard, padded base64 encoder, not the URL-safe or the unpadded variant.",
        check: Check::Token(|o| match o.basic? {
            BasicVerdict::BadBase64 => Some((
                Verdict::Fail,
                &"Basic credentials are not standard padded base64",
            )),
            _ => Some((Verdict::Pass, &"standard base64")),
        }),
    },
    Rule {
        id: "C-15",
        rfc: "RFC 6749 §2.3",
        level: Level::Must,
        title: "exactly one client authentication method",
        checked: "Each token request uses exactly one client authentication method: not Basic and `client_secret` in the body at once, not two `Authorization` headers, not none at all.",
        fix: "Send the credentials one way only: with Basic, no `client_secret` in the body; with `client_secret_post`, no `Authorization` header.",
        check: Check::Token(|o| {
            Some(match (o.auth, o.authorization_headers) {
                (_, n) if n > 1 => (Verdict::Fail, &"more than one Authorization header"),
                (DetectedAuth::Both, _) => (
                    Verdict::Fail,
                    &"Basic and client_secret in the body at once",
                ),
                (DetectedAuth::None, _) => (Verdict::Fail, &"no client authentication"),
                _ => (Verdict::Pass, &"one authentication method"),
            })
        }),
    },
    Rule {
        id: "C-20",
        rfc: "RFC 6749 §3.3, App. A.4",
        level: Level::Must,
        title: "scope is NQCHAR tokens joined by single spaces",
        checked: "A non-empty `scope` is scope tokens of NQCHAR (printable ASCII except space, `\"` and `\\`) joined by single spaces: no leading, trailing or doubled space.",
        fix: "Check each scope token when it is configured and join the tokens with one space (`read write`), never with commas.",
        check: Check::Token(|o| {
            let scope = o.form?.get("scope").filter(|s| !s.is_empty())?;
            Some(match ScopeSet::check(scope) {
                Ok(()) => (Verdict::Pass, &"scope syntax is valid"),
                Err(_) => (Verdict::Fail, &"scope is malformed"),
            })
        }),
    },
    Rule {
        id: "C-22",
        rfc: "RFC 6749 §3.2",
        level: Level::Should,
        title: "an empty scope is omitted, not sent empty",
        checked: "A `scope` parameter with an empty value is reported as a warning: RFC 6749 §3.2 treats it as omitted, but some providers reject it.",
        fix: "When there is no scope to request, leave the `scope` parameter out entirely.",
        check: Check::Token(|o| {
            o.form?
                .get("scope")
                .filter(|s| s.is_empty())
                .map(|_| (Verdict::Warn, &"scope sent with an empty value"))
        }),
    },
    Rule {
        id: "C-37",
        rfc: "RFC 6749 §4.4.3",
        level: Level::Must,
        title: "renewal is a new client_credentials grant, never refresh_token",
        checked: "No token request uses `grant_type=refresh_token`.",
        fix: "Renew with a new `client_credentials` grant; ignore a `refresh_token` in the answer (RFC 6749 §4.4.3: one SHOULD NOT be issued for this grant).",
        check: Check::Token(|o| {
            (o.form?.get("grant_type")? == "refresh_token").then_some((
                Verdict::Fail,
                &"refresh_token grant used by a client-credentials client",
            ))
        }),
    },
    Rule {
        id: "C-49",
        rfc: "RFC 6585 §4, RFC 9110 §10.2.3",
        level: Level::Should,
        title: "the next request after 429/503 waits for Retry-After",
        checked: "After a `429` or `503` answer with `Retry-After`, the client's next token request comes no sooner than the delay it named (real time, measured by the provider).",
        fix: "Parse `Retry-After` (seconds or an HTTP date) and wait at least that long before the next attempt; when the wait is past your deadline, fail with an error that carries it instead of retrying early.",
        check: Check::Token(|o| {
            Some(if o.waited? {
                (Verdict::Pass, &"waited for Retry-After")
            } else {
                (Verdict::Fail, &"retried before Retry-After elapsed")
            })
        }),
    },
    Rule {
        id: "C-59",
        rfc: "RFC 6750 §2.1, RFC 9700 §4.3.2",
        level: Level::Must,
        title: "bearer token in the Authorization header, never in the query",
        checked: "Every resource request presents the token as `Authorization: Bearer <token>`, never as an `access_token` query parameter (more than one space after `Bearer` is a warning).",
        fix: "Send `Authorization: Bearer <token>` with one space and the token verbatim; never put the token in the URL (RFC 9700 §4.3.2 forbids it).",
        check: Check::Resource(|o| {
            if o.query_token {
                return Some((Verdict::Fail, &"access token in the query"));
            }
            let value = o.authorization?;
            let (scheme, rest) = value.split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            Some(if rest.starts_with(' ') {
                (Verdict::Warn, &"more than one space after Bearer")
            } else {
                (Verdict::Pass, &"Authorization: Bearer")
            })
        }),
    },
    Rule {
        id: "C-60",
        rfc: "RFC 6750 §5.3",
        level: Level::Must,
        title: "bearer tokens only over TLS (plain HTTP only on loopback)",
        checked: "A resource request carrying a token arrived over TLS, or over plain HTTP from a loopback peer; a bearer token over plain HTTP from any other peer fails.",
        fix: "Attach bearer tokens only to `https` requests; allow plain `http` to loopback hosts only behind an explicit opt-in (auth-http: `BearerAuthLayer::allow_insecure_loopback(true)`).",
        check: Check::Resource(|o| {
            if o.authorization.is_none() && !o.query_token {
                return None;
            }
            Some(match (o.secure, o.loopback_peer) {
                (true, _) => (Verdict::Pass, &"TLS"),
                (false, true) => (Verdict::Pass, &"plain HTTP on loopback"),
                (false, false) => (
                    Verdict::Fail,
                    &"bearer token over plain HTTP from a non-loopback peer",
                ),
            })
        }),
    },
];

/// The findings on one request, compactly: per rule, its verdict and
/// reason if it had something to say (136 bytes, not 360 as an array of
/// `Option<(Verdict, &str)>`). No allocation per request; expanded to
/// [`Finding`]s (in rule order) only when the journal is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Findings {
    verdicts: [Option<Verdict>; RULE_COUNT],
    /// `&""` where the rule had nothing to say.
    reasons: [Reason; RULE_COUNT],
}

impl Default for Findings {
    fn default() -> Self {
        Self {
            verdicts: [None; RULE_COUNT],
            reasons: [&""; RULE_COUNT],
        }
    }
}

impl Findings {
    fn set(&mut self, rule: usize, verdicts: Verdicts) {
        if let Some((verdict, reason)) = verdicts {
            self.verdicts[rule] = Some(verdict);
            self.reasons[rule] = reason;
        }
    }

    /// The findings in rule order, as the journal shows them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Finding> + '_ {
        RULE_TABLE
            .iter()
            .zip(self.verdicts.iter().zip(&self.reasons))
            .filter_map(|(rule, (verdict, reason))| verdict.map(|v| finding(rule, v, reason)))
    }

    pub(crate) fn expanded(&self) -> Vec<Finding> {
        self.iter().collect()
    }

    /// Each verdict given, with its rule's index in [`RULES`] (the metrics'
    /// counters are indexed by rule).
    pub(crate) fn verdicts(&self) -> impl Iterator<Item = (usize, Verdict)> + '_ {
        self.verdicts
            .iter()
            .enumerate()
            .filter_map(|(rule, verdict)| verdict.map(|v| (rule, v)))
    }
}

fn finding(rule: &Rule, verdict: Verdict, reason: Reason) -> Finding {
    Finding {
        rule: rule.id,
        rfc: rule.rfc,
        level: rule.level,
        verdict,
        reason,
    }
}

/// Applies every token-request rule that has something to say.
pub(crate) fn evaluate(observation: &Observation<'_>) -> Findings {
    let mut findings = Findings::default();
    for (index, rule) in RULE_TABLE.iter().enumerate() {
        if let Check::Token(check) = rule.check {
            findings.set(index, check(observation));
        }
    }
    findings
}

/// Applies every protected-resource rule that has something to say.
pub(crate) fn evaluate_resource(observation: &ResourceObservation<'_>) -> Findings {
    let mut findings = Findings::default();
    for (index, rule) in RULE_TABLE.iter().enumerate() {
        if let Check::Resource(check) = rule.check {
            findings.set(index, check(observation));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_findings_of_a_request_are_a_few_cache_lines_not_six() {
        // Moved along the request path with the `Outcome` and copied into
        // the journal at every request (issue 17).
        assert!(size_of::<Findings>() <= 136);
    }

    #[test]
    fn findings_keep_each_rules_verdict_and_reason_in_rule_order() {
        let mut findings = Findings::default();
        findings.set(3, Some((Verdict::Fail, &"grant_type is missing")));
        findings.set(0, Some((Verdict::Pass, &"POST")));
        findings.set(5, None);
        let shown: Vec<_> = findings
            .iter()
            .map(|f| (f.rule, f.verdict, f.reason))
            .collect();
        assert_eq!(
            shown,
            [
                (RULE_TABLE[0].id, Verdict::Pass, "POST"),
                (RULE_TABLE[3].id, Verdict::Fail, "grant_type is missing"),
            ]
        );
        assert_eq!(
            findings.verdicts().collect::<Vec<_>>(),
            [(0, Verdict::Pass), (3, Verdict::Fail)]
        );
    }
}
