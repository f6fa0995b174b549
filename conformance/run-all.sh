#!/usr/bin/env bash
# Judges the five clients with `mock-server conformance` and writes their
# verdicts into docs/conformance.md (between the report markers).
#
#   bash conformance/run-all.sh                  # all five
#   bash conformance/run-all.sh auth-http curl   # only these; the others'
#                                                # last reports are kept
#
# Builds the mock-server binary, auth-http's conformance_client example and
# the oauth2-rs adapter (into $CARGO_TARGET_DIR, default target/), creates
# the Python venv (target/conformance/venv, pinned versions from PyPI), then
# runs each client. Reports: target/conformance/<client>.{json,xml,txt}.
# Exit status: 0 when every report was produced and auth-http passed every
# MUST; 1 otherwise. The other clients' failures are the findings, not errors.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
target=${CARGO_TARGET_DIR:-$repo/target}
out=$repo/target/conformance
venv=$out/venv
mock=$target/debug/mock-server
python=$venv/bin/python
all=(auth-http curl oauth2-rs requests-oauthlib authlib)

# The argv of each client (no shell between the runner and the client).
client_command() {
    case $1 in
    auth-http) command=("$target/debug/examples/conformance_client") ;;
    curl) command=(conformance/adapters/curl/curl.sh) ;;
    oauth2-rs) command=("$target/debug/oauth2-adapter") ;;
    requests-oauthlib) command=("$python" conformance/adapters/python/requests_oauthlib_client.py) ;;
    authlib) command=("$python" conformance/adapters/python/authlib_client.py) ;;
    *)
        echo "run-all: unknown client $1 (one of: ${all[*]})" >&2
        exit 2
        ;;
    esac
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${all[@]}")
for name in "${selected[@]}"; do client_command "$name"; done
wants() { [[ " ${selected[*]} " == *" $1 "* ]]; }

mkdir -p "$out"
started=$(date +%s)
echo "building mock-server and the adapters..."
cargo build --quiet -p mock-server --features cli --bin mock-server
if wants auth-http; then
    cargo build --quiet -p auth-http --example conformance_client
fi
if wants oauth2-rs; then
    cargo build --quiet --manifest-path conformance/adapters/oauth2-rs/Cargo.toml --target-dir "$target"
fi
if wants requests-oauthlib || wants authlib; then
    echo "python venv ($venv)..."
    sh conformance/adapters/python/setup.sh "$venv"
fi

# Every scenario for the clients whose adapters speak the client-assertion
# methods (private_key_jwt, client_secret_jwt): auth-http and Authlib. The
# other adapters send a secret only (their libraries have no assertion
# support), so they skip those scenarios: a method an adapter never sends
# says nothing about its library.
scenario_args() {
    case $1 in
    auth-http | authlib) scenarios=() ;;
    *) scenarios=(--suite secret) ;;
    esac
}

status=0
for name in "${selected[@]}"; do
    client_command "$name"
    scenario_args "$name"
    rm -f "$out/$name.json"
    echo "== $name"
    code=0
    "$mock" conformance "${scenarios[@]}" --json "$out/$name.json" --junit "$out/$name.xml" -- "${command[@]}" \
        >"$out/$name.txt" 2>&1 || code=$?
    tail -n 1 "$out/$name.txt"
    if [ "$code" -gt 1 ] || [ ! -s "$out/$name.json" ]; then
        echo "run-all: the runner failed for $name (exit $code); see $out/$name.txt" >&2
        status=1
    elif [ "$name" = auth-http ] && [ "$code" -ne 0 ]; then
        echo "run-all: auth-http failed a MUST check" >&2
        status=1
    fi
done

render_args=()
for name in "${all[@]}"; do render_args+=("$name=$out/$name.json"); done
CONFORMANCE_REPO=$repo CONFORMANCE_TARGET=$target \
    python3 conformance/render.py docs/conformance.md "${render_args[@]}"
echo "docs/conformance.md updated in $(($(date +%s) - started)) s"
exit "$status"
