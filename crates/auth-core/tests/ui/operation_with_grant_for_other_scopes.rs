// An operation needing `serviceprofile:write` cannot be sent under a grant
// for `discovery:read`.
use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
use auth_core::{Authorized, Client, Operation};

struct UpdateProfile;

impl Operation for UpdateProfile {
    type Requires = ServiceProfileWrite;
    type Body = ();
    fn to_request(&self) -> http::Request<()> {
        http::Request::new(())
    }
}

fn send(client: &Client<Authorized>) -> Result<(), Box<dyn std::error::Error>> {
    let grant = client.grant::<DiscoveryRead>()?;
    let _ = client.operation_request(&UpdateProfile, &grant)?;
    Ok(())
}

fn main() {
    let _ = send;
}
