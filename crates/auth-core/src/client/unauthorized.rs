//! What only a client without a token does: receive one.

use super::{Authorized, Client, Unauthorized};
use crate::token::OAuthToken;

impl Client<Unauthorized> {
    /// Becomes authorized with `token`: a token just parsed, or one restored
    /// from a store. Consumes and cannot fail.
    #[must_use]
    pub fn with_token(self, token: OAuthToken) -> Client<Authorized> {
        Client {
            config: self.config,
            state: Authorized { token },
        }
    }
}
