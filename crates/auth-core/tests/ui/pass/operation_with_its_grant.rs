// Twin of `operation_with_grant_for_other_scopes` and
// `operation_without_grant`: with a grant for what it requires, it compiles.
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
    let grant = client.grant::<ServiceProfileWrite>()?;
    let _ = client.operation_request(&UpdateProfile, &grant)?;
    Ok(())
}

fn main() {
    let _ = send;
}
