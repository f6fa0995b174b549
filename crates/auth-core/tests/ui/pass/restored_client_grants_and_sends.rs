// What a client from a stored token alone can do: produce grants and send
// operations under them, at a given `now`, directly or through `Authorize`.
use auth_core::scope::DiscoveryRead;
use auth_core::{Authorize, Operation, RestoredClient};

struct ListServices;

impl Operation for ListServices {
    type Requires = DiscoveryRead;
    type Body = ();
    fn to_request(&self) -> http::Request<()> {
        http::Request::new(())
    }
}

fn send(client: &RestoredClient, now: time::OffsetDateTime) -> Result<(), Box<dyn std::error::Error>> {
    let grant = client.grant::<DiscoveryRead>()?;
    let _ = client.operation_request(&ListServices, &grant, now)?;
    let _ = client.authorize_operation(&ListServices, &grant, now)?;
    let mut request = http::Request::new(());
    client.authorize_request(&mut request, now)?;
    Ok(())
}

fn main() {
    let _ = send;
}
