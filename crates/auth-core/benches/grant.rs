//! Checking a grant against a token that holds the scopes (the warm path,
//! run before every call): 1, 4 and 8 named scopes, 8 with custom ones (the
//! slow path), and verifying an existing grant against its own token.
//! Baseline, side by side: the run-time check code writes without grants,
//! each required scope looked up in the token's scope set.
#![expect(missing_docs, reason = "criterion's macros generate undocumented fns")]

use std::hint::black_box;

use auth_core::scope::{
    DiscoveryRead, Read, ServiceProfileRead, ServiceProfileWrite, ServiceRegistryRead,
    ServiceRegistryWrite, TsMecFullAccess, TsMecLimitAccess,
};
use auth_core::{AccessToken, Grant, OAuthToken, Requirement};
use criterion::{Criterion, criterion_group, criterion_main};
use time::macros::datetime;

auth_core::custom_scope! {
    OrdersRead = "orders:read", implied by [OrdersWrite];
    OrdersWrite = "orders:write";
    Audit = "audit";
    Billing = "billing";
}

type One = DiscoveryRead;
type Four = (
    DiscoveryRead,
    ServiceProfileRead,
    ServiceProfileWrite,
    ServiceRegistryRead,
);
type Eight = (
    DiscoveryRead,
    ServiceProfileRead,
    ServiceProfileWrite,
    ServiceRegistryRead,
    ServiceRegistryWrite,
    TsMecFullAccess,
    TsMecLimitAccess,
    Read,
);
type EightCustom = (
    DiscoveryRead,
    ServiceProfileRead,
    ServiceProfileWrite,
    ServiceRegistryRead,
    OrdersRead,
    OrdersWrite,
    Audit,
    Billing,
);

fn token_for<R: Requirement>() -> OAuthToken {
    OAuthToken::new(
        AccessToken::new("2YotnFZFEjr1zCsicMWpAA"),
        datetime!(2026-01-01 00:00 UTC),
        datetime!(2026-01-01 01:00 UTC),
        R::scopes(),
    )
}

fn bench_check<R: Requirement>(c: &mut Criterion, name: &str) {
    let token = token_for::<R>();
    let grant = Grant::<R>::check(&token).expect("the token holds the scopes");
    let mut group = c.benchmark_group("grant");
    group.bench_function(format!("check_{name}"), |b| {
        b.iter(|| Grant::<R>::check(black_box(&token)).is_ok());
    });
    group.bench_function(format!("verify_{name}"), |b| {
        b.iter(|| black_box(&grant).verify(black_box(&token)).is_ok());
    });
    let required = R::scopes();
    group.bench_function(format!("baseline_contains_{name}"), |b| {
        b.iter(|| {
            let granted = black_box(&token).scope();
            black_box(&required).iter().all(|s| granted.contains(s))
        });
    });
    group.finish();
}

fn grant(c: &mut Criterion) {
    bench_check::<One>(c, "1_named");
    bench_check::<Four>(c, "4_named");
    bench_check::<Eight>(c, "8_named");
    bench_check::<EightCustom>(c, "8_with_4_custom");
}

criterion_group!(benches, grant);
criterion_main!(benches);
