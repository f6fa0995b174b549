// A custom scope's string is checked at compile time (RFC 6749 §3.3).
auth_core::custom_scope! {
    /// Not a scope-token: it has a space.
    pub OrdersRead = "orders read";
}

fn main() {}
