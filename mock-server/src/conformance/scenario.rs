//! The scenarios of the conformance runner, as data: which client is
//! registered, what it is asked to do, what the provider does to it, what
//! it is expected to do, and which behavioural checks judge it.
//!
//! Every scenario is also judged by the checks that apply to all of them
//! (the request-level rules of [`super::rules`], the auth method, the
//! scope, and the exit status): see [`super::check`].

use std::time::Duration;

use auth_core::ClientAuthMethod;

use super::Level;
use super::reference::RuleEntry;
use crate::fault::{Endpoint, Fault, FaultRule};

/// What the client is expected to do in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// Every resource call succeeds: exit 0.
    Success,
    /// An unrecoverable error: a non-zero exit, before the time bound.
    Failure,
}

/// One scenario. All fields are `'static` data, except the faults, which
/// need the URL of the runner's redirect-target listener.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Scenario {
    /// Stable id (kebab-case), used by `--scenario` and baselines.
    pub id: &'static str,
    /// One line on what it exercises.
    pub title: &'static str,
    /// Part of the `quick` suite.
    pub quick: bool,
    /// The registered client id (`OAUTH_CLIENT_ID`).
    pub client_id: &'static str,
    /// Its secret (`OAUTH_CLIENT_SECRET`).
    pub secret: &'static str,
    /// Its registered (and announced) authentication method.
    pub auth_method: ClientAuthMethod,
    /// Public keys registered for a `private_key_jwt` client: the client
    /// holds the first; more are older keys still registered (a rotation),
    /// so the assertion's `kid` must pick.
    pub client_keys: usize,
    /// Scopes to request (`OAUTH_SCOPES`); also the registered scopes.
    pub scopes: &'static str,
    /// Resource calls to make (`OAUTH_CALLS`).
    pub calls: u32,
    /// Pause between two calls (`OAUTH_CALL_INTERVAL_MS`).
    pub interval: Duration,
    /// Lifetime of the tokens the provider issues (whole seconds).
    pub token_lifetime: Duration,
    /// The faults queued before the client starts; the argument is the
    /// URL of the redirect-target listener.
    pub faults: fn(&str) -> Vec<FaultRule>,
    /// The expected end.
    pub expected: Expected,
    /// Checklist id of what the exit expectation judges.
    pub expected_rule: &'static str,
    /// RFC section of the exit expectation.
    pub expected_rfc: &'static str,
    /// Level of the exit expectation.
    pub expected_level: Level,
    /// Behavioural checks (ids in [`super::check::CHECKS`]) that judge this
    /// scenario on top of the common ones.
    pub checks: &'static [&'static str],
    /// Request rules reported under another checklist id and level here.
    pub rule_overrides: &'static [RuleOverride],
}

/// A request rule reported under another checklist id, RFC section and
/// level in one scenario: raw UTF-8 inside Basic breaks C-11 (MUST), but
/// non-ASCII secrets are outside RFC 6749's VSCHAR grammar, so the
/// checklist judges them as C-12, a SHOULD (checklist §C.3).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RuleOverride {
    /// The rule id in [`super::rules::RULES`].
    pub rule: &'static str,
    /// The id to report.
    pub id: &'static str,
    /// The RFC section to report.
    pub rfc: &'static str,
    /// The level to report.
    pub level: Level,
    /// What it requires, reported instead of the rule's title.
    pub title: &'static str,
    /// What is checked, for the rule reference.
    pub checked: &'static str,
    /// How a client fixes a failure, for the rule reference.
    pub fix: &'static str,
}

