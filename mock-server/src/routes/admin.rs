//! The admin API under `/_mock/` (checklist S-74). Who may call it, and
//! how, is [`AdminAccess`](crate::admin_access::AdminAccess): a loopback or
//! served `Host`, a loopback peer or the admin token, and
//! `Content-Type: application/json` on every write.
//!
//! | method | path | body | effect |
//! |---|---|---|---|
//! | GET | `/_mock/journal` | | the journal, oldest first (JSON) |
//! | POST | `/_mock/reset` | | journal, faults, revocations, signing keys, clock offset and clients back to the start |
//! | GET | `/_mock/clients` | | the registered clients, by id, secrets redacted (JSON) |
//! | POST | `/_mock/clients` | a client (JSON, as in the TOML) | registers or replaces it |
//! | DELETE | `/_mock/clients/{id}` | | removes it (id percent-encoded) |
//! | PUT | `/_mock/clients/{id}/extra_claims` | claims (JSON object, as in the TOML) | replaces the client's extra claims |
//! | GET | `/_mock/faults` | | the queued fault rules, first match first, each with its `id` (JSON) |
//! | POST | `/_mock/faults` | a fault rule (JSON) | queues it: 201, `{"id": n}` and `Location: /_mock/faults/{n}` (422 for a client that is not registered) |
//! | DELETE | `/_mock/faults` | | clears the queue |
//! | DELETE | `/_mock/faults/{id}` | | removes that rule alone (404 once it is no longer queued) |
//! | GET | `/_mock/clock` | | the mock clock: `{"now": RFC 3339, "offset_seconds": n}` |
//! | POST | `/_mock/clock/advance` | `{"seconds": n}` | moves the mock clock forward |
//! | GET | `/_mock/keys` | | the signing algorithm and the published keys, signer first (JSON) |
//! | POST | `/_mock/keys/rotate` | `{"grace_seconds": n}` | a fresh key signs; the old one stays published `n` seconds of mock time (0: dropped at once) |

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::config::ClientRegistration;
use crate::extra_claim::ExtraClaim;
use crate::fault::{FaultId, FaultRule};
use crate::reply::{self, Reply};
use crate::router::Received;
use crate::state::Registered;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

/// The tail of `PUT /_mock/clients/{id}/extra_claims`.
const EXTRA_CLAIMS_SUFFIX: &str = "/extra_claims";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    grace_seconds: u64,
}

/// The key ring as `GET /_mock/keys` shows it: public keys only.
fn keys(state: &crate::state::State) -> serde_json::Value {
    let ring = state.issuer.jwt().keys();
    let keys: Vec<serde_json::Value> = ring
        .published(state.now_unix())
        .into_iter()
        .enumerate()
        .map(|(i, (key, until))| {
            json!({
                "kid": key.kid(),
                "alg": key.alg().as_str(),
                "signing": i == 0,
                "published_until": until.map(crate::routes::rfc3339),
                "jwk": key.jwk(),
            })
        })
        .collect();
    json!({
        "signing_alg": ring.alg().as_str(),
        "embedded_development_key": ring.is_embedded() && !ring.has_rotated(),
        "keys": keys,
    })
}

/// The mock clock as `GET /_mock/clock` shows it: now, and how far it was
/// moved ahead of the system clock.
fn clock(state: &crate::state::State) -> serde_json::Value {
    json!({
        "now": crate::routes::rfc3339(state.now_unix()),
        "offset_seconds": state.clock_offset().as_secs(),
    })
}

/// `POST /_mock/keys/rotate`: a fresh signer; the answer is the new ring.
/// The key is made on tokio's blocking pool, not on this runtime worker.
async fn rotate(state: &crate::state::State, body: &[u8]) -> Reply {
    let rotate = match parse::<Rotate>(body) {
        Ok(rotate) => rotate,
        Err(reply) => return *reply,
    };
    let ring = state.issuer.jwt().keys();
    match ring
        .rotate_off_runtime(rotate.grace_seconds, || state.now_unix())
        .await
    {
        Ok(_) => reply::json(StatusCode::OK, keys(state).to_string()),
        Err(error) => refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            &error.to_string(),
        ),
    }
}

