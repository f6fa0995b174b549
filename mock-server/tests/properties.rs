//! S-70: whatever arrives, the answer is a 4xx (or a token), never a 5xx or
//! a hang; and every token the mock issues is a usable `b64token`.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::OnceLock;

use mock_server::MockServer;
use proptest::prelude::*;

fn server() -> &'static (tokio::runtime::Runtime, MockServer) {
    static SERVER: OnceLock<(tokio::runtime::Runtime, MockServer)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = mock_server::Config::embedded();
        config.lockout_failures = 0;
        let server = runtime
            .block_on(MockServer::builder().config(config).start())
            .unwrap();
        (runtime, server)
    })
}

fn token_request(headers: &[(&str, &str)], body: &[u8]) -> common::Raw {
    let (runtime, server) = server();
    let mut all = vec![("content-type", common::FORM)];
    all.extend_from_slice(headers);
    runtime.block_on(common::request(server, "POST", "/token", &all, body))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_random_bytes_never_get_a_5xx(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let response = token_request(&[("authorization", common::F1_BASIC)], &body);
        prop_assert!(response.status == 200 || (400..500).contains(&response.status), "{}", response.status);
    }

    #[test]
    fn prop_form_like_bodies_get_a_token_or_an_oauth_error(
        body in "(grant_type|scope|resource|client_id|client_secret|x)=[a-z_:/%+0-9A-F ]{0,24}(&(grant_type|scope|resource|x)=[a-z_:/%+0-9A-F]{0,24}){0,4}",
    ) {
        let response = token_request(&[("authorization", common::F1_BASIC)], body.as_bytes());
        if response.status == 200 {
            let token = response.json()["access_token"].as_str().unwrap().to_owned();
            prop_assert!(auth_core::AccessToken::new(token).is_b64token());
        } else {
            prop_assert!((400..500).contains(&response.status), "{}", response.status);
            let error = response.error();
            prop_assert!(
                ["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope", "invalid_target"]
                    .contains(&error.as_str()),
                "{error}"
            );
        }
    }

    #[test]
    fn prop_any_authorization_value_gets_a_4xx_or_a_token(value in "[ -~]{0,80}") {
        let response = token_request(&[("authorization", value.trim())], b"grant_type=client_credentials");
        prop_assert!(response.status == 200 || (400..500).contains(&response.status), "{}", response.status);
        if response.status == 401 {
            prop_assert_eq!(response.header("www-authenticate"), Some(r#"Basic realm="mock""#));
        }
    }
}
