#!/usr/bin/env bash
# make run: a local Postgres under .hub/run (kept between runs), a local receiver for the example
# destination, and `hub serve` with config/hub.example.yaml. Ctrl-C stops all three.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

swift build
export HUB_SERVICES_ROOT=$PWD/.hub/run HUB_PG_PORT=${HUB_RUN_PG_PORT:-55431} HUB_PG_KEEP=1 HUB_S3=0 HUB_SFTP=0 HUB_REDIS=0
scripts/services.sh stop >/dev/null 2>&1 || true
scripts/services.sh start >/dev/null
.build/debug/hub-sink --port 9100 >"$HUB_SERVICES_ROOT/log/sink.log" 2>&1 &
sink=$!
trap 'kill $sink 2>/dev/null || true; scripts/services.sh stop' EXIT

export HUB_DATABASE_URL=postgres://postgres@127.0.0.1:$HUB_PG_PORT/hub
export HUB_TOKEN=${HUB_TOKEN:-dev-token-change-me}
cat <<MSG
Hub on http://127.0.0.1:8080 (token: $HUB_TOKEN). Try:
  curl -s -XPOST localhost:8080/v1/messages -H "Authorization: Bearer $HUB_TOKEN" \\
       -d '{"type":"order.created","subject":"A-1","data":{"total":12.5}}'
  curl -s localhost:9100/stats        # what the example destination received
MSG
.build/debug/hub serve --config config/hub.example.yaml
