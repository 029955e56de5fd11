#!/usr/bin/env bash
# The contract check make test runs: a live `hub serve` on the test Postgres (a schema of its own),
# exercised by schemathesis on every operation of every contracts/*/openapi.yaml, with examples,
# boundary cases and fuzzed (also invalid) input. It fails on any 5xx and on any answer whose
# status, content type, headers or body the contract does not describe.
#   HUB_CONTRACT_EXAMPLES   examples per operation (default 25): keeps the run to a minute or two
set -Eeuo pipefail
cd "$(dirname "$0")/.."
: "${HUB_TEST_DATABASE_URL:?run under scripts/test.sh (or source the services env)}"

work=$(mktemp -d)
schema="contract_$$_$RANDOM"
hub_pid=
cleanup() {
  [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
  psql "$HUB_TEST_DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$HUB_TEST_DATABASE_URL" -qc "CREATE SCHEMA $schema"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token="contract-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

cat >"$work/hub.yaml" <<YAML
server: { host: 127.0.0.1, port: $port, max_body: 64KiB }
database: { url: "${HUB_TEST_DATABASE_URL}?search_path=$schema" }
auth:
  tokens: [ { name: contract, token: "$token", roles: [admin] } ]
log: { format: json, level: warning }
destinations:
  crm: { kind: http, url: "http://127.0.0.1:9/hook" }
  valuation: { kind: http, url: "http://127.0.0.1:9/jobs", mode: sync }
  titles:
    kind: http
    url: http://127.0.0.1:9/jobs
    mode: async
    callback: { verify: { scheme: api-key, header: X-Vendor-Key, secrets: ["contract-vendor-key-0123"] } }
routes:
  - { match: { type: "*" }, to: [crm] }
  - { match: { type: job.requested }, to: [valuation, titles] }
sources:
  carfax:
    kind: webhook
    verify: { scheme: none }
collections:
  vehicles: { facets: { dealer: /dealer/id } }
feeds:
  vehicles_csv: { collection: vehicles, format: csv, columns: { vin: /vin }, file: vehicles.csv, to: crm }
YAML

.build/debug/hub serve --no-relay --config "$work/hub.yaml" 2>"$work/hub.log" &
hub_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$work/hub.log" >&2; echo "contract check: hub did not start" >&2; exit 1; }
  sleep 0.2
done

status=0
for contract in contracts/*/openapi.yaml; do
  echo "contract check: $contract" >&2
  # Run from the scratch folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
  (cd "$work" && schemathesis run "$OLDPWD/$contract" --url "http://127.0.0.1:$port" -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "${HUB_CONTRACT_EXAMPLES:-25}" --seed 1 --no-color --warnings off \
    --suppress-health-check all --request-timeout 10 --generation-database :memory:) || status=1
done
if ((status)); then
  cp "$work/hub.log" "${TMPDIR:-/tmp}/hub-contract-check.log"
  echo "contract check failed; the hub's log: ${TMPDIR:-/tmp}/hub-contract-check.log" >&2
fi
exit $status
