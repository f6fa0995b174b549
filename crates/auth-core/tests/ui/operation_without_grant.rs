// An operation is never sent without a grant.
use auth_core::scope::ServiceProfileWrite;
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
    let _ = client.operation_request(&UpdateProfile)?;
    Ok(())
}

fn main() {
    let _ = send;
}
