//! The admin API under `/_mock/` (checklist S-74). Who may call it, and
//! how, is [`AdminAccess`](crate::admin_access::AdminAccess): a loopback or
//! served `Host`, a loopback peer or the admin token, and
//! `Content-Type: application/json` on every write.
//!
//! | method | path | body | effect |
//! |---|---|---|---|
//! | GET | `/_mock/journal` | | the journal, oldest first (JSON) |
//! | POST | `/_mock/reset` | | journal, faults, revocations, clock offset and clients back to the start |
//! | POST | `/_mock/clients` | a client (JSON, as in the TOML) | registers or replaces it |
//! | DELETE | `/_mock/clients/{id}` | | removes it (id percent-encoded) |
//! | POST | `/_mock/faults` | a fault rule (JSON) | queues it |
//! | DELETE | `/_mock/faults` | | clears the queue |
//! | POST | `/_mock/clock/advance` | `{"seconds": n}` | moves the mock clock forward |

use std::time::Duration;

use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::admin_access::Caller;
use crate::config::ClientRegistration;
use crate::fault::FaultRule;
use crate::reply::{self, Reply};
use crate::router::Received;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

fn bad_request(description: &str) -> Reply {
    reply::json(
        StatusCode::BAD_REQUEST,
        json!({ "error": "invalid_request", "error_description": description }).to_string(),
    )
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, Box<Reply>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(bad_request(&format!(
            "invalid JSON body ({:?}) at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        )))
    })
}

pub(crate) fn handle(r: &Received<'_>) -> Reply {
    let state = r.state;
    let caller = Caller {
        peer: r.peer,
        local: r.local,
        secure: r.secure,
        method: r.method,
        uri: r.uri,
        headers: r.headers,
    };
    if let Err(refusal) = state.settings.admin.admit(&caller) {
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
        (&Method::POST, "/clients") => match parse::<ClientRegistration>(r.body) {
            Ok(client) => match state.add_client(client) {
                Ok(()) => reply::build(StatusCode::CREATED, None, ""),
                Err(error) => bad_request(&error.to_string()),
            },
            Err(reply) => *reply,
        },
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
        (&Method::POST, "/faults") => match parse::<FaultRule>(r.body) {
            Ok(rule) => {
                state.faults.push(rule);
                reply::build(StatusCode::CREATED, None, "")
            }
            Err(reply) => *reply,
        },
        (&Method::DELETE, "/faults") => {
            state.faults.clear();
            reply::build(StatusCode::NO_CONTENT, None, "")
        }
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
        (_, "/journal" | "/reset" | "/clients" | "/faults" | "/clock/advance") => {
            reply::method_not_allowed("GET, POST, DELETE")
        }
        _ => reply::not_found(),
    }
}
