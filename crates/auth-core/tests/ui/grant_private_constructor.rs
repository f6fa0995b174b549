// A `Grant` proves a token was granted its scopes, so only checking one makes
// one: its fields are private.
use auth_core::scope::DiscoveryRead;

fn forge<T>() -> T {
    unimplemented!()
}

fn main() {
    let _ = auth_core::Grant::<DiscoveryRead> {
        token: forge(),
        requirement: std::marker::PhantomData,
    };
}