/// The checklist rules that no request rule or behavioural check judges on
/// its own, only a scenario's expected end (`EXIT`, see
/// [`Scenario::expected_rule`]; the other `expected_rule` ids are request
/// rules or checks): kept for the rule reference.
pub static EXIT_RULES: &[RuleEntry] = &[
    RuleEntry {
        id: "C-19",
        rfc: "RFC 6749 §3.3",
        level: Level::Must,
        title: "several scopes are one space-delimited scope value",
        checked: "Through `EXIT` (and C-21): with the scopes `discovery:read ts.mec.fullaccess`, the client must complete every call, which it does only if both arrive as one `scope` value the provider can grant.",
        fix: "Join the scopes with single spaces into one `scope` parameter and form-encode it (`discovery%3Aread+ts.mec.fullaccess`); never commas, never a repeated `scope`.",
    },
    RuleEntry {
        id: "C-25",
        rfc: "RFC 6749 §4.4.2, §5.1",
        level: Level::Must,
        title: "a 200 JSON token response is accepted and its token used",
        checked: "Through `EXIT`: against a conforming provider (`200`, `application/json`, the token in `access_token`), the client must complete every call and exit 0.",
        fix: "Accept `200` with `Content-Type: application/json` (any case, any parameters such as `charset`) and the members in any order; send the `access_token` as a Bearer token.",
    },
    RuleEntry {
        id: "C-27",
        rfc: "RFC 6749 §5.1, RFC 6750 §2.1",
        level: Level::Must,
        title: "token_type is case-insensitive; the token is sent as Bearer",
        checked: "Through `EXIT`: the provider answers `\"token_type\": \"bearer\"`; the client must accept it and complete every call.",
        fix: "Compare `token_type` with `Bearer` case-insensitively, and send `Authorization: Bearer` whatever case the provider used.",
    },
    RuleEntry {
        id: "C-31",
        rfc: "RFC 6749 §5.1",
        level: Level::Should,
        title: "a missing expires_in gets a default lifetime",
        checked: "Through `EXIT`: the token answer has no `expires_in`; the client must still use the token and complete every call.",
        fix: "When `expires_in` is absent, assume a configured default lifetime (a few minutes) and renew on `401 invalid_token`; do not reject the answer, and do not keep the token forever.",
    },
    RuleEntry {
        id: "C-35",
        rfc: "RFC 6749 App. A.14",
        level: Level::Should,
        title: "expires_in as a string of digits is accepted",
        checked: "Through `EXIT`: the provider answers `\"expires_in\": \"3600\"`; the client must accept it and complete every call.",
        fix: "Read a string of digits in `expires_in` as its number (a warning is fine); treat other values that are not numbers as a missing `expires_in` (C-31) rather than failing the whole answer.",
    },
    RuleEntry {
        id: "C-42",
        rfc: "RFC 6749 §5.1 (derived)",
        level: Level::Must,
        title: "a non-JSON token answer is an error, not a token",
        checked: "Through `EXIT` (with C-43 and C-48): the token endpoint answers an HTML `502` page every time; the client must exit non-zero before the bound, without calling the resource.",
        fix: "Check the status and the content type before parsing; report a non-JSON answer as an error carrying the status and a short excerpt of the body (never a secret); retry a 502 a bounded number of times.",
    },
    RuleEntry {
        id: "C-44",
        rfc: "RFC 6749 §5.1",
        level: Level::Should,
        title: "an oversized token response is refused while reading",
        checked: "Through `EXIT`: the token response body is 4 MiB; the client must stop reading at a cap of its own and exit non-zero before the bound.",
        fix: "Cap the token response body (1 MiB is plenty; tokens are small) and abort the read past the cap with an error; never buffer an unbounded body.",
    },
];

impl Scenario {
    /// The scopes to request, as a list.
    pub fn scope_list(&self) -> impl Iterator<Item = &'static str> {
        self.scopes.split(' ').filter(|s| !s.is_empty())
    }
}

/// `OAUTH_AUTH_METHOD` value of a method.
#[must_use]
pub fn auth_method_name(method: ClientAuthMethod) -> &'static str {
    match method {
        ClientAuthMethod::ClientSecretPost => "client_secret_post",
        ClientAuthMethod::PrivateKeyJwt => "private_key_jwt",
        ClientAuthMethod::ClientSecretJwt => "client_secret_jwt",
        _ => "client_secret_basic",
    }
}

