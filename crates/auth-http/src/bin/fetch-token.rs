//! `fetch-token`: curl for client credentials (work in progress).

fn main() {}
