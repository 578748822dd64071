#!/bin/sh
# make-fixture.sh - remake the "previous release" fixture of issue #11 point 6:
# the state a connection made before one-audience-per-account left behind,
# per-type audiences "<name> (email)", "(phone)", "(IDFA)", "(GAID)" in two
# Ad Accounts, written by the release this was cut from (main at bf1fca1; the
# plugin and host of branch `sandbox` are unchanged from it).
#
# Usage (from a build of THAT release, never from a later one):
#   tests/e2e/data/prev-release/make-fixture.sh BUILD_DIR
# BUILD_DIR holds tests/sandbox/tiktok-sandbox, host/connector-host,
# plugin/tiktok_connector.la and tests/tools/tt-gen-dataset. Needs openssl,
# curl, jq and the sqlite3 command. Writes into this script's directory:
#   state.db        the host home's state database (copied with .backup)
#   secrets.json    the host home's secrets file (give it mode 0600)
#   world.json      the sandbox world with tokens and the 8 audiences + members
#   dataset-8000.jsonl  the whole dataset; the connection delivered lines 1-6000
#   settings.json   the connection's quick settings
#   FIXTURE.txt     connection id, accounts, audience names, ids and sizes
#
# Every secret here is a sandbox-only throwaway: the app secret is the
# built-in world's fixed one, the access token was issued by the sandbox.
# Nothing in this fixture reaches or came from TikTok.
set -eu

build=${1:?usage: make-fixture.sh BUILD_DIR}
build=$(cd "$build" && pwd)
out=$(cd "$(dirname "$0")" && pwd)
SANDBOX=$build/tests/sandbox/tiktok-sandbox
HOST=$build/host/connector-host
PLUGIN=$build/plugin/tiktok_connector.la
GEN=$build/tests/tools/tt-gen-dataset
OPENSSL=${OPENSSL:-openssl}
name="Prev release buyers"
redirect=https://127.0.0.1/callback

die() { printf 'make-fixture: %s\n' "$*" >&2; exit 1; }
for f in "$SANDBOX" "$HOST" "$PLUGIN" "$GEN"; do
    [ -e "$f" ] || die "$f is missing: build the previous release in $build first"
done
for c in "$OPENSSL" curl jq sqlite3; do
    command -v "$c" > /dev/null || die "$c is needed"
done

work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
sandbox_pid=
cd "$work"

# A throwaway CA so TLS verification stays on, as everywhere.
"$OPENSSL" req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fixture-ca \
    -keyout ca.key -out ca.pem 2>/dev/null
"$OPENSSL" req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
"$OPENSSL" x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 2 -extfile san.ext -out server.pem 2>/dev/null

"$SANDBOX" --listen 127.0.0.1:0 --tls-cert server.pem --tls-key server.key \
    > sandbox.out 2> sandbox.log &
sandbox_pid=$!
i=0
until grep -q '"ready"' sandbox.out 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || die "the sandbox did not start; see sandbox.log"
    sleep 0.1
done
base=$(jq -r .base_url < sandbox.out)
"$SANDBOX" --print-world > world0.json
app_id=$(jq -r '.apps[0].app_id' world0.json)
app_secret=$(jq -r '.apps[0].secret' world0.json)
user=$(jq -r '.users[0].user_id' world0.json)

ch() { "$HOST" "$@" --home "$work/home" --api-base "$base" --ca-file "$work/ca.pem" \
                    --redirect-uri "$redirect"; }

printf '%s' "$app_id" | ch secret set --plugin "$PLUGIN" app_id
printf '%s' "$app_secret" | ch secret set --plugin "$PLUGIN" app_secret
url=$(ch authorize --plugin "$PLUGIN" --profile prev)
callback=$(curl -s --cacert ca.pem -o /dev/null -w '%{redirect_url}' "$url&user_id=$user")
ch authorize --plugin "$PLUGIN" --profile prev --callback "$callback" > profile.json
# Acme US (ADMIN) and Acme EU (OPERATOR) of the built-in world.
acc_a=7212000000000000001
acc_b=7212000000000000002

# Deterministic: the same generator, seed and percentages give the same file.
"$GEN" --records 8000 --seed 1111 --invalid-pct 2 --remove-pct 2 --out dataset-8000.jsonl
head -n 6000 dataset-8000.jsonl > dataset.jsonl
cat > settings.json <<EOF
{
  "connection_type": "new",
  "audience_name": "$name",
  "create_new_for": ["$acc_a", "$acc_b"],
  "historical_data_enabled": true,
  "membership_duration_days": 180
}
EOF
ch validate --plugin "$PLUGIN" --settings settings.json --profile prev --remote > /dev/null
connection=$(ch connect --plugin "$PLUGIN" --profile prev --dataset dataset.jsonl \
    --settings settings.json)
ch deliver --connection "$connection" > report.json
[ "$(jq -r '.status // empty' report.json)" != failed ] || die "the delivery failed: report.json"

# The sandbox's state as a world file: leave modify_time_ms out so the
# audiences do not expire 365 days after today (see tests/sandbox/README.md).
curl -s --cacert ca.pem "$base/sandbox/world/state" |
    jq 'del(.audiences[].modify_time_ms)' > world.json
# Paths of this machine become placeholders the test replaces. dataset_path
# is guarded by the host's connections_immutable trigger; the host recreates
# it (CREATE TRIGGER IF NOT EXISTS) whenever it opens the database.
sqlite3 home/state.db ".backup state.db"
sqlite3 state.db "DROP TRIGGER connections_immutable;
                  UPDATE connections SET dataset_path = '@FIXTURE_DIR@/dataset.jsonl',
                  plugin_path = '@PLUGIN@';"

{
    echo "Previous-release fixture (issue #11 point 6), made by make-fixture.sh"
    echo "with the plugin and host of commit $(cd "$out" &&
        git log -1 --format=%h -- ../../../../plugin ../../../../host ../../../../include \
            2>/dev/null || echo '?') (the last one that changed them)."
    echo "All secrets are sandbox-only throwaway values."
    echo
    echo "connection: $connection"
    echo "profile:    prev (plugin_id in state.db)"
    echo "accounts:   $acc_a (Acme US), $acc_b (Acme EU)"
    echo "delivered:  lines 1-6000 of dataset-8000.jsonl (dataset.jsonl = head -n 6000)"
    echo "audiences (advertiser_id audience_id size name):"
    jq -r --arg n "$name" '.audiences[] | select(.name | startswith($n)) |
        "  \(.advertiser_id) \(.audience_id) \([.members[] | length] | add) \(.name)"' world.json
    echo
    echo "To use: copy state.db and secrets.json into a fresh host home (chmod 0600"
    echo "secrets.json), put dataset.jsonl (head -n 6000 dataset-8000.jsonl) in a"
    echo "directory D, and in state.db: DROP TRIGGER IF EXISTS connections_immutable;"
    echo "UPDATE connections SET dataset_path = 'D/dataset.jsonl', plugin_path ="
    echo "'<the plugin .la>'; (the host recreates the trigger when it opens state.db)."
    echo "Start the sandbox with --world world.json; pass the host the app_id and"
    echo "app_secret of world.json's apps[0] only if secrets.json is not used."
} > FIXTURE.txt

cp state.db home/secrets.json world.json dataset-8000.jsonl settings.json FIXTURE.txt "$out/"
chmod 0644 "$out/secrets.json"   # git keeps 0644; the test makes it 0600
cat "$out/FIXTURE.txt"
