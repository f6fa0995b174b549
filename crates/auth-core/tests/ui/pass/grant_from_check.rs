// Twin of `grant_private_constructor`: the way to a grant is a check.
use auth_core::scope::DiscoveryRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = time::OffsetDateTime::UNIX_EPOCH;
    let token = auth_core::OAuthToken::new(
        auth_core::AccessToken::new("t"),
        now,
        now,
        "discovery:read".parse()?,
    );
    let _ = auth_core::Grant::<DiscoveryRead>::check(&token)?;
    Ok(())
}
