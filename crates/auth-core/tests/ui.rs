//! Misuse that must not compile, with the message a user sees pinned in
//! `tests/ui/*.stderr`, and beside them in `tests/ui/pass/` their compiling
//! twins, so a typo cannot make a case pass by accident. The messages depend
//! on the rustc version: refresh them on the pinned toolchain with
//! `TRYBUILD=overwrite` and review the diff.

#[test]
fn misuse_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
