# The team's verbs. `just` lists them.

fuzz_targets := "token_response error_response scope stored_token form_body basic_header bearer_challenge metadata revocation_response mock_token mock_config admin_json jws_compact jwk_set private_jwk"

# list the recipes
default:
    @just --list

# every test (all features, so the `reqwest` transport too): unit, integration, doc, compile-fail, and the fuzz seed corpus on stable
test:
    cargo test --workspace --all-targets --all-features
    cargo test --workspace --doc --all-features
    cargo test --manifest-path fuzz/Cargo.toml

# formatting, clippy, the dependency direction (auth-core stays sans-IO) and no CLI for library users
lint: fmt-check clippy core-is-sans-io cli-is-optional

# cargo fmt --check over the workspace and the fuzz crate
fmt-check:
    cargo fmt --all -- --check
    cargo fmt --manifest-path fuzz/Cargo.toml -- --check

# clippy with warnings as errors (workspace and fuzz crate)
clippy:
    cargo clippy --workspace --all-targets --all-features -- -D warnings
    cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

# auth-core must not pull in an async runtime, an HTTP stack or a socket crate
core-is-sans-io:
    #!/usr/bin/env bash
    set -euo pipefail
    deps=$(cargo tree -p auth-core -e normal --prefix none --format '{p}')
    if grep -E '^(tokio|hyper|hyper-util|mio|socket2|async-std|reqwest) ' <<<"$deps"; then
        echo "auth-core depends on an IO crate (above)"; exit 1
    fi
    echo "auth-core is sans-IO: no runtime, HTTP stack or socket crate"

# a library user compiles no CLI: auth-http and mock-server without their `cli` feature do not depend on clap, and build (tests too: those running a binary need `cli`)
cli-is-optional:
    #!/usr/bin/env bash
    set -euo pipefail
    for package in auth-http mock-server; do
        deps=$(cargo tree -p "$package" -e normal --prefix none --format '{p}')
        if grep -E '^clap(_builder|_derive|_lex)? ' <<<"$deps"; then
            echo "$package depends on clap without its cli feature (above)"; exit 1
        fi
    done
    cargo check --quiet -p auth-http -p mock-server --all-targets
    echo "auth-http and mock-server compile no CLI without their cli feature"

# rustdoc of every crate, warnings (broken intra-doc links...) as errors
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps

# Cargo unpacks the packaged crates into $CARGO_HOME/registry/src/-<hash of this
# checkout's path>/ and, like any registry crate, never rebuilds one whose
# version it has built before: an earlier run's unpacking or build of our own
# crates would be verified against instead of today's sources. Remove both.
# the three crates package and build as crates.io would take them (`cargo publish --dry-run`; uploads nothing)
publish-check:
    rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/auth-core-* "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/auth-http-* "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/mock-server-*
    cargo clean -p auth-core -p auth-http -p mock-server
    cargo publish --workspace --dry-run --allow-dirty

# license and source policy (needs `cargo install cargo-deny`)
deny:
    cargo deny check

# run one fuzz target for a bounded time, or all of them (needs cargo-fuzz; uses nightly when present)
fuzz-smoke target="all" secs="10":
    #!/usr/bin/env bash
    set -euo pipefail
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
    if rustup toolchain list | grep -q '^nightly'; then tc=+nightly; else tc=; export RUSTC_BOOTSTRAP=1; fi
    targets="{{target}}"; [ "$targets" = all ] && targets="{{fuzz_targets}}"
    cd fuzz
    for t in $targets; do
        mkdir -p "corpus/$t"
        echo "fuzzing $t for {{secs}}s"
        cargo $tc fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time={{secs}} -rss_limit_mb=2048
    done

# criterion benches: parsing (vs oauth2 v5), grant checks, the token manager (vs a mutex-held baseline), and the resource server's validation (cached key, cached introspection)
bench:
    cargo bench -p auth-core --bench parse
    cargo bench -p auth-core --bench grant
    cargo bench -p auth-http
    # the metrics rows (a manager with a name, with and without a recorder)
    cargo bench -p auth-http --features metrics --bench manager -- token_manager
    # heap allocations per parse, ours and oauth2's (a counting allocator, a binary of its own)
    cargo bench -p auth-core --bench parse_allocations
    # start-up: mock-server spawn to first token vs bare hyper, fetch-token vs curl (as `just bench-startup`)
    cargo bench -p mock-server --features cli --bench startup
    cargo bench -p auth-http --features cli --bench cli

# fleets through a real Redis (needs redis-server): 50 managers and 20 processes, cold and at renewal, token requests and time against one plain fetch; a warm RedisStore read
bench-fleet:
    cargo bench -p auth-http --features redis,cli --bench fleet

