//! [`Implications`]: declared "this scope implies that one" edges, as data,
//! and the closure of a granted set under them.

use std::fmt;

use crate::scope::{Scope, ScopeSet};

/// A set of declared implications, `implier ⇒ implied`: a token granted the
/// implier may be used where the implied scope is required.
///
/// Implications are declared, never inferred from names: the named table
/// declares only what the original SDK documents (`write` is read/write
/// access, so `write ⇒ read`), [`custom_scope!`](crate::custom_scope)
/// declares more, and [`Implications::new`] has none, under which
/// [`closure`](Self::closure) is the granted set itself (a literal check).
/// A typed [`Grant`](crate::Grant) honours exactly the implications
/// declared on its scope types; this value is the same data for code that
/// works with scope strings (a resource server, a configuration file).
///
/// ```
/// # fn main() -> Result<(), auth_core::ScopeError> {
/// use auth_core::{Implications, Scope, ScopeSet};
/// let granted: ScopeSet = "write".parse()?;
/// assert_eq!(Implications::named().closure(&granted).to_string(), "read write");
/// assert_eq!(Implications::new().closure(&granted), granted);
/// let custom = Implications::new().with("orders:admin".parse()?, "orders:write".parse()?);
/// assert!(custom.closure(&"orders:admin".parse()?).contains(&"orders:write".parse()?));
/// # Ok(()) }
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Implications {
    /// Sorted and deduplicated `(implier, implied)` pairs.
    edges: Vec<(Scope, Scope)>,
}

impl Implications {
    /// No implications: the closure of a set is the set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The implications declared in the named table (`write ⇒ read`).
    #[must_use]
    pub fn named() -> Self {
        let mut edges = Vec::new();
        crate::scope::named_implications(&mut edges);
        Self::from_edges(edges)
    }

    pub(crate) fn from_edges(mut edges: Vec<(Scope, Scope)>) -> Self {
        edges.sort_unstable();
        edges.dedup();
        Self { edges }
    }

    /// Adds `from ⇒ to`: a grant of `from` also grants `to`.
    #[must_use]
    pub fn with(mut self, from: Scope, to: Scope) -> Self {
        let edge = (from, to);
        // Sorted, so `closure` and equality do not depend on the order of
        // declaration.
        if let Err(at) = self.edges.binary_search(&edge) {
            self.edges.insert(at, edge);
        }
        self
    }

    /// Both sets of implications.
    #[must_use]
    pub fn union(&self, other: &Implications) -> Implications {
        Self::from_edges(self.edges.iter().chain(&other.edges).cloned().collect())
    }

    /// The declared `(implier, implied)` pairs, ordered.
    pub fn iter(&self) -> impl Iterator<Item = (&Scope, &Scope)> {
        self.edges
            .iter()
            .map(|(implier, implied)| (implier, implied))
    }

    /// True when nothing is declared.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// `granted` and everything it implies, following chains: the smallest
    /// superset of `granted` closed under the declared implications.
    #[must_use]
    pub fn closure(&self, granted: &ScopeSet) -> ScopeSet {
        let mut closure = granted.clone();
        // Each pass adds at least one scope or stops, and only implied
        // scopes are added: at most `edges.len()` passes.
        loop {
            let mut grew = false;
            for (implier, implied) in &self.edges {
                if closure.contains(implier) && closure.insert(implied.clone()) {
                    grew = true;
                }
            }
            if !grew {
                return closure;
            }
        }
    }
}

impl fmt::Debug for Implications {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.edges
                    .iter()
                    .map(|(implier, implied)| format!("{implier} => {implied}")),
            )
            .finish()
    }
}
