//! `POST /token`: the client-credentials grant (RFC 6749 §4.4), strict.
//!
//! Check order (checklist S-42), so one malformed request maps to one code:
//! 1. method: POST, else 405 + `Allow: POST`;
//! 2. media type: `application/x-www-form-urlencoded` (charset UTF-8 if any), else `invalid_request`;
//! 3. body: size (413), form decoding and UTF-8, else `invalid_request`;
//! 4. repeated parameters (except `resource`), else `invalid_request`;
//! 5. client authentication: two methods → `invalid_request`; any failure →
//!    401 `invalid_client` + `WWW-Authenticate: Basic`; a public client → `unauthorized_client`;
//! 6. `grant_type`: missing or empty → `invalid_request`, other than
//!    `client_credentials` → `unsupported_grant_type`, not allowed → `unauthorized_client`;
//! 7. `scope`: malformed or beyond the client's → `invalid_scope`; none → the defaults;
//! 8. `resource` (RFC 8707): not absolute, with a fragment, or unknown → `invalid_target`.
//!
//! The query string is never read for OAuth parameters (RFC 6749 §2.3.1, S-10).
//!
//! A refusal's journal reason starts with the check's name in this list
//! (`scope: ...`); the answer's description is fixed.

use auth_core::form::Form;
use auth_core::response::TokenResponse;
use auth_core::{ErrorCode, ProviderError, Resource, ScopeSet};
use http::header::{AUTHORIZATION, RETRY_AFTER};
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::client_auth::{self, AuthFacts, Purpose, invalid_request};
use crate::config::{CLIENT_CREDENTIALS, TokenFormat};
use crate::conformance::rules::{self, BasicVerdict, Findings, Observation};
use crate::fault::{self, Endpoint, Fault, MAX_OVERSIZED_BYTES};
use crate::issuer::Claims;
use crate::journal::DetectedAuth;
use crate::jwt::{JwtIssuer, MintError, Payload};
use crate::reply::{self, Because as _, Quoted, Refusal, Reply};
use crate::router::{Outcome, Received, Unanswered};
use crate::routes::{
    MAX_FORM_PAIRS, fault_reply, is_form_media_type, missing_scopes, read_form_checked,
};
use crate::state::{Registered, State, expiry_at};

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let state = r.state;
    state.journal.count_token_request();
    let claimed_id = || {
        let form = Form::parse(r.body, MAX_FORM_PAIRS).ok();
        client_auth::claimed_client(r.headers, form.as_ref())
    };
    // C-49: did this client wait for the Retry-After it was given?
    let waited = state.retry_watch.check(claimed_id);
    let fault = state.faults.take(Endpoint::Token, claimed_id);
    let served = match &fault {
        // Boxed: a fault is rare, and its timers would be most of every
        // token request's (boxed) future.
        Some(fault) => Box::pin(fault_reply(r, fault, || waiting_facts(r, waited))).await,
        None => None,
    };
    let mut facts = AuthFacts::default();
    let mut form = None;
    // Checked once: for the answer and for the findings.
    let media_type_ok = is_form_media_type(r.headers);
    let mut outcome = if let Some(outcome) = served {
        form = answered_by_fault(r, &mut facts);
        outcome
    } else {
        let result = process(r, media_type_ok, &mut facts, &mut form, fault.as_ref());
        Outcome::from_result(result, &state.settings.realm)
    };
    if let Some(seconds) = outcome
        .response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok())
    {
        state
            .retry_watch
            .expect_wait(facts.client_id.clone().or_else(claimed_id), seconds);
    }
    let auth = match facts.detected {
        DetectedAuth::NaiveBasic => DetectedAuth::NaiveBasic,
        _ => client_auth::observed(r.headers, form.as_ref()),
    };
    let findings = findings(r, media_type_ok, form.as_ref(), auth, facts.basic, waited);
    outcome.auth = Some(auth);
    outcome.basic = facts.basic;
    outcome.client_id = facts.client_id;
    outcome.form = form;
    outcome.findings = findings;
    outcome.fault = fault;
    outcome.assertion = facts.assertion;
    outcome.issued = outcome
        .response
        .extensions_mut()
        .remove::<IssuedToken>()
        .map(|issued| issued.0);
    outcome
}

