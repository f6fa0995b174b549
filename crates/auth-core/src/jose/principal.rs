//! [`Principal`]: who presented a validated access token, and what it was
//! granted; the only input to [`Grant::check_principal`](crate::Grant::check_principal).
//!
//! A resource server gets one from exactly two validated paths:
//! [`Validation::principal`] (a JWT access token whose signature the caller
//! has verified, then every RFC 9068 §4 claim check) and
//! [`Principal::from_introspection`] (an RFC 7662 answer from the
//! authorization server, active and unexpired). There is no other
//! constructor, so a [`Grant`](crate::Grant) made from a principal is as
//! trustworthy as those two paths.

use std::fmt;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::claims::{AccessTokenClaims, Audience};
use super::header::Header;
use super::validation::{Validation, check_audience, check_expiry, check_not_before};
use crate::Error;
use crate::scope::ScopeSet;
use crate::token::TokenId;

/// The validated principal of an access token: the client it was issued
/// to, its granted scopes, its audiences and its expiry. Never the token.
///
/// `Debug` shows all of it: none of it is secret (no token, no signature).
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    id: TokenId,
    client_id: String,
    scope: ScopeSet,
    audience: Vec<String>,
    expires_at: OffsetDateTime,
}

impl Principal {
    fn new(
        client_id: String,
        scope: ScopeSet,
        audience: Vec<String>,
        expires_at: OffsetDateTime,
    ) -> Self {
        Self {
            id: TokenId::next(),
            client_id,
            scope,
            audience,
            expires_at,
        }
    }

    /// The principal of an RFC 7662 introspection answer, checked at
    /// `now`: `None` when the answer says `"active": false` (§2.2); an
    /// error when it is active but expired or not yet valid beyond
    /// `leeway` (§4: the resource server still checks `exp`), when its
    /// `aud` is present and does not contain `audience`, or when its
    /// `scope` is not a valid scope list.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::Error> {
    /// use auth_core::jose::{IntrospectionClaims, Principal};
    /// let answer = IntrospectionClaims::from_json(br#"{"active":true,"client_id":"svc",
    ///     "scope":"read","exp":1700000300,"aud":"https://api.example"}"#)?;
    /// let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    /// let principal = Principal::from_introspection(&answer, "https://api.example", now, time::Duration::ZERO)?;
    /// assert_eq!(principal.map(|p| p.client_id().to_owned()).as_deref(), Some("svc"));
    /// # Ok(()) }
    /// ```
    pub fn from_introspection(
        answer: &IntrospectionClaims,
        audience: &str,
        now: OffsetDateTime,
        leeway: Duration,
    ) -> Result<Option<Self>, Error> {
        if !answer.active {
            return Ok(None);
        }
        // RFC 7662 §2.2 makes `exp` optional; without it the answer is
        // good for as long as the caller caches it.
        let expires_at = match answer.exp {
            Some(exp) => {
                check_expiry(exp, now, leeway)?;
                unix(exp)
            }
            None => OffsetDateTime::UNIX_EPOCH,
        };
        check_not_before(answer.nbf, now, leeway)?;
        if let Some(aud) = &answer.aud {
            check_audience(aud, audience)?;
        }
        let scope = ScopeSet::parse_lenient(answer.scope.as_deref().unwrap_or_default())?;
        Ok(Some(Self::new(
            answer.client_id.clone().unwrap_or_default(),
            scope,
            answer
                .aud
                .as_ref()
                .map(|aud| aud.iter().map(str::to_owned).collect())
                .unwrap_or_default(),
            expires_at,
        )))
    }

    pub(crate) fn identity(&self) -> TokenId {
        self.id
    }

    /// The client the token was issued to (`client_id`).
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The scopes the token was granted.
    #[must_use]
    pub fn scope(&self) -> &ScopeSet {
        &self.scope
    }

    /// The audiences (`aud`) the token names; empty when an introspection
    /// answer names none.
    #[must_use]
    pub fn audience(&self) -> &[String] {
        &self.audience
    }

