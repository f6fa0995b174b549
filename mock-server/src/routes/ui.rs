//! The web console's page, assets, rule table and sign-in under
//! `/_mock/ui` ([`crate::console`]); its event stream is answered by the
//! router, which owns the connection's body type.

use auth_core::form::Form;
use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, StatusCode};

use crate::console;
use crate::reply::{self, Reply};
use crate::router::Received;

/// Most pairs the sign-in form may have.
const MAX_SIGN_IN_PAIRS: usize = 4;

pub(crate) fn handle(r: &Received<'_>) -> Reply {
    let access = &r.state.settings.admin;
    let caller = r.caller();
    let path = r.uri.path().strip_prefix(console::PATH).unwrap_or_default();
    match (r.method, path) {
        (&Method::POST, "/sign-in") => sign_in(r),
        (_, "/sign-in") => reply::method_not_allowed("POST"),
        (&Method::GET, "/rules.json") => match access.admit(&caller) {
            Ok(()) => reply::json(StatusCode::OK, console::rules_json()),
            Err(refusal) => *refusal,
        },
        (&Method::GET, "/session") => match access.admit_page(&caller) {
            Ok(()) => session(r),
            Err(refusal) => *refusal,
        },
        (_, "/rules.json" | "/session") => reply::method_not_allowed("GET"),
        (method, path) => match console::asset(path) {
            Some((content_type, body)) if method == Method::GET => {
                match access.admit_page(&caller) {
                    Ok(()) => console::asset_reply(content_type, body),
                    Err(refusal) => *refusal,
                }
            }
            Some(_) => reply::method_not_allowed("GET"),
            None => reply::not_found(),
        },
    }
}

/// `GET /_mock/ui/session`: whether this browser may use the admin API
/// now, and whether it takes a token (a 200 either way: the page asks
/// before it reads, so that a signed-out page logs no failed request).
fn session(r: &Received<'_>) -> Reply {
    let access = &r.state.settings.admin;
    let body = serde_json::json!({
        "admitted": access.admit(&r.caller()).is_ok(),
        "token_required": access.has_token(),
    });
    reply::no_store(reply::json(StatusCode::OK, body.to_string()))
}

/// `POST /_mock/ui/sign-in` (a form, `token=...`): the session cookie and
/// back to the page, whose address never holds the token; a wrong token
/// goes back with `#sign-in-failed`.
fn sign_in(r: &Received<'_>) -> Reply {
    let presented = Form::parse(r.body, MAX_SIGN_IN_PAIRS)
        .ok()
        .and_then(|form| form.get("token").map(str::to_owned))
        .unwrap_or_default();
    let cookie = r.state.settings.admin.sign_in(&r.caller(), &presented);
    let location = if cookie.is_some() || !r.state.settings.admin.has_token() {
        console::PATH.to_owned()
    } else {
        format!("{}#sign-in-failed", console::PATH)
    };
    let mut reply = reply::no_store(reply::build(StatusCode::SEE_OTHER, None, ""));
    let headers = reply.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(LOCATION, location);
    }
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(SET_COOKIE, cookie);
    }
    reply
}
