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

#[test]
fn a_builder_from_a_config_does_not_build_the_embedded_one() {
    let config = mock_server::Config::embedded();
    let mut builder = None;
    let used = allocation_counter::measure(|| {
        builder = Some(mock_server::MockServerBuilder::from_config(config));
    });
    // The system clock's `Arc` at most; `MockServer::builder().config(..)`
    // (what the binary did) builds the embedded configuration to drop it.
    assert!(used.count_total <= 1, "{} allocations", used.count_total);
    assert!(builder.is_some());
}

#[test]
fn starting_the_embedded_server_allocates_no_table_it_does_not_use_yet() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut server = None;
    let used = allocation_counter::measure(|| {
        server = Some(runtime.block_on(mock_server::MockServer::start()));
    });
    // 25 KB today: the configuration, the clients, the state. The request
    // counters of every endpoint and status (79 KB, zeroed so faulted in)
    // made it 104 KB; they are now made by each endpoint's first request.
    assert!(
        used.bytes_total < 48 * 1024,
        "{} bytes allocated to start",
        used.bytes_total
    );
    assert!(server.is_some_and(|s| s.is_ok()));
}
