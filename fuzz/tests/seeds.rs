//! Runs every file of the seed corpus (`seeds/<target>/*`) through its fuzz
//! target's function, on stable and without libFuzzer.

use std::fs;
use std::path::Path;

fn run_seeds(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut seeds = 0;
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("readable seed directory").path();
        let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("{target}: {}", path.display());
        check(&data);
        seeds += 1;
    }
    assert!(seeds >= 5, "{target} has only {seeds} seeds");
}

#[test]
fn token_response_seeds() {
    run_seeds("token_response", auth_core_fuzz::token_response);
}

#[test]
fn error_response_seeds() {
    run_seeds("error_response", auth_core_fuzz::error_response);
}

#[test]
fn scope_seeds() {
    run_seeds("scope", auth_core_fuzz::scope);
}

#[test]
fn stored_token_seeds() {
    run_seeds("stored_token", auth_core_fuzz::stored_token);
}

#[test]
fn form_body_seeds() {
    run_seeds("form_body", auth_core_fuzz::form_body);
}

#[test]
fn basic_header_seeds() {
    run_seeds("basic_header", auth_core_fuzz::basic_header);
}

#[test]
fn bearer_challenge_seeds() {
    run_seeds("bearer_challenge", auth_core_fuzz::bearer_challenge);
}

#[test]
fn metadata_seeds() {
    run_seeds("metadata", auth_core_fuzz::metadata);
}

#[test]
fn revocation_response_seeds() {
    run_seeds("revocation_response", auth_core_fuzz::revocation_response);
}

#[test]
fn mock_token_seeds() {
    run_seeds("mock_token", auth_core_fuzz::mock_token);
}

#[test]
fn mock_config_seeds() {
    run_seeds("mock_config", auth_core_fuzz::mock_config);
}

#[test]
fn admin_json_seeds() {
    run_seeds("admin_json", auth_core_fuzz::admin_json);
}

#[test]
fn mock_token_seeds_hold_claims_records_that_decode() {
    // Without such seeds the fuzzer would start from tokens whose MAC never
    // verifies, and rarely reach the claims decoder's deeper branches.
    let decoder = mock_server::fuzzing::TokenDecoder::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/mock_token");
    let decoded = fs::read_dir(&dir)
        .expect("readable seed directory")
        .filter(|entry| {
            let path = entry.as_ref().expect("readable entry").path();
            decoder
                .reissue(&fs::read(path).expect("readable seed"))
                .is_some()
        })
        .count();
    assert!(decoded >= 3, "only {decoded} claims records decode");
}

#[test]
fn jws_compact_seeds() {
    run_seeds("jws_compact", auth_core_fuzz::jws_compact);
}

#[test]
fn jwk_set_seeds() {
    run_seeds("jwk_set", auth_core_fuzz::jwk_set);
}

#[test]
fn private_jwk_seeds() {
    run_seeds("private_jwk", auth_core_fuzz::private_jwk);
}
