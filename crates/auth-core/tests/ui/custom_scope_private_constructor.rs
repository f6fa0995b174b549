// A `CustomScope` proves its token is valid, so only auth-core builds one;
// the way in is `Scope::new`, which checks the RFC 6749 §3.3 grammar.
fn main() {
    let _ = auth_core::Scope::Custom(auth_core::CustomScope("two words".into()));
}
