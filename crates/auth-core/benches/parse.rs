//! Parsing a typical token response: auth-core side by side with the
//! `oauth2` crate (v5) on the same bytes, in the same run.
#![expect(missing_docs, reason = "criterion's macros generate undocumented fns")]

use std::hint::black_box;

use auth_core::ScopeSet;
use auth_core::response::{ParseContext, ParseOptions, parse};
use criterion::{Criterion, criterion_group, criterion_main};
use time::macros::datetime;

/// What a real provider sends: a JWT-sized token, lifetime, scope, and a
/// couple of extension members.
const BODY: &[u8] = br#"{"access_token":"eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IjEifQ.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUiLCJzdWIiOiJteS1zZXJ2aWNlIiwiYXVkIjoiaHR0cHM6Ly9hcGkuZXhhbXBsZSIsImV4cCI6MTc2NzIyOTIwMCwiaWF0IjoxNzY3MjI1NjAwLCJqdGkiOiJhYmMxMjMiLCJjbGllbnRfaWQiOiJteS1zZXJ2aWNlIiwic2NvcGUiOiJkaXNjb3Zlcnk6cmVhZCBzZXJ2aWNlcHJvZmlsZTpyZWFkIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZQ","token_type":"Bearer","expires_in":3600,"scope":"discovery:read serviceprofile:read","not-before-policy":0,"session_state":"8f2c1e7a-3b1d-4c5e-9a6f-0d2b4e6f8a1c"}"#;

fn parse_token_response(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_token_response");
    let response = http::Response::builder()
        .header("content-type", "application/json")
        .body(BODY.to_vec())
        .expect("static response");
    let scope: ScopeSet = "discovery:read serviceprofile:read"
        .parse()
        .expect("valid scopes");
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: datetime!(2026-01-01 00:00 UTC),
        requested_scope: &scope,
        options: &options,
    };

    group.bench_function("auth_core", |b| {
        b.iter(|| parse(black_box(&response), &ctx).expect("valid body"));
    });
    group.bench_function("oauth2_v5", |b| {
        b.iter(|| {
            serde_json::from_slice::<oauth2::basic::BasicTokenResponse>(black_box(response.body()))
                .expect("valid body")
        });
    });
    group.finish();
}

criterion_group!(benches, parse_token_response);
criterion_main!(benches);
