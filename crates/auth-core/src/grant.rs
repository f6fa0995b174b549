//! [`Grant`]: the proof that a token was granted what a [`Requirement`]
//! names, and [`MissingScopes`], why a token is not.

use std::fmt;
use std::marker::PhantomData;

use crate::jose::Principal;
use crate::requirement::Requirement;
use crate::scope::ScopeSet;
use crate::token::{OAuthToken, TokenId};

/// Proof that a token's *granted* scope meets the requirement `R`.
///
/// The only way to get one is [`Grant::check`] (or
/// [`Client::grant`](crate::Client::grant)), which reads what the provider
/// granted: the `scope` of its answer, or, when the answer has none, the
/// scope that was requested (RFC 6749 §5.1: the provider MUST send `scope`
/// when it differs from the request). Declared implications are honoured,
/// nothing else. The fields are private, so a grant cannot be forged, and
/// an operation that requires `R` takes a `&Grant<R>`: sending it without
/// one, or with a grant for other scopes, does not compile.
///
/// A grant is tied to the token it was checked against (by an identity
/// every new token gets, not by its value, which the grant never holds).
/// Used with another token (a renewal), it is only good after that token
/// passes the same check: [`Grant::verify`]. Copying a grant is cheap, and
/// `Debug` shows the requirement and the token's identity only.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{AccessToken, Grant, OAuthToken};
/// use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
/// # let now = time::OffsetDateTime::UNIX_EPOCH;
/// let token = OAuthToken::new(AccessToken::new("t"), now, now, "discovery:read".parse()?);
/// let grant = Grant::<DiscoveryRead>::check(&token)?;
/// assert!(grant.is_for(&token));
/// let refused = Grant::<(DiscoveryRead, ServiceProfileWrite)>::check(&token).unwrap_err();
/// assert_eq!(refused.to_string(), "token was not granted serviceprofile:write (granted: discovery:read)");
/// # Ok(()) }
/// ```
pub struct Grant<R: Requirement> {
    token: TokenId,
    // `fn() -> R`: a grant holds no `R`, so it is `Send`, `Sync` and
    // `Copy` whatever `R` is.
    requirement: PhantomData<fn() -> R>,
}

impl<R: Requirement> Grant<R> {
    /// Checks that `token`'s granted scope meets `R`, with the implications
    /// declared on `R`'s scope types. A mask test for named scopes: cheap
    /// enough to run before every call.
    #[inline]
    pub fn check(token: &OAuthToken) -> Result<Self, MissingScopes> {
        if R::is_met_by(token.scope()) {
            Ok(Self {
                token: token.id(),
                requirement: PhantomData,
            })
        } else {
            Err(MissingScopes::of::<R>(token.scope()))
        }
    }

    /// Checks that a validated [`Principal`] (the resource server's side:
    /// a verified JWT access token or an active introspection answer) was
    /// granted what `R` needs. A principal is only made by a validation
    /// path, so a grant made here is as trustworthy as that path.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::Error> {
    /// use auth_core::Grant;
    /// use auth_core::jose::{IntrospectionClaims, Principal};
    /// use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
    /// let answer = IntrospectionClaims::from_json(br#"{"active":true,"scope":"discovery:read"}"#)?;
    /// let now = time::OffsetDateTime::UNIX_EPOCH;
    /// let Some(principal) = Principal::from_introspection(&answer, "api", now, time::Duration::ZERO)? else {
    ///     unreachable!("the answer is active");
    /// };
    /// assert!(Grant::<DiscoveryRead>::check_principal(&principal).is_ok());
    /// assert!(Grant::<ServiceProfileWrite>::check_principal(&principal).is_err());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn check_principal(principal: &Principal) -> Result<Self, MissingScopes> {
        if R::is_met_by(principal.scope()) {
            Ok(Self {
                token: principal.identity(),
                requirement: PhantomData,
            })
        } else {
            Err(MissingScopes::of::<R>(principal.scope()))
        }
    }

    /// True when this grant was checked against `principal`.
    #[must_use]
    #[inline]
    pub fn is_for_principal(&self, principal: &Principal) -> bool {
        self.token == principal.identity()
    }

    /// True when this grant was checked against `token` (or a clone of it).
    #[must_use]
    #[inline]
    pub fn is_for(&self, token: &OAuthToken) -> bool {
        self.token == token.id()
    }

    /// Whether this grant may be used with `token`: at once when it was
    /// checked against it; for another token (say, a renewal) only when
    /// that token also meets `R`. A renewed token with fewer scopes is
    /// never used under an old grant.
    #[inline]
    pub fn verify(&self, token: &OAuthToken) -> Result<(), MissingScopes> {
        if self.is_for(token) || R::is_met_by(token.scope()) {
            Ok(())
        } else {
            Err(MissingScopes::of::<R>(token.scope()))
        }
    }
}

impl<R: Requirement> Clone for Grant<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: Requirement> Copy for Grant<R> {}

impl<R: Requirement> fmt::Debug for Grant<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grant")
            .field("requires", &R::scopes())
            .field("token", &self.token)
            .finish()
    }
}

/// A token was not granted every scope a requirement names (after the
/// declared implications). Names what is missing and what was granted;
/// scopes are not secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token was not granted {missing} (granted: {})", Granted(granted))]
pub struct MissingScopes {
    missing: ScopeSet,
    granted: ScopeSet,
}

impl MissingScopes {
    fn of<R: Requirement>(granted: &ScopeSet) -> Self {
        let mut missing = Vec::new();
        R::push_missing(granted, &mut missing);
        Self {
            missing: missing.into_iter().collect(),
            granted: granted.clone(),
        }
    }

    /// The required scopes the token was not granted.
    #[must_use]
    pub fn missing(&self) -> &ScopeSet {
        &self.missing
    }

    /// What the token was granted.
    #[must_use]
    pub fn granted(&self) -> &ScopeSet {
        &self.granted
    }
}

/// The granted set in a message: `none` rather than nothing.
struct Granted<'a>(&'a ScopeSet);

impl fmt::Display for Granted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("none")
        } else {
            fmt::Display::fmt(self.0, f)
        }
    }
}
