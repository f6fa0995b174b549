// `Unauthorized(())`: only auth-core constructs a state.
fn main() {
    let _ = auth_core::Unauthorized(());
}
