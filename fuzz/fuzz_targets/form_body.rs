#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| auth_core_fuzz::form_body(data));