/// Most bytes of a refusal's `error_description`.
const MAX_DESCRIPTION_BYTES: usize = 1024;
/// What a redacted secret reads as (as in `ClientRegistration`'s `Debug`).
const REDACTED: &str = "[REDACTED]";

fn bad_request(description: &str) -> Reply {
    refusal(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn refusal(status: StatusCode, error: &str, description: &str) -> Reply {
    let description = reply::bounded(description, MAX_DESCRIPTION_BYTES);
    reply::json(
        status,
        json!({ "error": error, "error_description": description }).to_string(),
    )
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Box<Reply>> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad_request(&describe(&e))))
}

/// serde's own message (`unknown variant `x`, expected one of ...`), after
/// where it happened, with any refused value left out ([`withhold_value`]).
fn describe(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let location = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&location).unwrap_or(&full);
    format!(
        "invalid JSON body at line {} column {}: {}",
        error.line(),
        error.column(),
        withhold_value(message)
    )
}

/// serde reports a value of the wrong type or range with the value itself
/// (`invalid type: integer `1234`, expected a string`), and in a client
/// registration that value can be the secret. Keep what kind of value it
/// was and what was expected, drop the value: the line and column locate
/// it, the caller has it. Names of unknown fields and variants stay; they
/// are the detail a reader needs and are not values.
fn withhold_value(message: &str) -> Cow<'_, str> {
    for prefix in ["invalid type: ", "invalid value: "] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        // The expected side is the type's own text; the unexpected side
        // may be any string, so split at the last separator.
        return match rest.rfind(", expected ") {
            Some(at) => {
                let (unexpected, expected) = rest.split_at(at);
                let kind = unexpected
                    .find(['"', '`'])
                    .map_or(unexpected, |quote| &unexpected[..quote])
                    .trim_end();
                Cow::Owned(format!("{prefix}{kind}{expected}"))
            }
            None => Cow::Borrowed(prefix.trim_end_matches([':', ' '])),
        };
    }
    Cow::Borrowed(message)
}

/// A registered client as `POST /_mock/clients` takes it, the secret
/// redacted (`null` for a public client).
fn listed(client: &Registered) -> serde_json::Value {
    let mut listed = serde_json::to_value(&client.registration).unwrap_or_default();
    if let Some(fields) = listed.as_object_mut() {
        let secret = if client.is_public() {
            serde_json::Value::Null
        } else {
            REDACTED.into()
        };
        fields.insert("secret".to_owned(), secret);
    }
    listed
}

/// `PUT /_mock/clients/{id}/extra_claims` (`path` without `/_mock`):
/// replaces the client's extra claims, or says why not.
fn put_extra_claims(state: &crate::state::State, path: &str, body: &[u8]) -> Reply {
    let encoded = path
        .trim_start_matches("/clients/")
        .trim_end_matches(EXTRA_CLAIMS_SUFFIX);
    let Ok(id) = auth_core::form::decode_component(encoded.as_bytes()) else {
        return bad_request("the client id is not valid percent-encoding");
    };
    match parse::<BTreeMap<String, ExtraClaim>>(body) {
        Ok(claims) => match state.set_extra_claims(&id, claims) {
            Ok(true) => reply::build(StatusCode::NO_CONTENT, None, ""),
            Ok(false) => reply::not_found(),
            Err(error) => bad_request(&error.to_string()),
        },
        Err(reply) => *reply,
    }
}

/// `POST /_mock/faults`: queues a rule.
fn post_fault(state: &crate::state::State, body: &[u8]) -> Reply {
    match parse::<FaultRule>(body) {
        // A rule for a client nobody registered would never fire: most
        // likely a typo in the id. 422, not 404: the resource the
        // request names (`/_mock/faults`) exists; what the body refers
        // to does not (RFC 9110 §15.5.21; GitHub's and Kubernetes' APIs
        // answer a body naming a missing object the same way).
        Ok(rule) => match rule.client_id() {
            Some(id) if state.client(id).is_none() => refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_client",
                &format!(
                    "no client {:?} is registered: register it first (POST /_mock/clients) or fix the client_id",
                    reply::bounded(id, reply::MAX_QUOTED_BYTES)
                ),
            ),
            _ => {
                let id = state.faults.push(rule);
                let mut created = reply::json(StatusCode::CREATED, json!({ "id": id }).to_string());
                if let Ok(location) = http::HeaderValue::from_str(&format!("/_mock/faults/{id}")) {
                    created
                        .headers_mut()
                        .insert(http::header::LOCATION, location);
                }
                created
            }
        },
        Err(reply) => *reply,
    }
}

