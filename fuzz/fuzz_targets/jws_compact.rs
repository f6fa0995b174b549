#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_core_fuzz::jws_compact(data));

/// Built without `--cfg fuzzing` (plain `cargo test`): nothing to run here;
/// `tests/seeds.rs` runs the seeds through `auth_core_fuzz::jws_compact`.
#[cfg(not(fuzzing))]
fn main() {}
