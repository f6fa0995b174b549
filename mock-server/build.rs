//! Links the `mock-server` binary as a fixed-address (non-PIE) executable
//! on Linux: the dynamic loader then has no relative relocations to apply
//! to it at every start (about 4,500 with LTO, each page they touch a
//! copy-on-write fault), which was a third of the mock's start-up beyond a
//! bare hyper server's (docs/performance.md, Start-up). Go links its
//! binaries the same way by default. Only the binary: the library and the
//! tests are unchanged.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo::rustc-link-arg-bin=mock-server=-no-pie");
    }
}
