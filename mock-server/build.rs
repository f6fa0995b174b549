//! Links the `mock-server` binary as a fixed-address (non-PIE) executable
//! on Linux with glibc: the dynamic loader then has no relative relocations
//! to apply to it at every start (about 4,500 with LTO, each page they
//! touch a copy-on-write fault; docs/performance.md, Start-up). Go links
//! its binaries the same way by default. The shared libraries, the heap,
//! the stack and mmaps are still placed at random. The benches are linked
//! the same way, so the bare hyper servers they measure the mock against
//! run under the same loader. The library and the tests are unchanged.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo::rustc-link-arg-bin=mock-server=-no-pie");
        println!("cargo::rustc-link-arg-benches=-no-pie");
    }
}
