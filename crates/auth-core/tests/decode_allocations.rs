//! Heap allocations of the auth-core code on the mock's token path
//! (issue 17), counted (not timed): a form body, a Basic header, the token
//! answer. Before, every component took two intermediate buffers, Basic
//! copied both halves, and the answer grew its buffer: a form of two plain
//! pairs made 12, an escaped component 3, a Basic header 10, an answer
//! with an opaque token 2.

use auth_core::basic;
use auth_core::form::{Form, decode_component};
use auth_core::response::TokenResponse;

fn allocations(run: impl FnOnce()) -> u64 {
    allocation_counter::measure(run).count_total
}

#[test]
fn a_plain_form_body_allocates_one_string_per_component_and_one_pair_list() {
    let body = b"grant_type=client_credentials&scope=read";
    let count = allocations(|| {
        let form = Form::parse(body, 128).expect("a valid form");
        assert_eq!(form.get("scope"), Some("read"));
    });
    assert_eq!(count, 5);
}

#[test]
fn an_escaped_component_decodes_into_one_buffer() {
    let count = allocations(|| {
        let decoded = decode_component(b"a+b%2Bc%20d%C3%A9").expect("valid encoding");
        assert_eq!(decoded, "a b+c dé");
    });
    assert_eq!(count, 1);
}

#[test]
fn basic_decode_copies_each_half_once_after_the_base64_buffer() {
    let count = allocations(|| {
        let creds = basic::decode(b"Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW").expect("fixture F1");
        assert_eq!(creds.id.as_str(), "s6BhdRkqt3");
        assert_eq!(creds.secret.expose_secret(), "gX1fBat3bV");
    });
    assert_eq!(count, 3);
}

#[test]
fn a_token_answer_is_written_into_one_buffer() {
    // The length of one of the mock's opaque tokens.
    let token = "A".repeat(150);
    let answer = TokenResponse {
        access_token: &token,
        token_type: "Bearer",
        expires_in: Some(3600),
        scope: Some("read write"),
    };
    let count = allocations(|| {
        let json = answer.to_json();
        assert!(
            json.ends_with(r#""expires_in":3600,"scope":"read write"}"#),
            "{json}"
        );
    });
    assert_eq!(count, 1);
}