/// Suites: named sets of scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Suite {
    /// Every scenario.
    #[default]
    All,
    /// The handful that matter most (about ten seconds with a good client).
    Quick,
    /// Every scenario whose client authenticates with its secret itself
    /// (`client_secret_basic` or `client_secret_post`): for clients that
    /// sign no assertion, so a method they never send is not judged.
    Secret,
}

impl Suite {
    /// The scenarios of the suite, in order.
    #[must_use]
    pub fn scenarios(self) -> Vec<&'static Scenario> {
        SCENARIOS.iter().filter(|s| self.includes(s)).collect()
    }

    fn includes(self, scenario: &Scenario) -> bool {
        match self {
            Self::All => true,
            Self::Quick => scenario.quick,
            Self::Secret => matches!(
                scenario.auth_method,
                ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
            ),
        }
    }

    /// Its name on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Quick => "quick",
            Self::Secret => "secret",
        }
    }
}

/// The scenario with this id.
#[must_use]
pub fn find(id: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.id == id)
}

const F1_ID: &str = "s6BhdRkqt3";
const F1_SECRET: &str = "gX1fBat3bV";
const HOUR: Duration = Duration::from_secs(3600);
/// Size of the oversized token response: 4 MiB, four times a sane cap.
const OVERSIZED_BYTES: usize = 4 * 1024 * 1024;

fn none(_: &str) -> Vec<FaultRule> {
    Vec::new()
}

/// The checks of every client-assertion scenario.
const ASSERTION_CHECKS: &[&str] = &["C-64", "C-65", "C-66", "C-67", "C-68", "C-69"];

/// Those, and the bounded retry.
const ASSERTION_RETRY_CHECKS: &[&str] = &["C-48", "C-64", "C-65", "C-66", "C-67", "C-68", "C-69"];

const BASE: Scenario = Scenario {
    id: "",
    title: "",
    quick: false,
    client_id: F1_ID,
    secret: F1_SECRET,
    auth_method: ClientAuthMethod::ClientSecretBasic,
    client_keys: 1,
    scopes: "read",
    calls: 2,
    interval: Duration::ZERO,
    token_lifetime: HOUR,
    faults: none,
    expected: Expected::Success,
    expected_rule: "C-25",
    expected_rfc: "RFC 6749 §4.4.2, §5.1",
    expected_level: Level::Must,
    checks: &[],
    rule_overrides: &[],
};