    /// When the token expires (`exp`). The Unix epoch when an
    /// introspection answer gives no `exp`.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Validation {
    /// [`validate`](Self::validate), then the [`Principal`] of the token:
    /// its `client_id`, `scope`, `aud` and `exp`. Call it only after the
    /// JWS signature verified with the issuer's key named by `kid`: this
    /// crate has no crypto, so it cannot check that itself.
    pub fn principal(
        &self,
        header: &Header,
        claims: &AccessTokenClaims,
        now: OffsetDateTime,
    ) -> Result<Principal, Error> {
        self.validate(header, claims, now)?;
        let scope = ScopeSet::parse_lenient(claims.scope.as_deref().unwrap_or_default())?;
        Ok(Principal::new(
            claims.client_id.clone(),
            scope,
            claims.aud.iter().map(str::to_owned).collect(),
            unix(claims.exp),
        ))
    }
}

fn unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(if seconds < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        // Past year 9999: as good as never.
        time::macros::datetime!(9999-12-31 23:59:59 UTC)
    })
}

/// The members of an RFC 7662 §2.2 introspection answer a resource server
/// decides on. Every other member is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IntrospectionClaims {
    /// REQUIRED. Whether the token is active.
    pub active: bool,
    /// OPTIONAL. Space-separated scopes.
    #[serde(default)]
    pub scope: Option<String>,
    /// OPTIONAL. The client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// OPTIONAL. Expiry, in seconds since the epoch.
    #[serde(default)]
    pub exp: Option<i64>,
    /// OPTIONAL. Not valid before, in seconds since the epoch.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// OPTIONAL. The audiences.
    #[serde(default)]
    pub aud: Option<Audience>,
}

impl IntrospectionClaims {
    /// Reads an introspection answer's JSON body.
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(body).map_err(|source| {
            Error::Jws(super::error::JwsError::Json {
                part: super::error::Part::Payload,
                source,
            })
        })
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

    fn claims(scope: &str) -> AccessTokenClaims {
        let json = format!(
            r#"{{"iss":"https://as","sub":"svc","aud":"https://api","exp":{},"iat":{T0},"jti":"1","client_id":"svc","scope":"{scope}"}}"#,
            T0 + 300
        );
        AccessTokenClaims::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_valid_jwt_yields_its_client_scopes_audience_and_expiry() -> Result<(), Error> {
        let v = Validation::new("https://as", "https://api");
        let header = Header::access_token(Algorithm::Rs256, "k");
        let principal = v.principal(&header, &claims("read write"), at(T0))?;
        assert_eq!(principal.client_id(), "svc");
        assert_eq!(principal.scope().to_string(), "read write");
        assert_eq!(principal.audience(), ["https://api"]);
        assert_eq!(principal.expires_at(), at(T0 + 300));
        Ok(())
    }

    #[test]
    fn a_jwt_failing_a_claim_check_yields_no_principal() {
        let v = Validation::new("https://as", "https://other");
        let header = Header::access_token(Algorithm::Rs256, "k");
        assert!(matches!(
            v.principal(&header, &claims("read"), at(T0)),
            Err(Error::Claims(_))
        ));
    }

    #[test]
    fn introspection_inactive_is_none_and_expired_or_wrong_audience_is_refused() -> Result<(), Error>
    {
        let inactive = IntrospectionClaims::from_json(br#"{"active":false}"#)?;
        assert_eq!(
            Principal::from_introspection(&inactive, "a", at(T0), Duration::ZERO)?,
            None
        );
        let expired = IntrospectionClaims::from_json(
            format!(r#"{{"active":true,"exp":{T0},"aud":"a"}}"#).as_bytes(),
        )?;
        assert!(Principal::from_introspection(&expired, "a", at(T0), Duration::ZERO).is_err());
        let elsewhere = IntrospectionClaims::from_json(br#"{"active":true,"aud":["b","c"]}"#)?;
        assert!(Principal::from_introspection(&elsewhere, "a", at(T0), Duration::ZERO).is_err());
        Ok(())
    }

    #[test]
    fn introspection_without_active_does_not_parse() {
        assert!(IntrospectionClaims::from_json(br#"{"scope":"read"}"#).is_err());
    }
}
