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

type Verdicts = Option<(Verdict, &'static str)>;

/// Which requests a rule looks at.
#[derive(Clone, Copy)]
enum Check {
    Token(fn(&Observation<'_>) -> Verdicts),
    Resource(fn(&ResourceObservation<'_>) -> Verdicts),
}

/// A rule: checklist id, RFC section, level, title and check.
pub struct Rule {
    /// Checklist id.
    pub id: &'static str,
    /// RFC section.
    pub rfc: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// What it requires.
    pub title: &'static str,
    check: Check,
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
        check: Check::Token(|o| {
            Some(if o.method == "POST" {
                (Verdict::Pass, "POST")
            } else {
                (Verdict::Fail, "method is not POST")
            })
        }),
    },
    Rule {
        id: "C-02",
        rfc: "RFC 6749 §4.4.2, App. B",
        level: Level::Must,
        title: "body is application/x-www-form-urlencoded",
        check: Check::Token(|o| {
            Some(match (o.media_type_ok, o.form.is_some()) {
                (true, true) => (Verdict::Pass, "form body"),
                (false, _) => (
                    Verdict::Fail,
                    "content type is not application/x-www-form-urlencoded",
                ),
                (true, false) => (Verdict::Fail, "body is not a valid UTF-8 form"),
            })
        }),
    },
    Rule {
        id: "C-03",
        rfc: "RFC 6749 §4.4.2",
        level: Level::Must,
        title: "grant_type=client_credentials exactly once",
        check: Check::Token(|o| {
            let form = o.form?;
            Some(match (form.count("grant_type"), form.get("grant_type")) {
                (1, Some("client_credentials")) => (Verdict::Pass, "grant_type=client_credentials"),
                (0, _) => (Verdict::Fail, "grant_type is missing"),
                (1, _) => (Verdict::Fail, "grant_type is not client_credentials"),
                _ => (Verdict::Fail, "grant_type is repeated"),
            })
        }),
    },
    Rule {
        id: "C-04",
        rfc: "RFC 6749 §3.2, RFC 8707 §2",
        level: Level::Must,
        title: "no parameter repeated (except resource)",
        check: Check::Token(|o| {
            let form = o.form?;
            Some(match form.first_repeated(&["resource"]) {
                None => (Verdict::Pass, "no repeated parameter"),
                Some(_) => (Verdict::Fail, "a parameter is repeated"),
            })
        }),
    },
    Rule {
        id: "C-05",
        rfc: "RFC 6749 §2.3.1, §3.2",
        level: Level::Must,
        title: "no OAuth parameter or credential in the request URI",
        check: Check::Token(|o| {
            Some(
                if o.query_names
                    .iter()
                    .any(|n| auth_core::PROTOCOL_PARAMETERS.contains(&n.as_str()))
                {
                    (
                        Verdict::Fail,
                        "OAuth parameters or credentials in the query",
                    )
                } else {
                    (Verdict::Pass, "query carries no OAuth parameter")
                },
            )
        }),
    },
    Rule {
        id: "C-07",
        rfc: "RFC 6749 §2.3.1, §10.9",
        level: Level::Must,
        title: "credentials only over TLS (plain HTTP only on loopback)",
        check: Check::Token(|o| {
            Some(if o.secure {
                (Verdict::Pass, "TLS")
            } else if o.loopback_peer {
                (Verdict::Pass, "plain HTTP on loopback")
            } else {
                (
                    Verdict::Warn,
                    "insecure transport: plain HTTP from a non-loopback peer",
                )
            })
        }),
    },
    Rule {
        id: "C-11",
        rfc: "RFC 6749 §2.3.1, App. B",
        level: Level::Must,
        title: "Basic user and password are form-urlencoded before base64",
        check: Check::Token(|o| match o.basic? {
            BasicVerdict::Strict => Some((
                Verdict::Pass,
                "Basic credentials decode per RFC 6749 §2.3.1",
            )),
            BasicVerdict::OnlyNaive | BasicVerdict::Unencoded => {
                Some((Verdict::Fail, "unencoded Basic credentials"))
            }
            BasicVerdict::BadBase64 | BasicVerdict::NoMatch => None,
        }),
    },
    Rule {
        id: "C-13",
        rfc: "RFC 7617 §2, RFC 4648 §4",
        level: Level::Must,
        title: "Basic credentials are standard, padded base64",
        check: Check::Token(|o| match o.basic? {
            BasicVerdict::BadBase64 => Some((
                Verdict::Fail,
                "Basic credentials are not standard padded base64",
            )),
            _ => Some((Verdict::Pass, "standard base64")),
        }),
    },
    Rule {
        id: "C-15",
        rfc: "RFC 6749 §2.3",
        level: Level::Must,
        title: "exactly one client authentication method",
        check: Check::Token(|o| {
            Some(match (o.auth, o.authorization_headers) {
                (_, n) if n > 1 => (Verdict::Fail, "more than one Authorization header"),
                (DetectedAuth::Both, _) => {
                    (Verdict::Fail, "Basic and client_secret in the body at once")
                }
                (DetectedAuth::None, _) => (Verdict::Fail, "no client authentication"),
                _ => (Verdict::Pass, "one authentication method"),
            })
        }),
    },
    Rule {
        id: "C-20",
        rfc: "RFC 6749 §3.3, App. A.4",
        level: Level::Must,
        title: "scope is NQCHAR tokens joined by single spaces",
        check: Check::Token(|o| {
            let scope = o.form?.get("scope").filter(|s| !s.is_empty())?;
            Some(match ScopeSet::parse(scope) {
                Ok(_) => (Verdict::Pass, "scope syntax is valid"),
                Err(_) => (Verdict::Fail, "scope is malformed"),
            })
        }),
    },
    Rule {
        id: "C-22",
        rfc: "RFC 6749 §3.2",
        level: Level::Should,
        title: "an empty scope is omitted, not sent empty",
        check: Check::Token(|o| {
            o.form?
                .get("scope")
                .filter(|s| s.is_empty())
                .map(|_| (Verdict::Warn, "scope sent with an empty value"))
        }),
    },
    Rule {
        id: "C-37",
        rfc: "RFC 6749 §4.4.3",
        level: Level::Must,
        title: "renewal is a new client_credentials grant, never refresh_token",
        check: Check::Token(|o| {
            (o.form?.get("grant_type")? == "refresh_token").then_some((
                Verdict::Fail,
                "refresh_token grant used by a client-credentials client",
            ))
        }),
    },
    Rule {
        id: "C-49",
        rfc: "RFC 6585 §4, RFC 9110 §10.2.3",
        level: Level::Should,
        title: "the next request after 429/503 waits for Retry-After",
        check: Check::Token(|o| {
            Some(if o.waited? {
                (Verdict::Pass, "waited for Retry-After")
            } else {
                (Verdict::Fail, "retried before Retry-After elapsed")
            })
        }),
    },
    Rule {
        id: "C-59",
        rfc: "RFC 6750 §2.1, RFC 9700 §4.3.2",
        level: Level::Must,
        title: "bearer token in the Authorization header, never in the query",
        check: Check::Resource(|o| {
            if o.query_token {
                return Some((Verdict::Fail, "access token in the query"));
            }
            let value = o.authorization?;
            let (scheme, rest) = value.split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            Some(if rest.starts_with(' ') {
                (Verdict::Warn, "more than one space after Bearer")
            } else {
                (Verdict::Pass, "Authorization: Bearer")
            })
        }),
    },
    Rule {
        id: "C-60",
        rfc: "RFC 6750 §5.3",
        level: Level::Must,
        title: "bearer tokens only over TLS (plain HTTP only on loopback)",
        check: Check::Resource(|o| {
            if o.authorization.is_none() && !o.query_token {
                return None;
            }
            Some(match (o.secure, o.loopback_peer) {
                (true, _) => (Verdict::Pass, "TLS"),
                (false, true) => (Verdict::Pass, "plain HTTP on loopback"),
                (false, false) => (
                    Verdict::Fail,
                    "bearer token over plain HTTP from a non-loopback peer",
                ),
            })
        }),
    },
];

/// The findings on one request, compactly: per rule, its verdict and
/// reason if it had something to say. No allocation per request; expanded
/// to [`Finding`]s (in rule order) only when the journal is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Findings([Option<(Verdict, &'static str)>; RULE_COUNT]);

impl Default for Findings {
    fn default() -> Self {
        Self([None; RULE_COUNT])
    }
}

impl Findings {
    /// The findings in rule order, as the journal shows them.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Finding> + '_ {
        RULE_TABLE
            .iter()
            .zip(&self.0)
            .filter_map(|(rule, outcome)| outcome.map(|v| finding(rule, v)))
    }

    pub(crate) fn expanded(&self) -> Vec<Finding> {
        self.iter().collect()
    }
}

fn finding(rule: &Rule, (verdict, reason): (Verdict, &'static str)) -> Finding {
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
    for (rule, slot) in RULE_TABLE.iter().zip(&mut findings.0) {
        if let Check::Token(check) = rule.check {
            *slot = check(observation);
        }
    }
    findings
}

/// Applies every protected-resource rule that has something to say.
pub(crate) fn evaluate_resource(observation: &ResourceObservation<'_>) -> Findings {
    let mut findings = Findings::default();
    for (rule, slot) in RULE_TABLE.iter().zip(&mut findings.0) {
        if let Check::Resource(check) = rule.check {
            *slot = check(observation);
        }
    }
    findings
}
