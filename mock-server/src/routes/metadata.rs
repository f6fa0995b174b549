//! `GET /.well-known/oauth-authorization-server` (RFC 8414), generated
//! from what is enforced: the auth methods are those registered clients
//! use, the scopes those they may get; no empty arrays (§3.2).
//! `response_types_supported` is omitted: there is no authorization
//! endpoint (checklist C.7).
//!
//! When any client gets JWTs, `jwks_uri` (S-56) and the algorithms of the
//! published keys, as `id_token_signing_alg_values_supported` (the only
//! registered member that names a provider's signing algorithms; RFC 8414
//! §2 takes OIDC's registry; the mock issues no ID tokens, so it states
//! only what the access tokens are signed with).
//!
//! `GET /.well-known/openid-configuration` serves the same facts for the
//! resource servers that look there first (Spring Security's
//! `issuer-uri`, ASP.NET `Authority`). Of OIDC Discovery 1.0
//! §3's REQUIRED members: `issuer`, `jwks_uri` and
//! `id_token_signing_alg_values_supported` as above; `subject_types_supported`
//! is `["public"]` (`sub` is the client id, the same at every resource
//! server); `authorization_endpoint` and `response_types_supported` are
//! omitted, because the mock has no authorization endpoint and never
//! advertises an endpoint it lacks (a resource server reads neither).

use crate::assertion::AssertionMethod;
use std::collections::BTreeSet;

use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::config::{CLIENT_CREDENTIALS, TokenFormat};
use crate::reply;
use crate::router::{Outcome, Received};
use crate::routes::method_not_allowed;
use crate::state::State;

pub(crate) const PATH: &str = "/.well-known/oauth-authorization-server";

/// OIDC Discovery 1.0 §4.
pub(crate) const OPENID_PATH: &str = "/.well-known/openid-configuration";

pub(crate) fn handle(r: &Received<'_>) -> Outcome {
    if *r.method != Method::GET && *r.method != Method::HEAD {
        return method_not_allowed(r.method, "GET, HEAD");
    }
    reply::json(StatusCode::OK, document(r.state).to_string()).into()
}

pub(crate) fn handle_openid(r: &Received<'_>) -> Outcome {
    if *r.method != Method::GET && *r.method != Method::HEAD {
        return method_not_allowed(r.method, "GET, HEAD");
    }
    let mut doc = document(r.state);
    if let Value::Object(members) = &mut doc {
        members.insert(
            "subject_types_supported".into(),
            Value::from(vec!["public"]),
        );
    }
    reply::json(StatusCode::OK, doc.to_string()).into()
}

/// True when some client (or, with none registered, the default) gets JWTs.
fn issues_jwts(state: &State) -> bool {
    let clients = state.clients();
    (clients.is_empty() && state.settings.token_format == TokenFormat::Jwt)
        || clients
            .iter()
            .any(|client| state.token_format(client) == TokenFormat::Jwt)
}

pub(crate) fn document(state: &State) -> Value {
    let base = &state.base_url;
    let clients = state.clients();
    let methods: BTreeSet<&str> = clients
        .iter()
        .filter_map(|c| match c.assertion {
            Some(method) => Some(method.as_str()),
            None => (!c.is_public()).then(|| c.auth_method.as_str()),
        })
        .collect();
    // RFC 8414 §2 (S-82): the algorithms enforced for the assertion
    // methods in use: each private_key_jwt key's own, HS256 for
    // client_secret_jwt.
    let signing_algs: Vec<&str> = auth_core::jose::Algorithm::ALL
        .into_iter()
        .filter(|alg| {
            clients.iter().any(|c| match c.assertion {
                Some(AssertionMethod::PrivateKeyJwt) => c
                    .keys
                    .iter()
                    .any(|k| crate::keys::algorithm_of(&k.key) == Some(*alg)),
                Some(AssertionMethod::ClientSecretJwt) => *alg == auth_core::jose::Algorithm::Hs256,
                _ => false,
            })
        })
        .map(auth_core::jose::Algorithm::as_str)
        .collect();
    let scopes: BTreeSet<String> = clients
        .iter()
        .flat_map(|c| c.scopes.iter().map(ToString::to_string))
        .collect();
    let mut doc = Map::new();
    doc.insert("issuer".into(), Value::String(base.clone()));
    doc.insert(
        "token_endpoint".into(),
        Value::String(format!("{base}/token")),
    );
    doc.insert(
        "grant_types_supported".into(),
        Value::from(vec![CLIENT_CREDENTIALS]),
    );
    doc.insert(
        "introspection_endpoint".into(),
        Value::String(format!("{base}/introspect")),
    );
    doc.insert(
        "revocation_endpoint".into(),
        Value::String(format!("{base}/revoke")),
    );
    if !methods.is_empty() {
        let methods: Vec<&str> = methods.into_iter().collect();
        for key in [
            "token_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported",
            "revocation_endpoint_auth_methods_supported",
        ] {
            doc.insert(key.into(), Value::from(methods.clone()));
        }
    }
    if !signing_algs.is_empty() {
        for key in [
            "token_endpoint_auth_signing_alg_values_supported",
            "introspection_endpoint_auth_signing_alg_values_supported",
            "revocation_endpoint_auth_signing_alg_values_supported",
        ] {
            doc.insert(key.into(), Value::from(signing_algs.clone()));
        }
    }
    if !scopes.is_empty() {
        doc.insert(
            "scopes_supported".into(),
            Value::from(scopes.into_iter().collect::<Vec<_>>()),
        );
    }
    if issues_jwts(state) {
        doc.insert(
            "jwks_uri".into(),
            Value::String(format!("{base}{}", crate::routes::jwks::PATH)),
        );
        let algs: Vec<&str> = state
            .issuer
            .jwt()
            .keys()
            .algorithms(state.now_unix())
            .into_iter()
            .map(auth_core::jose::Algorithm::as_str)
            .collect();
        doc.insert(
            "id_token_signing_alg_values_supported".into(),
            Value::from(algs),
        );
    }
    Value::Object(doc)
}