/// What the journal shows of a token request whose client hangs up while
/// a fault holds its answer back: what it would show of one the fault
/// answered.
#[cold]
fn waiting_facts(r: &Received<'_>, waited: Option<bool>) -> Unanswered {
    let mut facts = AuthFacts::default();
    let form = answered_by_fault(r, &mut facts);
    let auth = client_auth::observed(r.headers, form.as_ref());
    let media_type_ok = is_form_media_type(r.headers);
    Unanswered {
        findings: findings(r, media_type_ok, form.as_ref(), auth, facts.basic, waited),
        auth: Some(auth),
        form,
        client_id: facts.client_id,
        assertion: facts.assertion,
        // The fault is added by `fault_reply`.
        ..Unanswered::default()
    }
}

/// The conformance findings on a token request, answered or left by its
/// client.
fn findings(
    r: &Received<'_>,
    media_type_ok: bool,
    form: Option<&Form>,
    auth: DetectedAuth,
    basic: Option<BasicVerdict>,
    waited: Option<bool>,
) -> Findings {
    let query_names = r
        .uri
        .query()
        .and_then(|q| Form::parse(q.as_bytes(), MAX_FORM_PAIRS).ok())
        .map(|q| q.pairs().map(|(n, _)| n.to_owned()).collect())
        .unwrap_or_default();
    rules::evaluate(&Observation {
        method: r.method.as_str(),
        media_type_ok,
        form,
        query_names,
        auth,
        authorization_headers: r.headers.get_all(AUTHORIZATION).iter().count(),
        basic,
        loopback_peer: r.peer.ip().is_loopback(),
        secure: r.secure,
        waited,
    })
}

/// What the journal learns of a request a fault answered: its form, the
/// client it claims, and the assertion it carried (C-68 compares the
/// `jti` of the retry with it).
#[cold]
fn answered_by_fault(r: &Received<'_>, facts: &mut AuthFacts) -> Option<Form> {
    let form = Form::parse(r.body, MAX_FORM_PAIRS).ok();
    facts.client_id = client_auth::claimed_client(r.headers, form.as_ref());
    facts.assertion = form
        .as_ref()
        .and_then(|f| f.get("client_assertion"))
        .map(|assertion| crate::assertion::header_and_claims(assertion).to_owned());
    form
}

fn process(
    r: &Received<'_>,
    media_type_ok: bool,
    facts: &mut AuthFacts,
    form_slot: &mut Option<Form>,
    fault: Option<&Fault>,
) -> Result<Reply, Refusal> {
    let state = r.state;
    if *r.method != Method::POST {
        // RFC 6749 §3.2: the client MUST use POST (S-01).
        return Err(ProviderError::new(ErrorCode::InvalidRequest)
            .with_description("the token endpoint accepts only POST")
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
            .because(format!("method: {} is not POST", Quoted(r.method.as_str()))));
    }
    let (form, checked) = read_form_checked(media_type_ok, r.headers, r.body);
    *form_slot = form;
    checked?;
    let Some(form) = form_slot.as_ref() else {
        return Err(invalid_request("the body is not a form").because("body: not a form"));
    };
    let client =
        client_auth::authenticate(state, r.peer.ip(), r.headers, form, Purpose::Token, facts)?;
    match form.get("grant_type").filter(|g| !g.is_empty()) {
        None => {
            return Err(invalid_request("the grant_type parameter is missing")
                .because("grant_type: missing or empty"));
        }
        Some(CLIENT_CREDENTIALS) => {}
        // RFC 6749 §1.9: values are case-sensitive (S-09).
        Some(other) => {
            return Err(ProviderError::new(ErrorCode::UnsupportedGrantType)
                .with_description("only the client_credentials grant is supported")
                .because(format!(
                    "grant_type: {} is not client_credentials (case-sensitive)",
                    Quoted(other)
                )));
        }
    }
    if !client.may_use_client_credentials() {
        return Err(ProviderError::new(ErrorCode::UnauthorizedClient)
            .with_description("the client is not allowed the client_credentials grant")
            .because(format!(
                "grant_type: client {} is not registered for client_credentials",
                Quoted(&client.id)
            )));
    }
    let scope = granted_scope(&client, form.get("scope"))?;
    let audience = audience(state, form)?;
    let extra = crate::extra_claim::resolve(client.registration.extra_claims(), form);
    issue(state, &client, scope, audience, extra, fault)
}

