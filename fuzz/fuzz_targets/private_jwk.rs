#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_core_fuzz::private_jwk(data));

/// Built without `--cfg fuzzing` (plain `cargo test`): nothing to run here;
/// `tests/seeds.rs` runs the seeds through `auth_core_fuzz::private_jwk`.
#[cfg(not(fuzzing))]
fn main() {}
