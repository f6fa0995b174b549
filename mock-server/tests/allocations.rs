//! Heap allocations per token request, counted (not timed; issue 17): the
//! allocations bench's harness on 200 requests. ed11af9 made 42 per
//! request (decoding copies, a growing token and answer, a body list).

#[path = "../benches/support/allocations.rs"]
mod allocations;

#[test]
fn a_token_request_makes_at_most_23_heap_allocations() {
    let requests = 200;
    let (count, _) = allocations::count(requests).expect("the mock answers");
    assert!(
        count <= 23 * requests,
        "{count} allocations for {requests} token requests"
    );
}
