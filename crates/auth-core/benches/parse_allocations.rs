//! Heap allocations one token-response parse makes: auth-core and the
//! `oauth2` crate (v5) on the bodies of `benches/parse.rs`. A bench of its
//! own so that the counting allocator never runs under the timings.

use auth_core::response::{ParseOptions, parse};

mod bodies;

fn main() {
    let options = ParseOptions::default();
    for case in bodies::cases() {
        let ctx = case.ctx(&options);
        let response = &case.response;
        let ours = allocation_counter::measure(|| {
            drop(parse(response, &ctx).expect("valid body"));
        });
        let theirs = allocation_counter::measure(|| {
            drop(
                serde_json::from_slice::<oauth2::basic::BasicTokenResponse>(response.body())
                    .expect("valid body"),
            );
        });
        println!(
            "parse_token_response_{} ({} bytes): allocations per parse: auth_core {}, oauth2_v5 {}",
            case.name,
            response.body().len(),
            ours.count_total,
            theirs.count_total
        );
    }
}
