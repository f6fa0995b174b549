//! `TokenResponse::to_json` writes the usual answer by hand (issue 17):
//! byte for byte what `serde_json` writes, escaping or not.

use auth_core::response::TokenResponse;
use proptest::prelude::*;

fn serde(answer: &TokenResponse<'_>) -> String {
    serde_json::to_string(answer).expect("strings and integers serialize")
}

#[test]
fn the_usual_answer_is_what_serde_json_writes() {
    let answer = TokenResponse {
        access_token: "AQAAAAAAAA-_x.y~z+/=",
        token_type: "Bearer",
        expires_in: Some(u64::MAX),
        scope: Some("read write !#[]~"),
    };
    assert_eq!(answer.to_json(), serde(&answer));
}

#[test]
fn values_that_need_escaping_are_escaped_as_serde_json_does() {
    let answer = TokenResponse {
        access_token: "a\"b\\c\u{1}\u{7f}é",
        token_type: "Bearer",
        expires_in: None,
        scope: Some("tab\there"),
    };
    assert_eq!(answer.to_json(), serde(&answer));
    assert!(answer.to_json().contains(r#""a\"b\\c\u0001"#));
}

proptest! {
    #[test]
    fn prop_to_json_is_serde_json(
        access_token in any::<String>(),
        token_type in "[ -~]{0,12}",
        expires_in in any::<Option<u64>>(),
        scope in proptest::option::of("[ -~]{0,40}"),
    ) {
        let answer = TokenResponse {
            access_token: &access_token,
            token_type: &token_type,
            expires_in,
            scope: scope.as_deref(),
        };
        prop_assert_eq!(answer.to_json(), serde(&answer));
    }
}
