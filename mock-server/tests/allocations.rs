//! Heap allocations per token request, counted (not timed; issue 17): the
//! allocations bench's harness on 200 requests. ed11af9 made 42 per
//! request (decoding copies, a growing token and answer, a body list);
//! 9a1438e made 23 (a String per form component, Basic halves copied, the
//! scope parsed twice, the opaque token's claims record on the heap, the
//! echoed scope formatted into a String).

#[path = "../benches/support/allocations.rs"]
mod allocations;

#[test]
fn a_token_request_makes_at_most_15_heap_allocations() {
    let requests = 200;
    let (count, _) = allocations::count(requests).expect("the mock answers");
    assert!(
        count <= 15 * requests,
        "{count} allocations for {requests} token requests"
    );
}
