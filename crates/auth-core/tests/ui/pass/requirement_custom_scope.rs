// Twin of `requirement_not_a_scope`: a declared scope type is a requirement.
auth_core::custom_scope! {
    /// Read orders.
    pub OrdersRead = "orders:read";
}

fn main() {
    let _ = auth_core::Grant::<OrdersRead>::check;
    let _ = auth_core::Grant::<(OrdersRead, auth_core::scope::Read)>::check;
}
