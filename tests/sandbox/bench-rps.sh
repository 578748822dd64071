#!/bin/sh
# bench-rps.sh: requests per second tiktok-sandbox serves on loopback.
# Usage: tests/sandbox/bench-rps.sh [SANDBOX_BINARY] [REQUESTS] [PARALLEL]
# Drives GET advertiser/info/ with curl's parallel mode over keep-alive
# plain HTTP. Not part of make check (no performance assertions in tests).
set -eu
bin=${1:-_build/tests/sandbox/tiktok-sandbox}
n=${2:-20000}
par=${3:-16}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM

"$bin" --listen 127.0.0.1:0 >"$tmp/ready" &
pid=$!
i=0
while [ ! -s "$tmp/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
base=$(sed -n 's/.*"base_url":"\([^"]*\)".*/\1/p' "$tmp/ready")
[ -n "$base" ] || { echo "bench: the sandbox did not start" >&2; exit 1; }

# Credentials come from the world, never hard-coded.
"$bin" --print-world >"$tmp/world.json"
app=$(tr -d ' \n' <"$tmp/world.json" | sed -n 's/.*"app_id":"\([0-9]*\)".*/\1/p' | head -n 1)
secret=$(tr -d ' \n' <"$tmp/world.json" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' | head -n 1)
adv=$(tr -d ' \n' <"$tmp/world.json" | sed -n 's/.*"advertiser_id":"\([0-9]*\)".*/\1/p' | head -n 1)
loc=$(curl -s -o /dev/null -w '%{redirect_url}' \
      "$base/portal/auth?app_id=$app&state=b&redirect_uri=http://127.0.0.1/callback")
code=$(printf '%s' "$loc" | sed -n 's/.*auth_code=\([0-9a-f]*\).*/\1/p')
token=$(curl -s -X POST -H 'Content-Type: application/json' \
        -d "{\"app_id\":\"$app\",\"secret\":\"$secret\",\"auth_code\":\"$code\"}" \
        "$base/open_api/v1.3/oauth2/access_token/" |
        sed -n 's/.*"access_token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$token" ] || { echo "bench: could not authorize" >&2; exit 1; }

url="$base/open_api/v1.3/advertiser/info/?advertiser_ids=%5B%22$adv%22%5D"
j=0
while [ $j -lt "$n" ]; do
    printf 'url = "%s"\noutput = /dev/null\n' "$url"
    j=$((j + 1))
done >"$tmp/urls"
printf 'header = "Access-Token: %s"\n' "$token" >"$tmp/hdr"
start=$(date +%s.%N)
curl -s --no-progress-meter --parallel --parallel-max "$par" -K "$tmp/hdr" -K "$tmp/urls"
end=$(date +%s.%N)
served=$(curl -s "$base/sandbox/requests" | sed -n 's/.*advertiser\/info\/":\([0-9]*\).*/\1/p')
awk -v n="$served" -v s="$start" -v e="$end" -v p="$par" \
    'BEGIN { printf "%d requests, %d parallel, %.2f s, %.0f requests/s\n", n, p, e - s, n / (e - s) }'