/// Every scenario, in run order.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "basic-plain",
        title: "client_secret_basic with plain credentials (checklist F1)",
        quick: true,
        ..BASE
    },
    Scenario {
        id: "basic-special-chars",
        title: "client_secret_basic with RFC 6749 §2.3.1 special characters (F2), strict decoding",
        quick: true,
        client_id: "client:id+1",
        secret: "a b+c/d%e&f=g:h~i",
        expected_rule: "C-11",
        expected_rfc: "RFC 6749 §2.3.1, App. B",
        ..BASE
    },
    Scenario {
        id: "basic-non-ascii",
        title: "client_secret_basic with a UTF-8 secret (F3), strict decoding",
        client_id: "svc-1",
        secret: "pässwörd€",
        expected_rule: "C-12",
        expected_rfc: "RFC 6749 App. B",
        expected_level: Level::Should,
        rule_overrides: &[RuleOverride {
            rule: "C-11",
            id: "C-12",
            rfc: "RFC 6749 §2.3.1, App. B",
            level: Level::Should,
            title: "non-ASCII credentials are UTF-8, then form-urlencoded, before base64",
            checked: "C-11's decoding, for a client whose secret is not ASCII (`pässwörd€`): the secret must arrive UTF-8 encoded, then form-urlencoded (`p%C3%A4ssw%C3%B6rd%E2%82%AC`), inside the base64. Raw UTF-8 or Latin-1 bytes fail. A SHOULD, not C-11's MUST: RFC 6749 App. A.2 keeps secrets to ASCII, but App. B defines the encoding (checklist C.3).",
            fix: "Encode the id and the secret as UTF-8, then form-urlencode each, before joining and base64 (as for C-11); never Latin-1, never raw bytes.",
        }],
        ..BASE
    },
    Scenario {
        id: "client-secret-post",
        title: "client_secret_post: credentials in the body, no Authorization header",
        quick: true,
        client_id: "post-only",
        secret: "s3cret-post",
        auth_method: ClientAuthMethod::ClientSecretPost,
        expected_rule: "C-14",
        expected_rfc: "RFC 6749 §2.3.1",
        ..BASE
    },
    Scenario {
        id: "scopes-special",
        title: "several scopes with `:` and `.`",
        quick: true,
        client_id: "dev-service",
        secret: "dev-secret",
        scopes: "discovery:read ts.mec.fullaccess",
        expected_rule: "C-19",
        expected_rfc: "RFC 6749 §3.3",
        ..BASE
    },
    Scenario {
        id: "no-scope",
        title: "OAUTH_SCOPES empty: no scope parameter (the provider's default applies)",
        scopes: "",
        expected_rule: "C-22",
        expected_rfc: "RFC 6749 §3.2, §3.3",
        ..BASE
    },
    Scenario {
        id: "token-reuse",
        title: "a valid token is reused across calls: exactly one token request",
        quick: true,
        calls: 3,
        interval: Duration::from_millis(100),
        expected_rule: "C-53",
        checks: &["C-53"],
        ..BASE
    },
    Scenario {
        id: "short-lifetime",
        title: "a 3 s token is renewed before it expires; no expired token presented",
        quick: true,
        // The issuer rounds expiry up to a whole second, so the first token
        // dies 3-4 s in; the last call comes 4.5 s in, past it in every case,
        // and a client renewing at the usual quarter-lifetime skew (2.25 s)
        // never presents it.
        calls: 4,
        interval: Duration::from_millis(1500),
        token_lifetime: Duration::from_secs(3),
        expected_rule: "C-54",
        expected_rfc: "RFC 6749 §5.1",
        expected_level: Level::Should,
        checks: &["C-54"],
        ..BASE
    },
    Scenario {
        id: "resource-invalid-token",
        title: "the resource answers 401 invalid_token once: one renewal, one retry, no loop",
        quick: true,
        expected_rule: "C-57",
        expected_rfc: "RFC 6750 §3.1",
        expected_level: Level::Should,
        faults: |_| {
            vec![
                FaultRule::new(Fault::Raw {
                    status: 401,
                    headers: vec![
                        (
                            "www-authenticate".into(),
                            r#"Bearer realm="mock", error="invalid_token", error_description="the access token expired""#.into(),
                        ),
                        ("content-type".into(), "application/json".into()),
                    ],
                    body: r#"{"error":"invalid_token"}"#.into(),
                })
                .for_endpoint(Endpoint::Resource),
            ]
        },
        checks: &["C-57"],
        ..BASE
    },
    Scenario {
        id: "private-key-jwt",
        title: "private_key_jwt: an ES256 client assertion (RFC 7523), no secret",
        client_id: "jwt-signer",
        secret: "",
        auth_method: ClientAuthMethod::PrivateKeyJwt,
        expected_rule: "C-64",
        expected_rfc: "RFC 7521 §4.2, RFC 7523 §2.2",
        checks: ASSERTION_CHECKS,
        ..BASE
    },
    Scenario {
        id: "client-secret-jwt",
        title: "client_secret_jwt: an HS256 client assertion keyed with the secret",
        client_id: "jwt-secret",
        secret: "a-secret-of-at-least-32-bytes-for-hs256",
        auth_method: ClientAuthMethod::ClientSecretJwt,
        expected_rule: "C-64",
        expected_rfc: "RFC 7521 §4.2, RFC 7523 §2.2",
        checks: ASSERTION_CHECKS,
        ..BASE
    },
    Scenario {
        id: "private-key-jwt-503-retry",
        title: "private_key_jwt, 503 once: the retry carries a fresh jti",
        client_id: "jwt-signer",
        secret: "",
        auth_method: ClientAuthMethod::PrivateKeyJwt,
        expected_rule: "C-68",
        expected_rfc: "OIDC Core §9",
        faults: |_| vec![FaultRule::new(Fault::Status(503))],
        checks: ASSERTION_RETRY_CHECKS,
        ..BASE
    },
    Scenario {
        id: "client-secret-jwt-503-retry",
        title: "client_secret_jwt, 503 once: the retry carries a fresh jti",
        client_id: "jwt-secret",
        secret: "a-secret-of-at-least-32-bytes-for-hs256",
        auth_method: ClientAuthMethod::ClientSecretJwt,
        expected_rule: "C-68",
        expected_rfc: "OIDC Core §9",
        faults: |_| vec![FaultRule::new(Fault::Status(503))],
        checks: ASSERTION_RETRY_CHECKS,
        ..BASE
    },
    Scenario {
        id: "private-key-jwt-key-rotation",
        title: "private_key_jwt with a new and an old key registered: the kid picks",
        client_id: "jwt-signer",
        secret: "",
        auth_method: ClientAuthMethod::PrivateKeyJwt,
        client_keys: 2,
        expected_rule: "C-69",
        expected_rfc: "RFC 7523 §3 item 9, RFC 8725 §3.1",
        checks: ASSERTION_CHECKS,
        ..BASE
    },
    Scenario {
        id: "token-503-then-success",
        title: "503 once from the token endpoint, then success: bounded retry",
        expected_rule: "C-48",
        expected_rfc: "RFC 9110 §15.6.4",
        expected_level: Level::Should,
        faults: |_| vec![FaultRule::new(Fault::Status(503))],
        checks: &["C-48"],
        ..BASE
    },
    Scenario {
        id: "token-429-retry-after",
        title: "429 with Retry-After: 1 once, then success: the wait is honoured",
        expected_rule: "C-49",
        expected_rfc: "RFC 6585 §4, RFC 9110 §10.2.3",
        expected_level: Level::Should,
        faults: |_| {
            vec![FaultRule::new(Fault::RetryAfter {
                status: 429,
                seconds: 1,
            })]
        },
        checks: &["C-48"],
        ..BASE
    },
    Scenario {
        id: "invalid-client",
        title: "401 invalid_client: a clean failure, no retry storm",
        quick: true,
        expected: Expected::Failure,
        expected_rule: "C-47",
        expected_rfc: "RFC 6749 §5.2",
        faults: |_| vec![FaultRule::new(Fault::InvalidClient).always()],
        checks: &["C-47"],
        ..BASE
    },
    Scenario {
        id: "expires-in-string",
        title: "`expires_in` as a string of digits is accepted",
        expected_rule: "C-35",
        expected_rfc: "RFC 6749 App. A.14",
        expected_level: Level::Should,
        faults: |_| vec![FaultRule::new(Fault::ExpiresInString).always()],
        ..BASE
    },
    Scenario {
        id: "token-type-lowercase",
        title: "`token_type: bearer` is accepted (case-insensitive) and sent as Bearer",
        expected_rule: "C-27",
        expected_rfc: "RFC 6749 §5.1, RFC 6750 §2.1",
        faults: |_| vec![FaultRule::new(Fault::LowercaseTokenType).always()],
        ..BASE
    },
    Scenario {
        id: "error-in-200",
        title: "200 with an RFC 6749 §5.2 error body: a failure, no empty token used",
        quick: true,
        expected: Expected::Failure,
        expected_rule: "C-43",
        expected_rfc: "RFC 6749 §5.1",
        faults: |_| vec![FaultRule::new(Fault::ErrorIn200).always()],
        checks: &["C-43"],
        ..BASE
    },
    Scenario {
        id: "html-502",
        title: "an HTML 502 page from a gateway: an error, bounded retries, no token",
        expected: Expected::Failure,
        expected_rule: "C-42",
        expected_rfc: "RFC 6749 §5.1",
        faults: |_| vec![FaultRule::new(Fault::Html { status: 502 }).always()],
        checks: &["C-43", "C-48"],
        ..BASE
    },
    Scenario {
        id: "token-endpoint-hang",
        title: "the token endpoint never answers: the client times out",
        expected: Expected::Failure,
        expected_rule: "C-51",
        expected_rfc: "RFC 6749 §5.1",
        expected_level: Level::Should,
        faults: |_| vec![FaultRule::new(Fault::Hang).always()],
        checks: &["C-51"],
        ..BASE
    },
    Scenario {
        id: "no-expires-in",
        title: "no `expires_in`: the token is used with a default lifetime",
        expected_rule: "C-31",
        expected_rfc: "RFC 6749 §5.1",
        expected_level: Level::Should,
        faults: |_| vec![FaultRule::new(Fault::NoExpiresIn).always()],
        ..BASE
    },
    Scenario {
        id: "oversized-body",
        title: "a 4 MiB token response: refused while reading, no hang",
        expected: Expected::Failure,
        expected_rule: "C-44",
        expected_rfc: "RFC 6749 §5.1",
        expected_level: Level::Should,
        faults: |_| {
            vec![
                FaultRule::new(Fault::Oversized {
                    bytes: OVERSIZED_BYTES,
                })
                .always(),
            ]
        },
        checks: &["C-51"],
        ..BASE
    },
    Scenario {
        id: "token-redirect",
        title: "307 from the token endpoint to another origin: not followed with credentials",
        expected: Expected::Failure,
        expected_rule: "C-50",
        expected_rfc: "RFC 9700 §4.12",
        faults: |target| {
            vec![
                FaultRule::new(Fault::Redirect {
                    location: format!("{target}/token"),
                })
                .always(),
            ]
        },
        checks: &["C-50"],
        ..BASE
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_ids_are_unique_and_checks_exist() {
        let mut ids: Vec<&str> = SCENARIOS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SCENARIOS.len());
        for scenario in SCENARIOS {
            assert!(scenario.calls >= 1, "{}", scenario.id);
            for check in scenario.checks {
                assert!(
                    super::super::check::find(check).is_some(),
                    "{}: unknown check {check}",
                    scenario.id
                );
            }
        }
    }

    #[test]
    fn quick_is_a_subset_of_all() {
        assert!(Suite::Quick.scenarios().len() < Suite::All.scenarios().len());
        assert!(Suite::Quick.scenarios().iter().all(|s| s.quick));
    }

    #[test]
    fn secret_is_every_scenario_without_an_assertion() {
        let secret = Suite::Secret.scenarios();
        let assertion: Vec<_> = SCENARIOS
            .iter()
            .filter(|s| {
                matches!(
                    s.auth_method,
                    ClientAuthMethod::PrivateKeyJwt | ClientAuthMethod::ClientSecretJwt
                )
            })
            .collect();
        assert!(!assertion.is_empty(), "the suite would filter nothing");
        assert_eq!(secret.len() + assertion.len(), SCENARIOS.len());
        assert!(
            secret
                .iter()
                .all(|s| !assertion.iter().any(|a| a.id == s.id))
        );
        assert!(
            secret
                .iter()
                .any(|s| s.auth_method == ClientAuthMethod::ClientSecretPost)
        );
    }
}
