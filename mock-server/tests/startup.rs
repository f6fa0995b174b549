//! Start-up work the `mock-server` binary does before its first token
//! (issue 17, item 3). Speed itself is measured by `benches/startup.rs`;
//! this counts the work in heap allocations, which do not depend on the
//! machine's load.

#[test]
fn embedded_config_is_built_without_parsing_toml() {
    let mut config = None;
    let used = allocation_counter::measure(|| config = Some(mock_server::Config::embedded()));
    // Its own strings and vectors (8 clients with their ids, secrets,
    // scopes and grant types, 2 resources, the realm): 79 today. Parsing
    // `DEFAULT_CONFIG` (what `embedded` did) builds the same values and
    // the TOML keys and tables besides: 133 today. A quarter less is the
    // line between the two.
    let parsed = allocation_counter::measure(|| {
        let _ = mock_server::Config::from_toml(mock_server::DEFAULT_CONFIG);
    });
    assert!(
        used.count_total * 4 < parsed.count_total * 3,
        "{} allocations building the embedded config, {} parsing it",
        used.count_total,
        parsed.count_total
    );
    assert_eq!(config.map(|c| c.clients.len()), Some(8));
}