pub(crate) async fn handle(r: &Received<'_>) -> Reply {
    let state = r.state;
    if let Err(refusal) = state.settings.admin.admit(&r.caller()) {
        return *refusal;
    }
    let path = r.uri.path().trim_start_matches("/_mock");
    match (r.method, path) {
        (&Method::GET, "/journal") => {
            // Strings, numbers and enums: serialization cannot fail.
            let body =
                serde_json::to_string(&state.journal.entries()).unwrap_or_else(|_| "[]".to_owned());
            reply::json(StatusCode::OK, body)
        }
        (&Method::POST, "/reset") => {
            state.reset();
            reply::build(StatusCode::NO_CONTENT, None, "")
        }
        (&Method::GET, "/clients") => {
            let clients: Vec<_> = state.clients().iter().map(|c| listed(c)).collect();
            reply::json(StatusCode::OK, serde_json::Value::from(clients).to_string())
        }
        (&Method::POST, "/clients") => match parse::<ClientRegistration>(r.body) {
            Ok(client) => match state.add_client(client) {
                Ok(()) => reply::build(StatusCode::CREATED, None, ""),
                Err(error) => bad_request(&error.to_string()),
            },
            Err(reply) => *reply,
        },
        (&Method::PUT, p) if p.starts_with("/clients/") && p.ends_with(EXTRA_CLAIMS_SUFFIX) => {
            put_extra_claims(state, p, r.body)
        }
        (&Method::DELETE, p) if p.starts_with("/clients/") => {
            let id =
                auth_core::form::decode_component(p.trim_start_matches("/clients/").as_bytes());
            match id {
                Ok(id) if state.remove_client(&id) => {
                    reply::build(StatusCode::NO_CONTENT, None, "")
                }
                Ok(_) => reply::not_found(),
                Err(_) => bad_request("the client id is not valid percent-encoding"),
            }
        }
        (&Method::GET, "/faults") => {
            // Enums, strings and numbers: serialization cannot fail.
            let body =
                serde_json::to_string(&state.faults.rules()).unwrap_or_else(|_| "[]".to_owned());
            reply::json(StatusCode::OK, body)
        }
        (&Method::POST, "/faults") => post_fault(state, r.body),
        (&Method::DELETE, "/faults") => {
            state.faults.clear();
            reply::build(StatusCode::NO_CONTENT, None, "")
        }
        (&Method::DELETE, p) if p.starts_with("/faults/") => {
            match p.trim_start_matches("/faults/").parse::<FaultId>() {
                Ok(id) if state.faults.remove(id) => reply::build(StatusCode::NO_CONTENT, None, ""),
                Ok(_) => reply::not_found(),
                Err(_) => {
                    bad_request("a fault rule's id is a number (GET /_mock/faults lists them)")
                }
            }
        }
        (_, p) if p.starts_with("/faults/") => reply::method_not_allowed("DELETE"),
        (&Method::GET, "/clock") => reply::json(StatusCode::OK, clock(state).to_string()),
        (&Method::POST, "/clock/advance") => match parse::<Advance>(r.body) {
            Ok(advance) => {
                state.advance(Duration::from_secs(advance.seconds));
                let now = state
                    .now()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                reply::json(StatusCode::OK, json!({ "now": now }).to_string())
            }
            Err(reply) => *reply,
        },
        (&Method::GET, "/keys") => reply::json(StatusCode::OK, keys(state).to_string()),
        (&Method::POST, "/keys/rotate") => rotate(state, r.body).await,
        (_, "/keys" | "/clock") => reply::method_not_allowed("GET"),
        (_, "/keys/rotate") => reply::method_not_allowed("POST"),
        (_, "/journal" | "/reset" | "/clients" | "/faults" | "/clock/advance") => {
            reply::method_not_allowed("GET, POST, DELETE")
        }
        _ => reply::not_found(),
    }
}
