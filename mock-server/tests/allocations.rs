//! Heap allocations per token request, counted (not timed; issue 17): the
//! allocations bench's harness on 200 requests. ed11af9 made 42 per
//! request (decoding copies, a growing token and answer, a body list);
//! 9a1438e made 23 (a String per form component, Basic halves copied, the
//! scope parsed twice, the opaque token's claims record on the heap, the
//! echoed scope formatted into a String).
//!
//! The bound allows one more per wall-clock second the count spans: hyper's
//! once-a-second `Date` render allocates when its `http2` feature is on, as
//! it is in a workspace build (CI failed on 3001 for 200 requests).

#[path = "../benches/support/allocations.rs"]
mod allocations;

#[test]
fn a_token_request_makes_at_most_15_heap_allocations() {
    let requests = 200;
    let counted = allocations::count(requests).expect("the mock answers");
    assert!(
        counted.allocations <= 15 * requests + counted.seconds_begun,
        "{} allocations for {requests} token requests ({} seconds began)",
        counted.allocations,
        counted.seconds_begun
    );
}