# the mock provider against a bare hyper server: start-up, throughput, p50/p99, RSS; then JWT mode against bare signing per algorithm (MOCK_BENCH_SECS, MOCK_BENCH_CONNS)
bench-server:
    cargo bench -p mock-server --features cli --bench server
    cargo bench -p mock-server --features cli --bench jwt

# the token endpoint under wrk (or oha) against bare hyper with the same worker count, and against hyper doing a token request's work and nothing more: 1 and 2 workers, 16 and 64 connections, alternating rounds, medians of req/s and p99 (MOCK_LOAD_ROUNDS, MOCK_LOAD_SECS, MOCK_LOAD_WORKERS, MOCK_LOAD_CONNS)
bench-load: _load-generator
    cargo bench -p mock-server --features cli --bench load

# every benchmark of issue 17 in one run (about 10-15 min), rewriting the generated section of docs/performance.md; a failed bench is named there and fails the recipe (BENCH_REPORT_QUICK=1 for a smoke run, BENCH_REPORT_ONLY="load startup" for some)
bench-report: _load-generator
    command -v curl >/dev/null || { echo "bench-report needs curl (fetch-token is measured against it)"; exit 1; }
    cargo xtask bench-report

# wrk for the load bench, installed when missing: Debian's package, else oha from crates.io
_load-generator:
    #!/usr/bin/env bash
    set -euo pipefail
    if command -v wrk >/dev/null || command -v oha >/dev/null; then exit 0; fi
    if [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else
        cargo install oha --locked
    fi

# start-up (issue 17 items 3-4): mock-server spawn to first token against a bare hyper server (MOCK_SERVER_WORKERS, default 1), and fetch-token start to token printed against curl; medians of 21 alternating runs (STARTUP_RUNS)
bench-startup:
    command -v curl >/dev/null || { echo "bench-startup needs curl"; exit 1; }
    cargo bench -p mock-server --features cli --bench startup
    cargo bench -p auth-http --features cli --bench cli

# the web console's picture in docs/images/console.png: the mock with some traffic, a finding and a fault, in headless Chromium (needs chromium and chromium-driver); and the HTML report's, docs/images/report.png
screenshots:
    cargo run -p mock-server --all-features --example console_screenshot -- docs/images/console.png
    just report-screenshot

# the mock provider with its embedded default config on 127.0.0.1:8080
serve *args:
    cargo run -p mock-server --features cli -- {{args}}

# the example client: starts the mock provider in-process, fetches, stores and uses a token
demo:
    cargo run -p auth-http --example sdk_flow

# conformance verdicts of the five clients into docs/conformance.md (needs PyPI once, for the venv)
conformance-report:
    bash conformance/run-all.sh

# this project's own client, judged by every scenario of the conformance runner (about 25 s; the quick suite left out the client-assertion scenarios the client once failed)
conformance-self:
    cargo build -p auth-http --example conformance_client
    cargo run -p mock-server --features cli -- conformance -- "${CARGO_TARGET_DIR:-target}/debug/examples/conformance_client"

# the example HTML reports in docs/reports/: this project's client on the quick suite, and the curl adapter on every scenario but the client-assertion ones (it fails a handful of checks); then the report screenshot docs/images/report.png (needs chromium)
conformance-html:
    #!/usr/bin/env bash
    set -euo pipefail
    target="${CARGO_TARGET_DIR:-target}"
    cargo build -p mock-server --features cli
    cargo build -p auth-http --example conformance_client
    mkdir -p docs/reports docs/images
    "$target/debug/mock-server" conformance --suite quick --html docs/reports/auth-http-quick.html -- "$target/debug/examples/conformance_client" >/dev/null
    # The curl adapter sends a secret (curl signs no JWT): the *-jwt scenarios
    # would only say so. It fails MUST checks: exit 1 is its verdict.
    status=0
    "$target/debug/mock-server" conformance --suite secret --html docs/reports/curl.html -- sh conformance/adapters/curl/curl.sh >/dev/null || status=$?
    [ "$status" -le 1 ] || exit "$status"
    just report-screenshot

# docs/images/report.png: the first screen of docs/reports/curl.html in headless Chromium (Debian's `chromium`)
report-screenshot:
    chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,900 --screenshot=docs/images/report.png "file://$PWD/docs/reports/curl.html"

# FileStore under SIGKILL: a saving child killed at random moments; every load a whole token or a clean miss, no temp file left after the next save
crash-store kills="1000":
    CRASH_STORE_KILLS={{kills}} cargo test -p auth-http --test crash_store

# a minute of 64 connections mixing token, introspection, revocation and resource requests, faults queued, against the release binary: 0 unexpected statuses, RSS flat within 1 MiB (SOAK_SECS, SOAK_CONNS)
soak:
    cargo bench -p mock-server --features cli --bench soak

# what CI runs
ci: lint test doc publish-check conformance-self
