//! Parsing token responses: auth-core side by side with the `oauth2` crate
//! (v5) on the same bytes, in the same run, on three bodies (typical, a
//! large JWT with ten extension members, a minimal opaque one). The
//! allocations per parse are counted by `benches/parse_allocations.rs`.
#![expect(missing_docs, reason = "criterion's macros generate undocumented fns")]

use std::hint::black_box;

use auth_core::response::{ParseOptions, parse};
use criterion::{Criterion, criterion_group, criterion_main};

mod bodies;

fn parse_token_response(c: &mut Criterion) {
    let options = ParseOptions::default();
    for case in bodies::cases() {
        let ctx = case.ctx(&options);
        let response = &case.response;
        let mut group = c.benchmark_group(format!("parse_token_response_{}", case.name));
        group.bench_function("auth_core", |b| {
            b.iter(|| parse(black_box(response), &ctx).expect("valid body"));
        });
        group.bench_function("oauth2_v5", |b| {
            b.iter(|| {
                serde_json::from_slice::<oauth2::basic::BasicTokenResponse>(black_box(
                    response.body(),
                ))
                .expect("valid body")
            });
        });
        group.finish();
    }
}

criterion_group!(benches, parse_token_response);
criterion_main!(benches);
