#!/bin/sh
# curl in the conformance client contract (docs/conformance.md), written the
# way a typical shell script does it: `curl -u id:secret` for Basic (curl
# does NOT form-encode id and secret first, as RFC 6749 §2.3.1 asks),
# --data-urlencode for the body, one token fetched at the start and reused
# for every call, no retry, no renewal. A script, not a hardened client:
# what it gets wrong is what the report shows.
#
# Needs: curl, python3 (to read the JSON). Exit 0 when every call succeeded.
set -eu

timeout_s=$(awk "BEGIN { print ${OAUTH_TIMEOUT_MS:-30000} / 1000 }")
interval_s=$(awk "BEGIN { print ${OAUTH_CALL_INTERVAL_MS:-0} / 1000 }")

set -- -s --max-time "$timeout_s" -d grant_type=client_credentials
if [ -n "${OAUTH_SCOPES:-}" ]; then
    set -- "$@" --data-urlencode "scope=$OAUTH_SCOPES"
fi
if [ "$OAUTH_AUTH_METHOD" = client_secret_post ]; then
    set -- "$@" --data-urlencode "client_id=$OAUTH_CLIENT_ID" \
        --data-urlencode "client_secret=$OAUTH_CLIENT_SECRET"
else
    set -- "$@" -u "$OAUTH_CLIENT_ID:$OAUTH_CLIENT_SECRET"
fi

response=$(curl "$@" "$OAUTH_TOKEN_URL") || {
    echo "curl.sh: token request failed (curl exit $?)" >&2
    exit 1
}
token=$(printf '%s' "$response" | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null) || token=
if [ -z "$token" ]; then
    echo "curl.sh: no access_token in the token response" >&2
    exit 1
fi

call=1
while [ "$call" -le "$OAUTH_CALLS" ]; do
    [ "$call" -gt 1 ] && sleep "$interval_s"
    status=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$timeout_s" \
        -H "Authorization: Bearer $token" "$OAUTH_RESOURCE_URL") || status=000
    if [ "$status" != 200 ]; then
        echo "curl.sh: resource call $call answered $status" >&2
        exit 1
    fi
    call=$((call + 1))
done
