//! `GET /jwks` (RFC 7517 §5): the JWK Set of the keys published now, the
//! signer first, then retired keys still in their grace period.
//!
//! `Content-Type: application/json`, not `application/jwk-set+json` (RFC
//! 7517 §8.5.1): it is what Google, Microsoft Entra, Auth0, Okta and
//! Keycloak serve, so it is what every resource-server library accepts;
//! Spring Security, `jose`, go-jose/jwx and Microsoft.IdentityModel read
//! either, and some stricter clients check for `application/json`.
//!
//! `Cache-Control: public, max-age=300`: resource servers cache a JWKS;
//! five minutes is Spring Security's and Microsoft.IdentityModel's own
//! refresh floor, and a well-behaved one refetches at once for an unknown
//! `kid` whatever the header says (rotation without grace tests that).

use auth_core::jose::JwkSet;
use http::header::CACHE_CONTROL;
use http::{HeaderValue, Method, StatusCode};

use crate::fault::Endpoint;
use crate::reply;
use crate::router::{Outcome, Received, Unanswered};
use crate::routes::{fault_reply, method_not_allowed};
use crate::state::State;

pub(crate) const PATH: &str = "/jwks";

/// The `Cache-Control` of the JWK Set.
pub(crate) const CACHE_CONTROL_VALUE: &str = "public, max-age=300";

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    if *r.method != Method::GET && *r.method != Method::HEAD {
        return method_not_allowed(r.method, "GET, HEAD");
    }
    let state = r.state;
    // Faults for resource servers (endpoint `jwks`): any fault that
    // replaces or delays an answer (a slow JWKS is `latency`), or one that
    // spoils the document.
    let fault = state.faults.take(Endpoint::Jwks, || None);
    if let Some(fault) = fault.as_ref()
        && let Some(mut outcome) = fault_reply(r, fault, Unanswered::default).await
    {
        outcome.fault = Some(fault.clone());
        return outcome;
    }
    let jwks = document(state);
    let body = match fault.as_ref().filter(|f| f.shapes_jwks()) {
        Some(fault) => {
            let signer = state.issuer.jwt().keys().signer();
            let mut jwks = serde_json::from_str(&jwks.to_json()).unwrap_or_default();
            crate::fault::shape_jwks(fault, &mut jwks, signer.kid());
            jwks.to_string()
        }
        None => jwks.to_json(),
    };
    let mut reply = reply::json(StatusCode::OK, body);
    reply
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    let mut outcome = Outcome::from(reply);
    outcome.fault = fault;
    outcome
}

/// The keys published now.
pub(crate) fn document(state: &State) -> JwkSet {
    state.issuer.jwt().keys().jwks(state.now_unix())
}
