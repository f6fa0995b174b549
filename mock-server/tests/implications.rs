//! Declared scope implications at the protected resource (issue 10 item 4):
//! `/resource` checks scopes literally unless `scope_implications` is
//! configured (file key or `MockServerBuilder::scope_implications`); then
//! the required scope must be in the closure of the token's scope under the
//! declared implications, chains followed, nothing inferred from names.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use auth_core::{Implications, Scope, ScopeSet};
use common::request;
use mock_server::{Config, MockServer};

const CLIENT: &str = "s6BhdRkqt3";

fn scope(text: &str) -> Scope {
    text.parse().unwrap()
}

/// `GET target` with a freshly minted token for `granted`.
async fn resource_with(server: &MockServer, granted: &str, target: &str) -> common::Raw {
    let token = server.mint_token(CLIENT, &ScopeSet::parse(granted).unwrap());
    let bearer = format!("Bearer {token}");
    request(server, "GET", target, &[("authorization", &bearer)], b"").await
}

/// The journal's reason for the last request.
fn last_reason(server: &MockServer) -> String {
    server
        .journal()
        .last()
        .and_then(|entry| entry.reason.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn without_configuration_a_write_token_is_refused_where_read_is_required() {
    let server = MockServer::start().await.unwrap();
    let response = resource_with(&server, "write", "/resource?scope=read").await;
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(
        response.header("www-authenticate").unwrap(),
        r#"Bearer realm="mock", error="insufficient_scope", error_description="the access token lacks the required scope", scope="read""#
    );
    assert_eq!(
        response.json(),
        serde_json::json!({ "error": "insufficient_scope", "scope": "read" })
    );
    assert_eq!(
        last_reason(&server),
        "scope: the token of client `s6BhdRkqt3` lacks `read` (it has `write`)"
    );
}

#[tokio::test]
async fn a_configured_write_implies_read_lets_a_write_token_read() {
    // Before the file's `[[clients]]` tables, as a top-level key.
    let config = Config::from_toml(&format!(
        "scope_implications = {{ write = [\"read\"] }}\n{}",
        mock_server::DEFAULT_CONFIG
    ))
    .unwrap();
    let server = MockServer::builder().config(config).start().await.unwrap();
    let response = resource_with(&server, "write", "/resource?scope=read").await;
    assert_eq!(response.status, 200, "{}", response.text());
    // The answer names the token's own scope, not the closure.
    assert_eq!(
        response.json(),
        serde_json::json!({ "client_id": CLIENT, "scope": "write" })
    );
    // The converse is not declared.
    let response = resource_with(&server, "read", "/resource?scope=write").await;
    assert_eq!(response.status, 403);
    assert_eq!(
        last_reason(&server),
        "scope: the token of client `s6BhdRkqt3` lacks `write` (it has `read`; no configured scope implication applies)"
    );
}

#[tokio::test]
async fn the_builder_method_configures_implications_from_auth_core_data() {
    let server = MockServer::builder()
        .scope_implications(&Implications::named())
        .start()
        .await
        .unwrap();
    let read_write = resource_with(&server, "write", "/resource?scope=read%20write").await;
    assert_eq!(read_write.status, 200, "{}", read_write.text());
    let refused = resource_with(&server, "write", "/resource?scope=read%20discovery:read").await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        last_reason(&server),
        "scope: the token of client `s6BhdRkqt3` lacks `discovery:read` (it has `write`, and `read` by configured scope implications)"
    );
}

#[tokio::test]
async fn implications_follow_declared_chains_and_nothing_else() {
    let chain = Implications::new()
        .with(scope("a"), scope("b"))
        .with(scope("b"), scope("c"));
    let server = MockServer::builder()
        .scope_implications(&chain)
        .start()
        .await
        .unwrap();
    for (granted, required, status) in [
        // a ⇒ b ⇒ c: `a` stands for `c`, as `Implications::closure` follows chains.
        ("a", "a%20b%20c", 200),
        ("b", "c", 200),
        // Not backwards, and not to undeclared scopes.
        ("c", "b", 403),
        ("b", "a", 403),
        ("a", "d", 403),
    ] {
        let target = format!("/resource?scope={required}");
        let response = resource_with(&server, granted, &target).await;
        assert_eq!(response.status, status, "{granted} at {target}");
    }
    assert_eq!(
        last_reason(&server),
        "scope: the token of client `s6BhdRkqt3` lacks `d` (it has `a`, and `b c` by configured scope implications)"
    );
    // Without the middle link, `a` does not reach `c`.
    let broken = MockServer::builder()
        .scope_implications(&Implications::new().with(scope("a"), scope("b")))
        .start()
        .await
        .unwrap();
    assert_eq!(
        resource_with(&broken, "a", "/resource?scope=c")
            .await
            .status,
        403
    );
}

#[test]
fn the_config_key_reads_as_auth_core_implications_in_either_toml_form() {
    let inline = Config::from_toml(
        "scope_implications = { write = [\"read\"], \"orders:admin\" = [\"orders:write\", \"orders:read\"] }\n",
    )
    .unwrap();
    let tables = Config::from_toml(
        "[scope_implications]\nwrite = [\"read\"]\n\"orders:admin\" = [\"orders:read\", \"orders:write\"]\n",
    )
    .unwrap();
    assert_eq!(inline.scope_implications.len(), 2);
    assert_eq!(inline.scope_implications[&Scope::Write], vec![Scope::Read]);
    assert_eq!(
        tables.scope_implications[&scope("orders:admin")],
        vec![scope("orders:read"), scope("orders:write")]
    );
    assert!(Config::default().scope_implications.is_empty());
    assert!(Config::from_toml("").unwrap().scope_implications.is_empty());
}

#[test]
fn a_bad_scope_in_scope_implications_is_a_typed_error_with_its_position() {
    // The span points at the bad key or at the array holding the bad scope;
    // the binary prints it as `file:line:column`.
    for (text, line, column, says) in [
        (
            "realm = \"dev\"\nscope_implications = { write = [\"re ad\"] }\n",
            2,
            32,
            "scope token",
        ),
        (
            "[scope_implications]\n\"a\\\"b\" = [\"read\"]\n",
            2,
            1,
            "scope token",
        ),
        ("scope_implications = { write = [\"\"] }\n", 1, 32, "empty"),
        (
            "scope_implications = { write = \"read\" }\n",
            1,
            32,
            "sequence",
        ),
    ] {
        let error = Config::from_toml(text).unwrap_err();
        let mock_server::Error::Toml(toml) = &error else {
            panic!("{text:?}: not a TOML error with a position: {error:?}");
        };
        let span = toml
            .span()
            .unwrap_or_else(|| panic!("{text:?}: no span: {toml}"));
        let before = &text[..span.start];
        let at = (
            before.matches('\n').count() + 1,
            span.start - before.rfind('\n').map_or(0, |i| i + 1) + 1,
        );
        assert_eq!(at, (line, column), "{text:?}: {toml}");
        assert!(toml.message().contains(says), "{text:?}: {toml}");
    }
}
