//! `GET /.well-known/oauth-authorization-server` (RFC 8414), generated
//! from what is enforced: the auth methods are those registered clients
//! use, the scopes those they may get; no empty arrays (§3.2).
//! `response_types_supported` is omitted: there is no authorization
//! endpoint (checklist C.7).

use std::collections::BTreeSet;

use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::config::CLIENT_CREDENTIALS;
use crate::reply;
use crate::router::{Outcome, Received};
use crate::routes::method_not_allowed;
use crate::state::State;

pub(crate) const PATH: &str = "/.well-known/oauth-authorization-server";

pub(crate) fn handle(r: &Received<'_>) -> Outcome {
    if *r.method != Method::GET && *r.method != Method::HEAD {
        return method_not_allowed(r.method, "GET, HEAD");
    }
    reply::json(StatusCode::OK, document(r.state).to_string()).into()
}

pub(crate) fn document(state: &State) -> Value {
    let base = &state.base_url;
    let clients = state.clients();
    let methods: BTreeSet<&str> = clients
        .iter()
        .filter(|c| !c.is_public())
        .map(|c| c.auth_method.as_str())
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
    if !scopes.is_empty() {
        doc.insert(
            "scopes_supported".into(),
            Value::from(scopes.into_iter().collect::<Vec<_>>()),
        );
    }
    Value::Object(doc)
}
