// `Unauthorized` and `Authorized` are the only states of a `Client`.
#[derive(Debug)]
struct Impersonated;

impl auth_core::State for Impersonated {
    const NAME: &'static str = "Impersonated";
}

fn main() {}
