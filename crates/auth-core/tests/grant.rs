//! Scopes as types, grants as proofs, operations that require them, and
//! implications that are declared, never guessed.
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::scope::ScopeType;
use auth_core::scope::{
    DiscoveryRead, Read, ServiceProfileRead, ServiceProfileWrite, ServiceRegistryRead,
    ServiceRegistryWrite, TsApplicationRo, TsMecFullAccess, TsMecLimitAccess, Write,
};
use auth_core::{
    AccessToken, Authorized, Client, ClientCredentials, Error, Grant, Implications, OAuthToken,
    Operation, Operations, Requirement, Scope, ScopeSet, TokenUrl,
};
use proptest::prelude::*;
use time::OffsetDateTime;
use time::macros::datetime;

auth_core::custom_scope! {
    /// Read orders; the writers and admins may too.
    pub OrdersRead = "orders:read", implied by [OrdersWrite];
    /// Change orders; admins may too.
    OrdersWrite = "orders:write", implied by [OrdersAdmin];
    /// Everything about orders.
    OrdersAdmin = "orders:admin";
    /// Read audit logs: no declaration.
    Audit = "audit";
    /// Reports, declared readable under the MEC full access scope.
    Reports = "reports:read", implied by [TsMecFullAccess];
}

const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

fn token(scope: &str) -> OAuthToken {
    OAuthToken::new(
        AccessToken::new("2YotnFZFEjr1zCsicMWpAA"),
        NOW,
        datetime!(2026-01-01 01:00 UTC),
        scope.parse().unwrap(),
    )
}

fn client(scope: &str) -> Client<Authorized> {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", "s3cret"),
    )
    .with_token(token(scope))
}

/// Replaces this service's profile.
struct UpdateProfile;

impl Operation for UpdateProfile {
    type Requires = (ServiceProfileRead, ServiceProfileWrite);
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(b"{}".to_vec());
        *request.method_mut() = http::Method::PUT;
        *request.uri_mut() = http::Uri::from_static("https://api.example/profile");
        request
    }
}

#[test]
fn every_named_scope_type_is_its_enum_variant() {
    let types = [
        DiscoveryRead::scope(),
        ServiceProfileRead::scope(),
        ServiceProfileWrite::scope(),
        ServiceRegistryRead::scope(),
        ServiceRegistryWrite::scope(),
        TsMecFullAccess::scope(),
        TsMecLimitAccess::scope(),
        TsApplicationRo::scope(),
        Read::scope(),
        Write::scope(),
    ];
    assert_eq!(types, Scope::NAMED);
    assert_eq!(
        ServiceProfileWrite::WIRE,
        Scope::ServiceProfileWrite.as_str()
    );
}

#[test]
fn custom_scope_types_are_custom_scopes_with_their_string() {
    assert_eq!(OrdersRead::scope(), Scope::new("orders:read").unwrap());
    assert!(matches!(OrdersRead::scope(), Scope::Custom(_)));
}

#[test]
fn a_requirement_requests_the_union_of_its_scopes() {
    type Both = (
        <UpdateProfile as Operation>::Requires,
        (DiscoveryRead, ServiceProfileRead),
    );
    assert_eq!(DiscoveryRead::scopes().to_string(), "discovery:read");
    assert_eq!(
        <<UpdateProfile as Operation>::Requires as Requirement>::scopes().to_string(),
        "serviceprofile:read serviceprofile:write"
    );
    assert_eq!(
        Both::scopes().to_string(),
        "discovery:read serviceprofile:read serviceprofile:write"
    );
    assert!(<()>::scopes().is_empty());
    let credentials = ClientCredentials::new("svc", "s").with_scopes(Both::scopes());
    assert_eq!(credentials.scopes(), &Both::scopes());
}

#[test]
fn a_token_granted_the_scopes_gives_a_grant_tied_to_it() {
    let token = token("serviceprofile:write serviceprofile:read discovery:read");
    let grant = Grant::<(ServiceProfileRead, ServiceProfileWrite)>::check(&token).unwrap();
    assert!(grant.is_for(&token));
    assert!(grant.is_for(&token.clone()));
    // Same value, another token (say, reloaded from a store): not the one
    // this grant was checked against.
    assert!(!grant.is_for(&self::token(
        "serviceprofile:write serviceprofile:read discovery:read"
    )));
}

#[test]
fn a_token_without_a_required_scope_gets_a_typed_error_naming_it() {
    let token = token("discovery:read serviceprofile:read");
    let err = Grant::<(ServiceProfileRead, ServiceProfileWrite, Audit)>::check(&token).unwrap_err();
    assert_eq!(err.missing().to_string(), "audit serviceprofile:write");
    assert_eq!(err.granted(), token.scope());
    insta::assert_snapshot!(err, @"token was not granted audit serviceprofile:write (granted: discovery:read serviceprofile:read)");
    let none = Grant::<DiscoveryRead>::check(&self::token("")).unwrap_err();
    insta::assert_snapshot!(none, @"token was not granted discovery:read (granted: none)");
}

