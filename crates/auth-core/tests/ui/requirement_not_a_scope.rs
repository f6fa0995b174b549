// Only scope types, `()` and tuples of them are requirements.
fn main() {
    let _ = auth_core::Grant::<String>::check;
}
