//! The resource server's side: a tower layer that validates the bearer
//! token of each request ([`ValidateBearerLayer`]), two validators behind
//! one trait ([`Validator`]: [`JwtValidator`] for RFC 9068 JWT access
//! tokens checked against the issuer's JWKS, [`IntrospectionValidator`]
//! for RFC 7662 introspection), and the extractor handlers call to get a
//! typed [`Grant`](auth_core::Grant): [`grant`].
//!
//! The validation rules are auth-core's ([`auth_core::jose::Validation`],
//! [`auth_core::jose::Principal`]); this module does the IO (fetching
//! keys, calling the introspection endpoint), the caching, and the RFC
//! 6750 §3 answers:
//!
//! | request                                   | answer |
//! |-------------------------------------------|--------|
//! | no token (or another scheme, or `?access_token=` only) | `401`, `WWW-Authenticate: Bearer realm="..."` |
//! | two `Authorization` headers, header and query token, malformed `Bearer` | `400`, `error="invalid_request"` |
//! | invalid, expired, revoked, wrong `aud`/`iss`/`typ`/key/signature | `401`, `error="invalid_token"` |
//! | valid, without the scope the handler needs ([`grant`]) | `403`, `error="insufficient_scope", scope="..."` |
//! | the keys or the introspection endpoint cannot be reached | `503`, `Retry-After` |
//!
//! No token, claim or key material is ever logged: the log lines say what
//! was refused and why, in words.
//!
//! ```
//! # async fn demo(validator: auth_http::resource::JwtValidator) {
//! use auth_core::scope::ServiceProfileWrite;
//! use auth_http::resource::{ValidateBearerLayer, grant};
//! use tower::ServiceBuilder;
//!
//! let service = ServiceBuilder::new()
//!     .layer(ValidateBearerLayer::new(validator, "service-profile"))
//!     .service_fn(|request: http::Request<String>| async move {
//!         let answer = match grant::<ServiceProfileWrite>(request.extensions()) {
//!             Ok(_grant) => http::Response::new("written".to_owned()),
//!             Err(refusal) => refusal.into_response(),
//!         };
//!         Ok::<_, std::convert::Infallible>(answer)
//!     });
//! # let _ = service;
//! # }
//! ```

mod answer;
mod bearer;
mod extract;
mod introspection;
mod jwt;
mod layer;
mod validator;

pub use answer::Refusal;
#[cfg(feature = "axum")]
pub use extract::Granted;
pub use extract::{Realm, grant};
pub use introspection::{
    DEFAULT_INACTIVE_TTL, DEFAULT_MAX_CACHE_TTL, IntrospectionValidator,
    IntrospectionValidatorBuilder,
};
pub use jwt::{DEFAULT_REFETCH_INTERVAL, JwtValidator, JwtValidatorBuilder};
pub use layer::{ResponseFuture, ValidateBearer, ValidateBearerLayer};
pub use validator::{InvalidTokenError, Validator};
