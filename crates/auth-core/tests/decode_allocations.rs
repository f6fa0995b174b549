//! Heap allocations of the auth-core code on the mock's token path
//! (issue 17), counted (not timed): a form body, a Basic header, the token
//! answer. Before, every component took two intermediate buffers, Basic
//! copied both halves, and the answer grew its buffer: a form of two plain
//! pairs made 12, an escaped component 3, a Basic header 10, an answer
//! with an opaque token 2. Then every decoded component was its own String
//! (a form of two pairs made 5) and reading a Basic value twice decoded its
//! base64 twice; now a form is one text buffer and one list of ends, and a
//! Basic value is decoded once into one buffer both readings borrow from.

use auth_core::basic;
use auth_core::form::{Form, decode_component};
use auth_core::response::TokenResponse;

fn allocations(run: impl FnOnce()) -> u64 {
    allocation_counter::measure(run).count_total
}

#[test]
fn a_form_body_allocates_one_text_buffer_and_one_list_of_ends() {
    let body = b"grant_type=client_credentials&scope=read";
    let count = allocations(|| {
        let form = Form::parse(body, 128).expect("a valid form");
        assert_eq!(form.get("scope"), Some("read"));
    });
    assert_eq!(count, 2);
}

#[test]
fn a_form_body_with_escapes_still_allocates_twice() {
    let body =
        b"grant_type=client_credentials&scope=read+write&resource=https%3A%2F%2Fapi&x=%C3%A9";
    let count = allocations(|| {
        let form = Form::parse(body, 128).expect("a valid form");
        assert_eq!(form.get("scope"), Some("read write"));
        assert_eq!(form.get("resource"), Some("https://api"));
        assert_eq!(form.get("x"), Some("é"));
        assert_eq!(form.len(), 4);
    });
    assert_eq!(count, 2);
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
fn a_basic_value_read_both_ways_decodes_its_base64_once_and_copies_nothing() {
    let count = allocations(|| {
        let value =
            basic::Decoded::parse(b"Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW").expect("fixture F1");
        let (id, secret) = value.credentials().expect("form-encoded halves");
        assert_eq!((&*id, &*secret), ("s6BhdRkqt3", "gX1fBat3bV"));
        assert_eq!(
            value.raw().expect("UTF-8 halves"),
            ("s6BhdRkqt3", "gX1fBat3bV")
        );
    });
    assert_eq!(count, 1);
}

#[test]
fn a_granted_scope_of_one_token_is_echoed_without_allocating() {
    let scope = auth_core::ScopeSet::parse("read").expect("a scope");
    let count = allocations(|| {
        assert_eq!(scope.to_wire(), "read");
    });
    assert_eq!(count, 0);
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