/// RFC 6749 §3.3: strict syntax, within the client's scopes; no (or an
/// empty) `scope` gets the client's defaults (S-07, S-29..S-33).
fn granted_scope(client: &Registered, requested: Option<&str>) -> Result<ScopeSet, Refusal> {
    let invalid_scope = |description: &'static str| {
        ProviderError::new(ErrorCode::InvalidScope).with_description(description)
    };
    let Some(requested) = requested.filter(|s| !s.is_empty()) else {
        return Ok(client.default_scopes.clone());
    };
    let scope = ScopeSet::parse(requested).map_err(|error| {
        // The error names a character and an offset; the scope is shown.
        invalid_scope("the scope parameter is malformed").because(format!(
            "scope: {} is not RFC 6749 §3.3 syntax: {error}",
            Quoted(requested)
        ))
    })?;
    if !client.scopes.is_superset(&scope) {
        let refused = missing_scopes(&scope, &client.scopes);
        return Err(
            invalid_scope("the requested scope exceeds what the client may have").because(format!(
                "scope: {} {} not allowed for client {} (it may have {})",
                Quoted(&refused),
                if refused.contains(' ') { "are" } else { "is" },
                Quoted(&client.id),
                Quoted(&client.scopes.to_string())
            )),
        );
    }
    Ok(scope)
}

/// RFC 8707 §2: each `resource` is an absolute URI without fragment that
/// this server knows (S-05, S-34).
fn audience(state: &State, form: &Form) -> Result<Vec<String>, Refusal> {
    let invalid_target = |description: &'static str| {
        ProviderError::new(ErrorCode::Other(ErrorCode::INVALID_TARGET.to_owned()))
            .with_description(description)
    };
    let mut audience: Vec<String> = Vec::new();
    for resource in form.get_all("resource").filter(|r| !r.is_empty()) {
        if Resource::new(resource).is_err() {
            return Err(
                invalid_target("a resource is not an absolute URI without a fragment").because(
                    format!(
                        "resource: {} is not an absolute URI without a fragment",
                        Quoted(resource)
                    ),
                ),
            );
        }
        if !state.is_known_resource(resource) {
            return Err(
                invalid_target("a resource is unknown to this server").because(format!(
                    "resource: unknown resource {} (known: the configured resources and {})",
                    Quoted(resource),
                    Quoted(&state.resource_url())
                )),
            );
        }
        if !audience.iter().any(|a| a == resource) {
            audience.push(resource.to_owned());
        }
    }
    Ok(audience)
}

fn issue(
    state: &State,
    client: &Registered,
    scope: ScopeSet,
    audience: Vec<String>,
    extra: Map<String, Value>,
    fault: Option<&Fault>,
) -> Result<Reply, Refusal> {
    // One clock read for both `iat` and `exp`.
    let now = state.now_nanos();
    let lifetime = if fault == Some(&Fault::ShortLifetime) {
        1
    } else {
        state.settings.token_lifetime.as_secs()
    };
    let exp = expiry_at(now, lifetime);
    let claims = Claims {
        client_id: client.id.clone(),
        scope,
        // `exp - iat == expires_in` (RFC 9068 §2.2, S-57): `exp` is rounded
        // up to a whole second, so `iat` is too.
        iat: exp.saturating_sub(i64::try_from(lifetime).unwrap_or(i64::MAX)),
        exp,
        jti: rand::random(),
        audience,
        nbf: None,
        extra,
    };
    let format = state.token_format(client);
    let token = match fault.filter(|f| f.shapes_token()) {
        Some(fault) => mint_faulted(state, &claims, format, fault),
        None => state.issuer.mint(&claims, format),
    }
    .map_err(|error| {
        // RFC 6749 §4.1.2.1's `server_error`: the token endpoint has no
        // code of its own for a failure on the server's side.
        ProviderError::new(ErrorCode::Other(SERVER_ERROR.to_owned()))
            .with_description("the token could not be made")
            .with_status(StatusCode::INTERNAL_SERVER_ERROR)
            .because(format!("minting: {error}"))
    })?;
    state.metrics.token_issued(format);
    let scope = claims.scope.to_wire();
    let mut reply = reply::no_store(reply::json(
        StatusCode::OK,
        success_body(&token, lifetime, &scope, fault),
    ));
    if format == TokenFormat::Jwt {
        // Decoded when the journal is read: a copy here, not a parse.
        let kept = crate::assertion::header_and_claims(&token).to_owned();
        reply.extensions_mut().insert(IssuedToken(kept));
    }
    Ok(reply)
}

