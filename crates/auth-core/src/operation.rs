//! [`Operation`]: a call to a protected resource that declares the scopes
//! it needs, so it can only be sent with a [`Grant`](crate::Grant) for them;
//! [`Operations`]: a set of them, and the scopes a client built for them
//! requests.

use crate::requirement::Requirement;
use crate::scope::ScopeSet;

/// A call to a protected resource, with the scopes it requires as a type.
///
/// [`Client::operation_request`](crate::Client::operation_request) takes a
/// `&Grant<Self::Requires>`: an operation is never sent without a grant for
/// what it requires (a compile error), and the grant was checked against
/// what the provider granted (once, at run time).
///
/// ```
/// use auth_core::Operation;
/// use auth_core::scope::{ServiceProfileRead, ServiceProfileWrite};
///
/// /// Replaces this service's profile.
/// struct UpdateProfile {
///     uri: http::Uri,
///     profile: Vec<u8>,
/// }
///
/// impl Operation for UpdateProfile {
///     type Requires = (ServiceProfileRead, ServiceProfileWrite);
///     type Body = Vec<u8>;
///     fn to_request(&self) -> http::Request<Vec<u8>> {
///         let mut request = http::Request::new(self.profile.clone());
///         *request.method_mut() = http::Method::PUT;
///         *request.uri_mut() = self.uri.clone();
///         request
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an operation",
    label = "not an `auth_core::Operation`",
    note = "implement `auth_core::Operation` for it; its `type Requires` names the scopes it needs"
)]
pub trait Operation {
    /// The scopes the call needs: a scope type, `()`, or a tuple of them.
    type Requires: Requirement;
    /// The request body.
    type Body;

    /// The request, without `Authorization` (the client adds it). Built
    /// from parts validated when the operation was made (a parsed
    /// `http::Uri`), so it cannot fail.
    fn to_request(&self) -> http::Request<Self::Body>;
}

/// A set of operations: one [`Operation`], or a tuple of up to 8 sets. A
/// client built for them requests exactly the union of their scopes, and no
/// more: least privilege by construction.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::{ClientCredentials, Operation, Operations};
/// use auth_core::scope::{DiscoveryRead, ServiceProfileRead};
///
/// struct ListServices;
/// impl Operation for ListServices {
///     type Requires = DiscoveryRead;
///     type Body = ();
///     fn to_request(&self) -> http::Request<()> { http::Request::new(()) }
/// }
/// struct ReadProfile;
/// impl Operation for ReadProfile {
///     type Requires = ServiceProfileRead;
///     type Body = ();
///     fn to_request(&self) -> http::Request<()> { http::Request::new(()) }
/// }
///
/// let credentials = ClientCredentials::new("my-service", "s3cret")
///     .with_scopes(<(ListServices, ReadProfile)>::scopes());
/// assert_eq!(credentials.scopes().to_string(), "discovery:read serviceprofile:read");
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an operation or a tuple of operations",
    note = "implement `auth_core::Operation` for each operation; a tuple of up to 8 is a set"
)]
pub trait Operations {
    /// All of the operations' requirements.
    type Requires: Requirement;

    /// The union of the operations' scopes: what to request.
    #[must_use]
    fn scopes() -> ScopeSet {
        Self::Requires::scopes()
    }
}

impl<Op: Operation> Operations for Op {
    type Requires = Op::Requires;
}

/// All of the tuple's operations.
macro_rules! tuple_operations {
    ($($name:ident)+) => {
        impl<$($name: Operations),+> Operations for ($($name,)+) {
            type Requires = ($($name::Requires,)+);
        }
    };
}

crate::requirement::for_each_tuple!(tuple_operations);
