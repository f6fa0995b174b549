//! Scopes as types: [`ScopeType`], declared implications ([`Implies`],
//! [`ImpliedBy`]) and the [`custom_scope!`](crate::custom_scope) macro that
//! declares both in one line.

use super::{CustomScope, Scope, is_nqchar_byte};

/// A scope as a zero-sized type: what [`Requirement`](crate::Requirement)s
/// and [`Grant`](crate::Grant)s are made of.
///
/// The named scopes are types already ([`DiscoveryRead`](super::DiscoveryRead),
/// ...); declare others with [`custom_scope!`](crate::custom_scope), which
/// checks the wire string at compile time and writes the declared
/// implications as data and as [`Implies`] impls in one go. Writing this impl
/// by hand works too; an invalid `WIRE` is then a compile error where the type
/// is first used as a requirement.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scope type",
    label = "not a scope type",
    note = "the named scopes are types in `auth_core::scope` (`auth_core::scope::DiscoveryRead`, ...)",
    note = "declare others with `auth_core::custom_scope! {{ pub MyScope = \"my:scope\"; }}`"
)]
pub trait ScopeType: Copy + Send + Sync + 'static {
    /// The scope-token on the wire (RFC 6749 §3.3: `1*NQCHAR`).
    const WIRE: &'static str;

    /// The scopes whose grant also grants this one: declared, never
    /// inferred from names. Empty unless declared.
    const IMPLIED_BY: &'static [ImpliedBy] = &[];

    /// The scope as a value.
    #[must_use]
    fn scope() -> Scope {
        scope_of_wire(Self::WIRE)
    }
}

/// `Self` implies `S`: a token granted `Self` may be used where `S` is
/// required. Declared by [`custom_scope!`](crate::custom_scope) (on `S`,
/// `implied by [Self]`) together with the data the run-time check reads,
/// [`ScopeType::IMPLIED_BY`]; that data can only name declared
/// implications, because [`ImpliedBy::of`] requires this impl.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not declared to imply `{S}`",
    note = "implications are declared, never guessed: `custom_scope! {{ pub {S} = \"…\", implied by [{Self}]; }}`"
)]
pub trait Implies<S: ScopeType>: ScopeType {}

/// One declared implier of a scope, as data: its wire string and, in turn,
/// its own impliers, so the check follows chains (`admin ⇒ write ⇒ read`).
///
/// The data is built from constants only, so a cycle of declarations is a
/// compile error (rustc E0391), and every chain ends.
#[derive(Clone, Copy)]
pub struct ImpliedBy {
    pub(crate) wire: &'static str,
    pub(crate) implied_by: &'static [ImpliedBy],
}

impl ImpliedBy {
    /// `I` as an implier of `S`; `I` must be declared to imply `S`.
    #[must_use]
    pub const fn of<I: Implies<S>, S: ScopeType>() -> Self {
        Self {
            wire: I::WIRE,
            implied_by: I::IMPLIED_BY,
        }
    }

    /// `S` itself with its impliers: the root of `S`'s declarations.
    pub(crate) const fn root<S: ScopeType>() -> Self {
        Self {
            wire: S::WIRE,
            implied_by: S::IMPLIED_BY,
        }
    }

    /// The scope-token.
    #[must_use]
    pub const fn wire(&self) -> &'static str {
        self.wire
    }
}

impl std::fmt::Debug for ImpliedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.wire)
    }
}

/// True when `token` is an RFC 6749 §3.3 scope-token (`1*NQCHAR`). A
/// `const fn`, so [`custom_scope!`](crate::custom_scope) checks its string
/// at compile time.
///
/// ```
/// assert!(auth_core::scope::is_scope_token("orders:read"));
/// assert!(!auth_core::scope::is_scope_token("two words"));
/// assert!(!auth_core::scope::is_scope_token(""));
/// ```
#[must_use]
pub const fn is_scope_token(token: &str) -> bool {
    let bytes = token.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_nqchar_byte(bytes[i]) {
            return false;
        }
        i += 1;
    }
    !bytes.is_empty()
}

/// The [`Scope`] for a wire string already known to be valid (checked at
/// compile time where the scope type is used).
pub(crate) fn scope_of_wire(wire: &'static str) -> Scope {
    Scope::from_named_wire(wire).unwrap_or_else(|| Scope::Custom(CustomScope(wire.into())))
}

/// Declares scope types: zero-sized types implementing [`ScopeType`], in one
/// line each, with the implications that hold among them.
///
/// The string is checked at compile time: something that is not an RFC 6749
/// §3.3 scope-token does not compile. `implied by [...]` declares that a
/// grant of any listed scope also grants this one; it writes the data the
/// run-time check reads and the matching [`Implies`] impls. Nothing is
/// implied without it.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// auth_core::custom_scope! {
///     /// Read orders.
///     pub OrdersRead = "orders:read", implied by [OrdersWrite];
///     /// Read and change orders.
///     pub OrdersWrite = "orders:write";
/// }
/// use auth_core::{Grant, Requirement, ScopeSet};
/// assert_eq!(<(OrdersRead, OrdersWrite)>::scopes().to_string(), "orders:read orders:write");
///
/// # let now = time::OffsetDateTime::UNIX_EPOCH;
/// let granted: ScopeSet = "orders:write".parse()?;
/// let token = auth_core::OAuthToken::new(auth_core::AccessToken::new("t"), now, now, granted);
/// Grant::<OrdersRead>::check(&token)?; // declared: write implies read
/// # Ok(()) }
/// ```
///
/// A string that is not a scope-token is a compile error:
///
/// ```compile_fail
/// auth_core::custom_scope! { pub Bad = "two words"; }
/// ```
///
/// ```
/// auth_core::custom_scope! { pub Good = "two-words"; }
/// ```
#[macro_export]
macro_rules! custom_scope {
    ($(
        $(#[$meta:meta])*
        $vis:vis $name:ident = $wire:literal $(, implied by [$($implier:ty),+ $(,)?])?;
    )+) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis struct $name;

        const _: () = ::core::assert!(
            $crate::scope::is_scope_token($wire),
            ::core::concat!(
                "invalid scope-token ",
                ::core::stringify!($wire),
                ": RFC 6749 §3.3 allows printable ASCII except space, `\"` and `\\`, and not the empty string",
            ),
        );

        impl $crate::scope::ScopeType for $name {
            const WIRE: &'static str = $wire;
            const IMPLIED_BY: &'static [$crate::scope::ImpliedBy] = &[
                $($($crate::scope::ImpliedBy::of::<$implier, $name>(),)+)?
            ];
        }

        $($(impl $crate::scope::Implies<$name> for $implier {})+)?
    )+};
}