#[test]
fn the_empty_requirement_is_met_by_any_token() {
    assert!(Grant::<()>::check(&token("")).is_ok());
}

#[test]
fn an_answer_without_scope_grants_the_requested_scope_rfc6749_5_1() {
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", "s").with_scopes(<UpdateProfile as Operations>::scopes()),
    );
    let answer = |body: &str| {
        http::Response::builder()
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap()
    };
    let silent = client
        .parse_token_response(
            &answer(r#"{"access_token":"a","token_type":"Bearer","expires_in":60}"#),
            NOW,
        )
        .unwrap();
    assert!(Grant::<<UpdateProfile as Operation>::Requires>::check(&silent).is_ok());
    // The provider granted less, and said so: no grant.
    let less = client
        .parse_token_response(
            &answer(r#"{"access_token":"a","token_type":"Bearer","expires_in":60,"scope":"serviceprofile:read"}"#),
            NOW,
        )
        .unwrap();
    let err = Grant::<<UpdateProfile as Operation>::Requires>::check(&less).unwrap_err();
    assert_eq!(err.missing().to_string(), "serviceprofile:write");
}

/// Lists the services.
struct ListServices;

impl Operation for ListServices {
    type Requires = DiscoveryRead;
    type Body = ();
    fn to_request(&self) -> http::Request<()> {
        http::Request::new(())
    }
}

/// Reads an order.
struct ReadOrder;

impl Operation for ReadOrder {
    type Requires = (OrdersRead, ());
    type Body = ();
    fn to_request(&self) -> http::Request<()> {
        http::Request::new(())
    }
}

#[test]
fn a_client_built_for_its_operations_requests_exactly_their_scopes() {
    assert_eq!(
        <(ListServices, UpdateProfile, ReadOrder)>::scopes().to_string(),
        "discovery:read orders:read serviceprofile:read serviceprofile:write"
    );
    assert_eq!(
        <(ListServices, (ListServices,))>::scopes().to_string(),
        "discovery:read"
    );
    // What it is granted for them is one grant, good for the whole set.
    let token = token("discovery:read orders:read serviceprofile:read serviceprofile:write");
    assert!(
        Grant::<<(ListServices, UpdateProfile, ReadOrder) as Operations>::Requires>::check(&token)
            .is_ok()
    );
}

#[test]
fn a_client_built_for_its_operations_sends_exactly_their_scopes_on_the_wire() {
    let client = Client::for_operations::<(ListServices, UpdateProfile)>(
        TokenUrl::parse("https://as.example/token").expect("a valid url"),
        // What the credentials asked for before is replaced, not widened.
        ClientCredentials::new("svc", "s3cret").with_scopes([Scope::Write]),
    );
    let request = client.token_request().expect("a token request");
    let body = String::from_utf8(request.into_body()).expect("a utf-8 form body");
    assert_eq!(
        body,
        "grant_type=client_credentials&scope=discovery%3Aread%20serviceprofile%3Aread%20serviceprofile%3Awrite"
    );
}

#[test]
fn write_implies_read_because_the_table_declares_it() {
    assert!(Grant::<Read>::check(&token("write")).is_ok());
    assert!(Grant::<(Read, Write)>::check(&token("write")).is_ok());
    assert!(Grant::<Write>::check(&token("read")).is_err());
}

#[test]
fn no_implication_is_guessed_from_names() {
    // `serviceprofile:write` reads like it includes read; nothing declares it.
    let err = Grant::<ServiceProfileRead>::check(&token("serviceprofile:write")).unwrap_err();
    assert_eq!(err.missing().to_string(), "serviceprofile:read");
    assert!(Grant::<TsMecLimitAccess>::check(&token("ts.mec.fullaccess")).is_err());
    assert!(Grant::<Audit>::check(&token("orders:admin")).is_err());
}

#[test]
fn declared_custom_implications_are_followed_through_chains() {
    assert!(Grant::<OrdersRead>::check(&token("orders:admin")).is_ok());
    assert!(Grant::<(OrdersRead, OrdersWrite)>::check(&token("orders:admin")).is_ok());
    assert!(Grant::<OrdersWrite>::check(&token("orders:read")).is_err());
    assert!(Grant::<OrdersAdmin>::check(&token("orders:write")).is_err());
}

#[test]
fn a_custom_scope_can_be_declared_implied_by_a_named_one() {
    assert!(Grant::<Reports>::check(&token("ts.mec.fullaccess")).is_ok());
    assert!(Grant::<Reports>::check(&token("ts.mec.limitaccess")).is_err());
}

#[test]
fn declarations_are_also_data() {
    let named: Vec<String> = Implications::named()
        .iter()
        .map(|(a, b)| format!("{a} => {b}"))
        .collect();
    assert_eq!(named, ["write => read"]);
    let orders: Vec<String> = OrdersRead::implications()
        .iter()
        .map(|(a, b)| format!("{a} => {b}"))
        .collect();
    assert_eq!(
        orders,
        [
            "orders:admin => orders:write",
            "orders:write => orders:read"
        ]
    );
    assert!(Audit::implications().is_empty());
}

#[test]
fn a_grant_prints_its_requirement_and_never_the_token() {
    let grant = Grant::<(ServiceProfileRead, ServiceProfileWrite)>::check(&token(
        "serviceprofile:read serviceprofile:write",
    ))
    .unwrap();
    let debug = format!("{grant:?}");
    assert!(
        debug.starts_with(
            r#"Grant { requires: ScopeSet("serviceprofile:read serviceprofile:write"), token: TokenId("#
        ),
        "{debug}"
    );
    assert!(!debug.contains("2YotnFZFEjr1zCsicMWpAA"));
}

#[test]
fn a_grant_is_a_copyable_proof_that_crosses_threads() {
    fn proof<T: Copy + Send + Sync + 'static>(_: T) {}
    let token = token("audit");
    let grant = Grant::<Audit>::check(&token).unwrap();
    proof(grant);
    let moved = std::thread::spawn(move || grant).join().unwrap();
    assert!(moved.is_for(&token));
}

#[test]
fn an_operation_is_sent_with_the_bearer_token_under_its_grant() {
    let client = client("serviceprofile:read serviceprofile:write");
    let grant = client.grant().unwrap();
    let request = client.operation_request(&UpdateProfile, &grant).unwrap();
    assert_eq!(request.method(), http::Method::PUT);
    assert_eq!(request.uri(), "https://api.example/profile");
    assert_eq!(
        request.headers()["authorization"],
        "Bearer 2YotnFZFEjr1zCsicMWpAA"
    );
    assert!(request.headers()["authorization"].is_sensitive());
}

#[test]
fn a_renewed_token_with_the_scopes_is_used_under_the_old_grant() {
    let client = client("serviceprofile:read serviceprofile:write");
    let grant = client.grant().unwrap();
    let renewed = client.with_token(token("serviceprofile:write serviceprofile:read read"));
    assert!(!grant.is_for(renewed.token()));
    assert!(renewed.operation_request(&UpdateProfile, &grant).is_ok());
}

#[test]
fn a_renewed_token_that_lost_a_scope_is_never_used_under_the_old_grant() {
    let client = client("serviceprofile:read serviceprofile:write");
    let grant = client.grant().unwrap();
    let renewed = client.with_token(token("serviceprofile:read"));
    let err = renewed
        .operation_request(&UpdateProfile, &grant)
        .unwrap_err();
    let Error::MissingScopes(missing) = &err else {
        panic!("expected MissingScopes, got {err:?}");
    };
    assert_eq!(missing.missing().to_string(), "serviceprofile:write");
    insta::assert_snapshot!(err, @"operation not authorized: token was not granted serviceprofile:write (granted: serviceprofile:read)");
}

// ---- properties of the scope-set algebra ----

/// Every wire string the properties draw from: named scopes with and without
/// declarations, the custom ones above, and one nobody declared.
const UNIVERSE: [&str; 13] = [
    "discovery:read",
    "serviceprofile:read",
    "serviceprofile:write",
    "ts.mec.fullaccess",
    "ts.mec.limitaccess",
    "read",
    "write",
    "orders:read",
    "orders:write",
    "orders:admin",
    "audit",
    "reports:read",
    "urn:example:other",
];

fn granted() -> impl Strategy<Value = ScopeSet> {
    prop::sample::subsequence(UNIVERSE.to_vec(), 0..=UNIVERSE.len())
        .prop_map(|wires| wires.iter().map(|w| Scope::new(w).unwrap()).collect())
}

fn scope() -> impl Strategy<Value = Scope> {
    prop::sample::select(UNIVERSE.to_vec()).prop_map(|w| Scope::new(w).unwrap())
}

fn implications() -> impl Strategy<Value = Implications> {
    prop::collection::vec((scope(), scope()), 0..8).prop_map(|edges| {
        edges
            .into_iter()
            .fold(Implications::new(), |all, (a, b)| all.with(a, b))
    })
}

/// One requirement type, seen through its run-time faces.
struct Case {
    name: &'static str,
    check: fn(&OAuthToken) -> bool,
    scopes: fn() -> ScopeSet,
    implications: fn() -> Implications,
}

fn case<R: Requirement>(name: &'static str) -> Case {
    Case {
        name,
        check: |token| Grant::<R>::check(token).is_ok(),
        scopes: R::scopes,
        implications: R::implications,
    }
}

/// Requirements whose scopes have no declared implication.
fn undeclared() -> Vec<Case> {
    vec![
        case::<()>("()"),
        case::<DiscoveryRead>("DiscoveryRead"),
        case::<Write>("Write"),
        case::<OrdersAdmin>("OrdersAdmin"),
        case::<(ServiceProfileRead, ServiceProfileWrite)>(
            "(ServiceProfileRead, ServiceProfileWrite)",
        ),
        case::<(Audit, TsMecFullAccess, TsMecLimitAccess)>(
            "(Audit, TsMecFullAccess, TsMecLimitAccess)",
        ),
        case::<(
            DiscoveryRead,
            ServiceProfileRead,
            ServiceProfileWrite,
            TsMecFullAccess,
            TsMecLimitAccess,
            Write,
            OrdersAdmin,
            Audit,
        )>("eight"),
    ]
}

/// Every requirement, declared implications or not.
fn all_cases() -> Vec<Case> {
    let mut cases = undeclared();
    cases.extend([
        case::<Read>("Read"),
        case::<OrdersRead>("OrdersRead"),
        case::<OrdersWrite>("OrdersWrite"),
        case::<Reports>("Reports"),
        case::<(Read, OrdersRead, Audit)>("(Read, OrdersRead, Audit)"),
        case::<((Read, Write), (OrdersWrite, (Reports,)))>("nested"),
    ]);
    cases
}

fn token_with(granted: &ScopeSet) -> OAuthToken {
    OAuthToken::new(AccessToken::new("t"), NOW, NOW, granted.clone())
}

proptest! {
    #[test]
    fn prop_closure_is_extensive_and_idempotent(rules in implications(), granted in granted()) {
        let closure = rules.closure(&granted);
        prop_assert!(granted.is_subset(&closure));
        prop_assert_eq!(rules.closure(&closure), closure);
    }

    #[test]
    fn prop_closure_is_monotone(rules in implications(), a in granted(), b in granted()) {
        let union = a.union(&b);
        prop_assert!(rules.closure(&a).is_subset(&rules.closure(&union)));
        // And in the rules: more declarations never imply less.
        let more = rules.union(&Implications::named());
        prop_assert!(rules.closure(&a).is_subset(&more.closure(&a)));
    }

    #[test]
    fn prop_without_declarations_closure_is_the_set(granted in granted()) {
        prop_assert_eq!(Implications::new().closure(&granted), granted);
    }

    #[test]
    fn prop_union_is_the_least_upper_bound(a in granted(), b in granted()) {
        let union = a.union(&b);
        prop_assert!(a.is_subset(&union) && b.is_subset(&union));
        prop_assert!(union.iter().all(|s| a.contains(s) || b.contains(s)));
        prop_assert_eq!(union.clone(), b.union(&a));
        prop_assert_eq!(union.union(&a), union);
    }

    #[test]
    fn prop_without_declarations_a_grant_is_set_inclusion(granted in granted()) {
        let token = token_with(&granted);
        for case in undeclared() {
            prop_assert!((case.implications)().is_empty(), "{}", case.name);
            prop_assert_eq!(
                (case.check)(&token),
                (case.scopes)().is_subset(&granted),
                "{}", case.name
            );
        }
    }

    #[test]
    fn prop_a_grant_is_inclusion_in_the_closure_of_the_granted(granted in granted()) {
        let token = token_with(&granted);
        for case in all_cases() {
            let closure = (case.implications)().closure(&granted);
            prop_assert_eq!(
                (case.check)(&token),
                (case.scopes)().is_subset(&closure),
                "{} with {}", case.name, granted
            );
        }
    }

    #[test]
    fn prop_a_grant_is_monotone_in_the_granted_scope(a in granted(), b in granted()) {
        let (small, large) = (token_with(&a), token_with(&a.union(&b)));
        for case in all_cases() {
            prop_assert!(!(case.check)(&small) || (case.check)(&large), "{}", case.name);
        }
    }

    #[test]
    fn prop_a_tuple_is_all_of_its_parts(granted in granted()) {
        let token = token_with(&granted);
        prop_assert_eq!(
            Grant::<(Read, OrdersRead, Audit)>::check(&token).is_ok(),
            Grant::<Read>::check(&token).is_ok()
                && Grant::<OrdersRead>::check(&token).is_ok()
                && Grant::<Audit>::check(&token).is_ok()
        );
        if let Err(err) = Grant::<(Read, OrdersRead, Audit)>::check(&token) {
            prop_assert!(!err.missing().is_empty());
            prop_assert!(err.missing().is_subset(&<(Read, OrdersRead, Audit)>::scopes()));
        }
    }
}
