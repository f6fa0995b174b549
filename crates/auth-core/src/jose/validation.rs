//! [`Validation`]: the RFC 9068 §4 checks of a JWT access token's header
//! and claims, as pure functions of the token and `now`. The one source of
//! these rules: the mock's protected resource and resource servers built
//! on this crate use the same functions.
//!
//! Signature verification is not here: it needs a crypto library, which
//! the caller brings (this crate stays free of one). Verify the signature
//! first, then these claims.

use time::{Duration, OffsetDateTime};

use super::claims::{AccessTokenClaims, Audience};
use super::error::{ClaimsError, excerpt};
use super::header::{Header, TYP_APPLICATION_AT_JWT, TYP_AT_JWT};

/// The default clock skew allowed on `exp` and `nbf` (S-67: at most 60 s).
pub const DEFAULT_LEEWAY: Duration = Duration::seconds(60);

/// What a resource server expects of an access token: its issuer, its own
/// identifier in `aud`, and the leeway on `exp` / `nbf`.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{AccessTokenClaims, Algorithm, Header, Validation};
/// let header = Header::access_token(Algorithm::Rs256, "k1");
/// let claims = AccessTokenClaims::from_json(br#"{"iss":"https://as.example","sub":"svc",
///     "aud":"https://api.example","exp":1700000300,"iat":1700000000,"jti":"1","client_id":"svc"}"#)?;
/// let validation = Validation::new("https://as.example", "https://api.example");
/// let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_100).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
/// validation.validate(&header, &claims, now)?;
/// assert!(validation.validate(&header, &claims, now + time::Duration::hours(1)).is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    issuer: String,
    audience: String,
    leeway: Duration,
}

impl Validation {
    /// Expects `issuer` exactly and `audience` among the token's `aud`,
    /// with [`DEFAULT_LEEWAY`].
    #[must_use]
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Sets the leeway on `exp` and `nbf` (negative counts as zero).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.max(Duration::ZERO);
        self
    }

    /// The expected issuer.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The expected audience.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The leeway.
    #[must_use]
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// Every RFC 9068 §4 check that needs no key, in the order the RFC
    /// lists them: `typ`, `iss`, `aud`, `exp`, then `nbf`. The first
    /// failure is returned.
    pub fn validate(
        &self,
        header: &Header,
        claims: &AccessTokenClaims,
        now: OffsetDateTime,
    ) -> Result<(), ClaimsError> {
        check_type(header.typ.as_deref())?;
        check_issuer(&claims.iss, &self.issuer)?;
        check_audience(&claims.aud, &self.audience)?;
        check_expiry(claims.exp, now, self.leeway)?;
        check_not_before(claims.nbf, now, self.leeway)
    }
}

/// RFC 9068 §4: `typ` MUST be `at+jwt` or `application/at+jwt`. Media
/// types are case-insensitive (RFC 7515 §4.1.9, RFC 8725 §3.11), so the
/// comparison is too.
pub fn check_type(typ: Option<&str>) -> Result<(), ClaimsError> {
    match typ {
        None => Err(ClaimsError::MissingType),
        Some(typ)
            if typ.eq_ignore_ascii_case(TYP_AT_JWT)
                || typ.eq_ignore_ascii_case(TYP_APPLICATION_AT_JWT) =>
        {
            Ok(())
        }
        Some(other) => Err(ClaimsError::WrongType(excerpt(other))),
    }
}

/// RFC 9068 §4: `iss` "MUST exactly match" the issuer (byte for byte: no
/// normalisation, a trailing slash counts, RFC 8414 §3.3).
pub fn check_issuer(iss: &str, expected: &str) -> Result<(), ClaimsError> {
    if iss == expected {
        Ok(())
    } else {
        Err(ClaimsError::IssuerMismatch {
            found: excerpt(iss),
        })
    }
}

/// RFC 9068 §4: `aud` MUST contain the resource server's identifier.
pub fn check_audience(aud: &Audience, expected: &str) -> Result<(), ClaimsError> {
    if aud.contains(expected) {
        Ok(())
    } else {
        Err(ClaimsError::AudienceMismatch {
            expected: excerpt(expected),
        })
    }
}

/// RFC 7519 §4.1.4: the current time MUST be before `exp`; `leeway`
/// allows for clock skew. Saturating: no date overflows.
pub fn check_expiry(exp: i64, now: OffsetDateTime, leeway: Duration) -> Result<(), ClaimsError> {
    let now_s = now.unix_timestamp();
    if now_s < exp.saturating_add(leeway.whole_seconds()) {
        Ok(())
    } else {
        Err(ClaimsError::expired(exp, now))
    }
}

