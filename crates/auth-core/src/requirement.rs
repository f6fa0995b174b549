//! [`Requirement`]: what an operation needs, as a type: one
//! [`ScopeType`], or a tuple of requirements (all of them).

use std::marker::PhantomData;

use crate::implication::Implications;
use crate::scope::{ImpliedBy, Scope, ScopeSet, ScopeType, is_scope_token, named_bit_of};

/// The machinery behind [`Requirement`]; sealed, so a requirement is
/// always built from scope types and tuples, and its check cannot be
/// overridden.
pub(crate) mod sealed {
    use crate::scope::{Scope, ScopeSet};

    pub trait Check {
        /// True when `granted`, with the declared implications, meets it.
        fn is_met_by(granted: &ScopeSet) -> bool;
        /// Every scope required.
        fn push_scopes(out: &mut Vec<Scope>);
        /// Every scope required and not met by `granted`.
        fn push_missing(granted: &ScopeSet, out: &mut Vec<Scope>);
        /// Every declared `(implier, implied)` edge reachable from it.
        fn push_implications(out: &mut Vec<(Scope, Scope)>);
    }
}

use sealed::Check;

/// What an operation needs, as a type: a scope type
/// ([`scope::DiscoveryRead`](crate::scope::DiscoveryRead), or one declared
/// with [`custom_scope!`](crate::custom_scope)), `()` for nothing, or a
/// tuple of up to 8 requirements, meaning all of them.
///
/// A requirement knows its scopes, so the scope to request is computed
/// from what the calls need: least privilege by construction. A tuple of
/// requirements is a requirement, so the union for several operations is
/// their tuple.
///
/// ```
/// use auth_core::Requirement;
/// use auth_core::scope::{DiscoveryRead, ServiceProfileRead, ServiceProfileWrite};
/// type UpdateProfile = (ServiceProfileRead, ServiceProfileWrite);
/// assert_eq!(
///     <(UpdateProfile, DiscoveryRead)>::scopes().to_string(),
///     "discovery:read serviceprofile:read serviceprofile:write",
/// );
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a scope requirement",
    label = "not a scope type, `()`, or a tuple of up to 8 requirements",
    note = "a requirement is a scope type (`auth_core::scope::DiscoveryRead`, or one declared with `auth_core::custom_scope!`), `()`, or a tuple of up to 8 requirements"
)]
pub trait Requirement: Check + 'static {
    /// The scopes required: what to request.
    #[must_use]
    fn scopes() -> ScopeSet {
        let mut scopes = Vec::new();
        Self::push_scopes(&mut scopes);
        scopes.into_iter().collect()
    }

    /// The implications declared for the required scopes (and, in turn,
    /// for their impliers), as data.
    #[must_use]
    fn implications() -> Implications {
        let mut edges = Vec::new();
        Self::push_implications(&mut edges);
        Implications::from_edges(edges)
    }
}

/// Compile-time facts about a scope type `S`, computed once per type.
struct Declared<S>(PhantomData<S>);

impl<S: ScopeType> Declared<S> {
    /// `S` and its declared impliers, every wire string checked.
    const ROOT: ImpliedBy = {
        let root = ImpliedBy::root::<S>();
        assert!(
            all_valid(&root),
            "a scope type's WIRE (or an implier's) is not an RFC 6749 §3.3 scope-token"
        );
        root
    };
    /// The bits of the named scopes whose grant meets `S`.
    const NAMED: u64 = named_satisfiers(&Self::ROOT);
    /// True when a custom scope can meet `S` (the slow path is needed).
    const HAS_CUSTOM: bool = has_custom(&Self::ROOT);
}

const fn all_valid(node: &ImpliedBy) -> bool {
    if !is_scope_token(node.wire) {
        return false;
    }
    let mut i = 0;
    while i < node.implied_by.len() {
        if !all_valid(&node.implied_by[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn named_satisfiers(node: &ImpliedBy) -> u64 {
    let mut bits = named_bit_of(node.wire);
    let mut i = 0;
    while i < node.implied_by.len() {
        bits |= named_satisfiers(&node.implied_by[i]);
        i += 1;
    }
    bits
}

const fn has_custom(node: &ImpliedBy) -> bool {
    if named_bit_of(node.wire) == 0 {
        return true;
    }
    let mut i = 0;
    while i < node.implied_by.len() {
        if has_custom(&node.implied_by[i]) {
            return true;
        }
        i += 1;
    }
    false
}

/// The slow path: a custom scope in the declarations of `node` is granted
/// (the named ones were tested as bits).
fn custom_granted(node: &ImpliedBy, granted: &ScopeSet) -> bool {
    granted.contains_custom(node.wire)
        || node
            .implied_by
            .iter()
            .any(|implier| custom_granted(implier, granted))
}

fn push_edges(node: &ImpliedBy, out: &mut Vec<(Scope, Scope)>) {
    for implier in node.implied_by {
        out.push((
            crate::scope::scope_of_wire(implier.wire),
            crate::scope::scope_of_wire(node.wire),
        ));
        push_edges(implier, out);
    }
}

impl<S: ScopeType> Check for S {
    #[inline]
    fn is_met_by(granted: &ScopeSet) -> bool {
        granted.named_bits() & Declared::<S>::NAMED != 0
            || (Declared::<S>::HAS_CUSTOM && custom_granted(&Declared::<S>::ROOT, granted))
    }

    fn push_scopes(out: &mut Vec<Scope>) {
        out.push(crate::scope::scope_of_wire(Declared::<S>::ROOT.wire));
    }

    fn push_missing(granted: &ScopeSet, out: &mut Vec<Scope>) {
        if !Self::is_met_by(granted) {
            Self::push_scopes(out);
        }
    }

    fn push_implications(out: &mut Vec<(Scope, Scope)>) {
        push_edges(&Declared::<S>::ROOT, out);
    }
}

impl<S: ScopeType> Requirement for S {}

impl Check for () {
    #[inline]
    fn is_met_by(_: &ScopeSet) -> bool {
        true
    }
    fn push_scopes(_: &mut Vec<Scope>) {}
    fn push_missing(_: &ScopeSet, _: &mut Vec<Scope>) {}
    fn push_implications(_: &mut Vec<(Scope, Scope)>) {}
}

impl Requirement for () {}

/// All of the tuple's requirements.
macro_rules! tuple_requirement {
    ($($name:ident)+) => {
        impl<$($name: Requirement),+> Check for ($($name,)+) {
            #[inline]
            fn is_met_by(granted: &ScopeSet) -> bool {
                $($name::is_met_by(granted))&&+
            }
            fn push_scopes(out: &mut Vec<Scope>) {
                $($name::push_scopes(out);)+
            }
            fn push_missing(granted: &ScopeSet, out: &mut Vec<Scope>) {
                $($name::push_missing(granted, out);)+
            }
            fn push_implications(out: &mut Vec<(Scope, Scope)>) {
                $($name::push_implications(out);)+
            }
        }

        impl<$($name: Requirement),+> Requirement for ($($name,)+) {}
    };
}

/// Calls `$m!` for each tuple arity from 1 to 8, the largest tuple a
/// requirement or an operation set can be (as with std's tuple impls, which
/// stop at 12).
macro_rules! for_each_tuple {
    ($m:ident) => {
        $m!(A);
        $m!(A B);
        $m!(A B C);
        $m!(A B C D);
        $m!(A B C D E);
        $m!(A B C D E F);
        $m!(A B C D E F G);
        $m!(A B C D E F G H);
    };
}

pub(crate) use for_each_tuple;

for_each_tuple!(tuple_requirement);
