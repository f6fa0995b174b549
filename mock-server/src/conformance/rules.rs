//! Each server-observable client rule as data: id, RFC section, level and a
//! check over what the token endpoint saw.

use auth_core::ScopeSet;
use auth_core::form::Form;

use super::{Finding, Level, Verdict};
use crate::journal::DetectedAuth;

/// How the Basic credentials decoded, judged against the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BasicVerdict {
    /// The RFC 6749 §2.3.1 decode matches a registered client.
    Strict,
    /// Only the raw (unencoded) decode matches (RFC 7617 style).
    OnlyNaive,
    /// The strict decode matches, but the halves hold characters a form
    /// encoder escapes (raw UTF-8, space, `:`): the client did not encode.
    Unencoded,
    /// Not standard padded base64 (RFC 7617 §2, RFC 4648 §4).
    BadBase64,
    /// Neither matches (unknown client or wrong secret).
    NoMatch,
}

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
}

type Check = fn(&Observation<'_>) -> Option<(Verdict, &'static str)>;

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

const OAUTH_PARAMS: [&str; 6] = [
    "grant_type",
    "scope",
    "client_id",
    "client_secret",
    "resource",
    "audience",
];

/// The token-request rules, in checklist order.
pub static TOKEN_RULES: &[Rule] = &[
    Rule {
        id: "C-01",
        rfc: "RFC 6749 §3.2",
        level: Level::Must,
        title: "token request uses POST",
        check: |o| {
            Some(if o.method == "POST" {
                (Verdict::Pass, "POST")
            } else {
                (Verdict::Fail, "method is not POST")
            })
        },
    },
    Rule {
        id: "C-02",
        rfc: "RFC 6749 §4.4.2, App. B",
        level: Level::Must,
        title: "body is application/x-www-form-urlencoded",
        check: |o| {
            Some(match (o.media_type_ok, o.form.is_some()) {
                (true, true) => (Verdict::Pass, "form body"),
                (false, _) => (
                    Verdict::Fail,
                    "content type is not application/x-www-form-urlencoded",
                ),
                (true, false) => (Verdict::Fail, "body is not a valid UTF-8 form"),
            })
        },
    },
    Rule {
        id: "C-03",
        rfc: "RFC 6749 §4.4.2",
        level: Level::Must,
        title: "grant_type=client_credentials exactly once",
        check: |o| {
            let form = o.form?;
            Some(match (form.count("grant_type"), form.get("grant_type")) {
                (1, Some("client_credentials")) => (Verdict::Pass, "grant_type=client_credentials"),
                (0, _) => (Verdict::Fail, "grant_type is missing"),
                (1, _) => (Verdict::Fail, "grant_type is not client_credentials"),
                _ => (Verdict::Fail, "grant_type is repeated"),
            })
        },
    },
    Rule {
        id: "C-04",
        rfc: "RFC 6749 §3.2, RFC 8707 §2",
        level: Level::Must,
        title: "no parameter repeated (except resource)",
        check: |o| {
            let form = o.form?;
            Some(match form.first_repeated(&["resource"]) {
                None => (Verdict::Pass, "no repeated parameter"),
                Some(_) => (Verdict::Fail, "a parameter is repeated"),
            })
        },
    },
    Rule {
        id: "C-05",
        rfc: "RFC 6749 §2.3.1, §3.2",
        level: Level::Must,
        title: "no OAuth parameter or credential in the request URI",
        check: |o| {
            Some(
                if o.query_names
                    .iter()
                    .any(|n| OAUTH_PARAMS.contains(&n.as_str()))
                {
                    (
                        Verdict::Fail,
                        "OAuth parameters or credentials in the query",
                    )
                } else {
                    (Verdict::Pass, "query carries no OAuth parameter")
                },
            )
        },
    },
    Rule {
        id: "C-07",
        rfc: "RFC 6749 §2.3.1, §10.9",
        level: Level::Must,
        title: "credentials only over TLS (plain HTTP only on loopback)",
        check: |o| {
            Some(if o.loopback_peer {
                (Verdict::Pass, "plain HTTP on loopback")
            } else {
                (
                    Verdict::Warn,
                    "insecure transport: plain HTTP from a non-loopback peer",
                )
            })
        },
    },
    Rule {
        id: "C-11",
        rfc: "RFC 6749 §2.3.1, App. B",
        level: Level::Must,
        title: "Basic user and password are form-urlencoded before base64",
        check: |o| match o.basic? {
            BasicVerdict::Strict => Some((
                Verdict::Pass,
                "Basic credentials decode per RFC 6749 §2.3.1",
            )),
            BasicVerdict::OnlyNaive | BasicVerdict::Unencoded => {
                Some((Verdict::Fail, "unencoded Basic credentials"))
            }
            BasicVerdict::BadBase64 | BasicVerdict::NoMatch => None,
        },
    },
    Rule {
        id: "C-13",
        rfc: "RFC 7617 §2, RFC 4648 §4",
        level: Level::Must,
        title: "Basic credentials are standard, padded base64",
        check: |o| match o.basic? {
            BasicVerdict::BadBase64 => Some((
                Verdict::Fail,
                "Basic credentials are not standard padded base64",
            )),
            _ => Some((Verdict::Pass, "standard base64")),
        },
    },
    Rule {
        id: "C-15",
        rfc: "RFC 6749 §2.3",
        level: Level::Must,
        title: "exactly one client authentication method",
        check: |o| {
            Some(match (o.auth, o.authorization_headers) {
                (_, n) if n > 1 => (Verdict::Fail, "more than one Authorization header"),
                (DetectedAuth::Both, _) => {
                    (Verdict::Fail, "Basic and client_secret in the body at once")
                }
                (DetectedAuth::None, _) => (Verdict::Fail, "no client authentication"),
                _ => (Verdict::Pass, "one authentication method"),
            })
        },
    },
    Rule {
        id: "C-20",
        rfc: "RFC 6749 §3.3, App. A.4",
        level: Level::Must,
        title: "scope is NQCHAR tokens joined by single spaces",
        check: |o| {
            let scope = o.form?.get("scope").filter(|s| !s.is_empty())?;
            Some(match ScopeSet::parse(scope) {
                Ok(_) => (Verdict::Pass, "scope syntax is valid"),
                Err(_) => (Verdict::Fail, "scope is malformed"),
            })
        },
    },
    Rule {
        id: "C-22",
        rfc: "RFC 6749 §3.2",
        level: Level::Should,
        title: "an empty scope is omitted, not sent empty",
        check: |o| {
            o.form?
                .get("scope")
                .filter(|s| s.is_empty())
                .map(|_| (Verdict::Warn, "scope sent with an empty value"))
        },
    },
];

/// Applies every rule that has something to say.
pub(crate) fn evaluate(observation: &Observation<'_>) -> Vec<Finding> {
    TOKEN_RULES
        .iter()
        .filter_map(|rule| {
            let (verdict, reason) = (rule.check)(observation)?;
            Some(Finding {
                rule: rule.id,
                rfc: rule.rfc,
                level: rule.level,
                verdict,
                reason,
            })
        })
        .collect()
}