/// RFC 7519 §4.1.5: the current time MUST be at or after `nbf` (when
/// present); `leeway` allows for clock skew.
pub fn check_not_before(
    nbf: Option<i64>,
    now: OffsetDateTime,
    leeway: Duration,
) -> Result<(), ClaimsError> {
    match nbf {
        Some(nbf) if now.unix_timestamp().saturating_add(leeway.whole_seconds()) < nbf => {
            Err(ClaimsError::not_yet_valid(nbf, now))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::Algorithm;

    const T0: i64 = 1_700_000_000;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://as.example/".into(),
            sub: "svc".into(),
            aud: Audience::Many(vec!["https://other".into(), "https://api.example".into()]),
            exp: T0 + 300,
            iat: T0,
            nbf: Some(T0),
            jti: "1".into(),
            client_id: "svc".into(),
            scope: None,
            extra: serde_json::Map::new(),
        }
    }

    fn validation() -> Validation {
        Validation::new("https://as.example/", "https://api.example")
    }

    #[test]
    fn typ_is_compared_case_insensitively_in_both_spellings() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/AT+JWT",
        ] {
            assert_eq!(check_type(Some(typ)), Ok(()), "{typ}");
        }
    }

    #[test]
    fn typ_jwt_or_missing_is_refused() {
        assert_eq!(check_type(None), Err(ClaimsError::MissingType));
        assert_eq!(
            check_type(Some("JWT")),
            Err(ClaimsError::WrongType("JWT".into()))
        );
        assert!(check_type(Some("at+jwt ")).is_err());
    }

    #[test]
    fn issuer_must_match_byte_for_byte() {
        assert!(check_issuer("https://as.example/", "https://as.example/").is_ok());
        assert!(check_issuer("https://as.example", "https://as.example/").is_err());
        assert!(check_issuer("https://AS.example/", "https://as.example/").is_err());
    }

    #[test]
    fn expiry_allows_the_leeway_and_no_more() {
        let leeway = Duration::seconds(60);
        assert!(check_expiry(T0, at(T0 - 1), Duration::ZERO).is_ok());
        assert!(check_expiry(T0, at(T0), Duration::ZERO).is_err());
        assert!(check_expiry(T0, at(T0 + 59), leeway).is_ok());
        assert_eq!(
            check_expiry(T0, at(T0 + 60), leeway),
            Err(ClaimsError::Expired {
                exp: T0,
                now: T0 + 60
            })
        );
        assert!(check_expiry(i64::MAX, at(T0), leeway).is_ok());
        assert!(check_expiry(i64::MIN, at(T0), leeway).is_err());
    }

    #[test]
    fn not_before_allows_the_leeway_and_no_more() {
        let leeway = Duration::seconds(60);
        assert!(check_not_before(None, at(T0), leeway).is_ok());
        assert!(check_not_before(Some(T0 + 60), at(T0), leeway).is_ok());
        assert!(check_not_before(Some(T0 + 61), at(T0), leeway).is_err());
        assert!(check_not_before(Some(i64::MAX), at(T0), leeway).is_err());
    }

    #[test]
    fn validate_accepts_a_good_token_and_names_the_first_failure() {
        let header = Header::access_token(Algorithm::Rs256, "k");
        let v = validation();
        assert_eq!(v.validate(&header, &claims(), at(T0 + 1)), Ok(()));

        let mut jwt = header.clone();
        jwt.typ = Some("JWT".into());
        assert!(matches!(
            v.validate(&jwt, &claims(), at(T0)),
            Err(ClaimsError::WrongType(_))
        ));
        let mut wrong_aud = claims();
        wrong_aud.aud = Audience::One("https://other".into());
        assert!(matches!(
            v.validate(&header, &wrong_aud, at(T0)),
            Err(ClaimsError::AudienceMismatch { .. })
        ));
        assert!(matches!(
            v.validate(&header, &claims(), at(T0 + 360)),
            Err(ClaimsError::Expired { .. })
        ));
    }

    fn message(result: Result<(), ClaimsError>) -> String {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn claims_errors_read_as_sentences() {
        let long = "x".repeat(100);
        insta::assert_snapshot!(message(check_type(Some("JWT"))), @"jwt `typ` is `JWT`, expected `at+jwt`");
        insta::assert_snapshot!(message(check_issuer(&long, "i")), @"jwt issuer `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` is not the expected issuer");
        insta::assert_snapshot!(message(check_audience(&Audience::One("a".into()), "https://api")), @"jwt audience does not contain `https://api`");
        insta::assert_snapshot!(message(check_expiry(T0, at(T0 + 61), DEFAULT_LEEWAY)), @"jwt expired at 1700000000 (unix seconds), checked at 1700000061");
        insta::assert_snapshot!(message(check_not_before(Some(T0 + 61), at(T0), Duration::ZERO)), @"jwt not valid before 1700000061 (unix seconds), checked at 1700000000");
        insta::assert_snapshot!(message(check_type(None)), @"jwt has no `typ` header, expected `at+jwt`");
    }
}
