//! Heap allocations per token-response parse, counted (not timed), on the
//! parse bench's bodies. The reader before the scanner and the one-text
//! `ExtraFields` made 7, 29 and 2; before the extension members were kept
//! inline while read (issue 17), 5, 11 and 2.

use auth_core::response::{ParseOptions, parse};

#[path = "../benches/bodies/mod.rs"]
mod bodies;

fn allocations_per_parse(name: &str) -> u64 {
    let options = ParseOptions::default();
    let case = bodies::cases()
        .into_iter()
        .find(|case| case.name == name)
        .expect("a bench body");
    let ctx = case.ctx(&options);
    // Once to warm anything lazily set up, then counted.
    drop(parse(&case.response, &ctx).expect("valid body"));
    allocation_counter::measure(|| {
        drop(parse(&case.response, &ctx).expect("valid body"));
    })
    .count_total
}

#[test]
fn typical_body_parses_in_four_allocations() {
    assert!(allocations_per_parse("typical") <= 4);
}

#[test]
fn ten_extension_members_cost_two_allocations_and_no_list_while_read() {
    assert!(allocations_per_parse("large_jwt_10_extensions") <= 8);
}

#[test]
fn minimal_body_parses_in_two_allocations() {
    assert!(allocations_per_parse("minimal_opaque") <= 2);
}
