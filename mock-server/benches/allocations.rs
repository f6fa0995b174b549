//! Heap allocations the mock makes per token request (issue 17):
//! `MOCK_ALLOC_REQUESTS` (default 10,000) requests after a warm-up; how
//! they are counted is in `support/allocations.rs`.
//!
//! Prints exactly one line, parsed by `just bench-report`:
//! `allocations per token request: N (bytes: B)`.
//!
//! `cargo bench -p mock-server --all-features --bench allocations`

#[path = "support/allocations.rs"]
mod allocations;

fn main() -> Result<(), allocations::BoxError> {
    let requests: u64 = std::env::var("MOCK_ALLOC_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
        .max(1);
    let allocations::Count {
        allocations: count,
        bytes,
        ..
    } = allocations::count(requests)?;
    let per_request = |total: u64| {
        // Rounded to one decimal, without a lossy integer-to-float cast.
        let tenths = (total * 10 + requests / 2) / requests;
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    println!(
        "allocations per token request: {} (bytes: {})",
        per_request(count),
        per_request(bytes)
    );
    Ok(())
}
