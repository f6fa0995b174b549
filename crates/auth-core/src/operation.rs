//! [`Operation`]: a call to a protected resource that declares the scopes
//! it needs, so it can only be sent with a [`Grant`](crate::Grant) for them.

use crate::requirement::Requirement;

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
