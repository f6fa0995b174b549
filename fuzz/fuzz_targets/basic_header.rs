#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_core_fuzz::basic_header(data));