/// RFC 6749 §4.1.2.1: the server met a condition it did not expect.
const SERVER_ERROR: &str = "server_error";

/// For the journal: an issued JWT's encoded header and claims
/// ([`crate::assertion::header_and_claims`]), carried beside the reply.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken(pub(crate) String);

/// A token with the one wrong thing `fault` names, signed like any other
/// (a resource server must refuse it for that thing alone).
#[cold]
fn mint_faulted(
    state: &State,
    claims: &Claims,
    format: TokenFormat,
    fault: &Fault,
) -> Result<String, MintError> {
    let jwt = state.issuer.jwt();
    if *fault == Fault::RotateWithoutGrace {
        // A fresh key signs from now on; the one before leaves the JWKS at
        // once. Should no key be made, the current one signs as before.
        let _ = jwt.keys().rotate(0, state.now_unix());
        return state.issuer.mint(claims, format);
    }
    if format == TokenFormat::Opaque {
        // An opaque token has no issuer, header or `nbf` to get wrong.
        let mut claims = claims.clone();
        if *fault == Fault::ExpiredOnIssue {
            (claims.iat, claims.exp) = fault::expired_on_issue(claims.iat, claims.exp);
        }
        return state.issuer.mint(&claims, format);
    }
    let (mut header, key) = jwt.header();
    let mut body = jwt.access_token_claims(claims);
    crate::extra_claim::apply(&claims.extra, &mut body);
    fault::shape_token(fault, &mut header, &mut body);
    JwtIssuer::sign(&key, &header, &Payload::from(&body))
}

/// RFC 6749 §5.1. The granted scope is always echoed (S-29; checklist C.6),
/// unless nothing was granted. Faults reshape it on purpose.
fn success_body(token: &str, lifetime: u64, scope: &str, fault: Option<&Fault>) -> String {
    let scope = (!scope.is_empty()).then_some(scope);
    let correct = TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: Some(lifetime),
        scope,
    };
    match fault.filter(|f| f.shapes_success() && **f != Fault::ShortLifetime) {
        None => correct.to_json(),
        Some(fault) => reshaped(&correct, lifetime, fault),
    }
}

/// The success body with the one deviation `fault` names.
#[cold]
fn reshaped(correct: &TokenResponse<'_>, lifetime: u64, fault: &Fault) -> String {
    let mut body: Map<String, Value> = match serde_json::from_str(&correct.to_json()) {
        Ok(Value::Object(map)) => map,
        _ => return correct.to_json(),
    };
    match fault {
        Fault::ExpiresInString => {
            body.insert("expires_in".into(), Value::String(lifetime.to_string()));
        }
        Fault::LowercaseTokenType => {
            body.insert("token_type".into(), Value::String("bearer".into()));
        }
        Fault::ExtraFields => {
            body.insert("ext_expires_in".into(), Value::from(lifetime));
            body.insert("not-before-policy".into(), Value::from(0));
            body.insert(
                "mock_extra".into(),
                serde_json::json!({ "nested": [1, 2, 3] }),
            );
        }
        Fault::NoScope => {
            body.remove("scope");
        }
        Fault::NoExpiresIn => {
            body.remove("expires_in");
        }
        Fault::Oversized { bytes } => {
            let size = Value::Object(body.clone()).to_string().len() + r#","padding":"""#.len();
            let padding = (*bytes).min(MAX_OVERSIZED_BYTES).saturating_sub(size);
            body.insert("padding".into(), Value::String("x".repeat(padding)));
        }
        _ => {}
    }
    Value::Object(body).to_string()
}
