#!/usr/bin/env bash
# `make bench`: Hub's benchmark, loopback only, bounded in time, stopping everything it started.
#
#   1. builds release binaries (skip: BENCH_SKIP_BUILD=1), starts a durable Postgres (fsync on)
#      with its WAL primed for reuse,
#      hub-sink, and writes .hub/bench/hub.yaml;
#   2. ingest: `hub serve --no-relay`, wrk POST /v1/messages (1 KB JSON) at -c64 and -c200,
#      20 s each: accepted/s, p50/p99, non-2xx, and stored messages vs 2xx answers;
#   3. webhook: the same, against POST /v1/webhooks/bench (a Standard Webhooks source, HMAC-SHA256
#      over a 1 KB body, requests signed beforehand by scripts/bench/webhook_requests.py, every
#      webhook-id distinct): accepted/s (202), duplicates (200), stored vs 202, and the ratio to
#      ingest accepted/s at the same connection count (each webhook run right after its ingest run);
#   4. relay: 100k due deliveries to the sink, drained by `hub relay`: deliveries/s;
#   5. end to end: `hub serve`, one message every 20 ms, POST -> sink latency;
#   6-7. s3, sftp (only when named in BENCH_PHASES): due deliveries of 1 KB and 1 MB objects drained
#      by `hub relay` to moto S3 / OpenSSH sshd on loopback: deliveries/s and MB/s.
#   8. redis: BENCH_REDIS_COUNT 1 KB entries XADDed to a stream,
#      then `hub serve --no-relay` with a redis-stream source: records/s until all are committed.
#   9. search: 100k vehicles in the projection, faceted GET /v1/search p50/p99 (scripts/bench/search.sh).
#   10. drop (on request): a 50,000-record (~10 MB) CSV dropped on sshd, taken by an sftp-drop
#      source: records/s and the hub's peak RSS before and after.
#   11. feed: 5,000- and 50,000-vehicle CSV feeds rendered by `hub feeds run` (time, peak RSS) and
#      published to the sink by `hub relay` (scripts/bench/feed.sh).
#
# The results table (markdown) goes to stdout and to .hub/bench/results.md; progress goes to
# stderr; logs stay in .hub/bench/logs/. Exits non-zero only when something failed to run,
# never for a missed target.
#
# Knobs (environment):
#   BENCH_SKIP_BUILD=1        use the existing .build/release binaries
#   BENCH_CONFIGURATION=debug measure a debug build instead (figures then say so; not comparable)
#   BENCH_BIN=DIR             use the hub and hub-sink in DIR instead (no build; the results say which)
#   BENCH_PHASES              "ingest webhook relay e2e redis search feed" (any subset, in this order; s3, sftp and drop on request)
#   BENCH_PG_PORT=55433 BENCH_HUB_PORT=8088 BENCH_SINK_PORT=9100
#   BENCH_WRITERS=2 BENCH_MAX_CONNECTIONS=40 BENCH_CLAIM_BATCH=200 BENCH_POLL_INTERVAL=1s
#   BENCH_CONCURRENCY=256     destination concurrency of `sink`
#   BENCH_THREADS=2 BENCH_CONNECTIONS="64 200" BENCH_DURATION=20 BENCH_WARMUP=3 (s, 0 = none)
#   BENCH_BODY_BYTES=1024
#   BENCH_WEBHOOK_RATE=15000  webhook: signed requests per second to prepare (all threads), with 25%
#                             margin; a thread that runs out stops, and the table says so
#   BENCH_WEBHOOK_MAX_LINES=1000000  cap on signed requests per wrk thread and run
#   BENCH_RELAY_COUNT=100000 BENCH_RELAY_TIMEOUT=300
#   BENCH_E2E_COUNT=500 BENCH_E2E_INTERVAL_MS=20
#   BENCH_OBJECTS_1K=2000 BENCH_OBJECTS_1M=100   s3/sftp: deliveries per object size
#   BENCH_OBJECT_CONCURRENCY=16 BENCH_SFTP_POOL=8  s3/sftp destination concurrency; sftp sessions
#   BENCH_S3_PORT=59002 BENCH_SSH_PORT=52224
#   BENCH_REDIS_PORT=56380 BENCH_REDIS_COUNT=50000 BENCH_REDIS_BATCH=200 BENCH_REDIS_TIMEOUT=300
#   BENCH_DROP_COUNT=50000 BENCH_DROP_BATCH=1000 BENCH_DROP_TIMEOUT=300   drop: the CSV's records, per transaction
#   BENCH_SEARCH_COUNT=100000 BENCH_SEARCH_CONNECTIONS=4
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$PWD
BENCH_DIR=$REPO/.hub/bench
LOGS=$BENCH_DIR/logs
RESULTS=$BENCH_DIR/results.md
CONFIG=$BENCH_DIR/hub.yaml
HERE=$REPO/scripts/bench

PG_PORT=${BENCH_PG_PORT:-55433}
HUB_PORT=${BENCH_HUB_PORT:-8088}
SINK_PORT=${BENCH_SINK_PORT:-9100}
WRITERS=${BENCH_WRITERS:-2}
MAX_CONNECTIONS=${BENCH_MAX_CONNECTIONS:-40}
CLAIM_BATCH=${BENCH_CLAIM_BATCH:-200}
POLL_INTERVAL=${BENCH_POLL_INTERVAL:-1s}
CONCURRENCY=${BENCH_CONCURRENCY:-256}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64 200}
DURATION=${BENCH_DURATION:-20}
WARMUP=${BENCH_WARMUP:-3}
BODY_BYTES=${BENCH_BODY_BYTES:-1024}
RELAY_COUNT=${BENCH_RELAY_COUNT:-100000}
RELAY_TIMEOUT=${BENCH_RELAY_TIMEOUT:-300}
E2E_COUNT=${BENCH_E2E_COUNT:-500}
E2E_INTERVAL_MS=${BENCH_E2E_INTERVAL_MS:-20}
WEBHOOK_RATE=${BENCH_WEBHOOK_RATE:-15000}
WEBHOOK_MAX_LINES=${BENCH_WEBHOOK_MAX_LINES:-1000000}
PHASES=${BENCH_PHASES:-ingest webhook relay e2e redis search feed}
REDIS_PORT=${BENCH_REDIS_PORT:-56380}
BUILD_CONFIGURATION=${BENCH_CONFIGURATION:-release}
REDIS_COUNT=${BENCH_REDIS_COUNT:-50000}
REDIS_BATCH=${BENCH_REDIS_BATCH:-200}
REDIS_TIMEOUT=${BENCH_REDIS_TIMEOUT:-300}
DROP_COUNT=${BENCH_DROP_COUNT:-50000}
DROP_BATCH=${BENCH_DROP_BATCH:-1000}
DROP_TIMEOUT=${BENCH_DROP_TIMEOUT:-300}
OBJECTS_1K=${BENCH_OBJECTS_1K:-2000}
OBJECTS_1M=${BENCH_OBJECTS_1M:-100}
OBJECT_CONCURRENCY=${BENCH_OBJECT_CONCURRENCY:-16}
SFTP_POOL=${BENCH_SFTP_POOL:-8}
# shellcheck source=scripts/bench/search.sh
source "$HERE/search.sh"   # the search phase and its knobs
# shellcheck source=scripts/bench/feed.sh
source "$HERE/feed.sh"     # the feed phase and its knobs
TOKEN=bench-token-0123456789abcdef
# The webhook source's signing secret, new for every run, and its pre-signed requests.
WEBHOOK_DIR=$BENCH_DIR/webhook-requests
RUN_ID=$(date +%s)

export HUB_SERVICES_ROOT=$BENCH_DIR/services HUB_PG_PORT=$PG_PORT HUB_PG_DURABLE=1 HUB_S3=0 HUB_SFTP=0
export HUB_S3_PORT=${BENCH_S3_PORT:-59002} HUB_SSH_PORT=${BENCH_SSH_PORT:-52224}
# Object stores and redis-server (in memory) start only for the phases that use them.
if [[ " $PHASES " == *" s3 "* ]]; then HUB_S3=1; fi
if [[ " $PHASES " == *" sftp "* || " $PHASES " == *" drop "* ]]; then HUB_SFTP=1; fi
export HUB_REDIS_PORT=$REDIS_PORT HUB_REDIS=$([[ " $PHASES " == *" redis "* ]] && echo 1 || echo 0)
DB_URL=postgres://postgres@127.0.0.1:$PG_PORT/hub
HUB_URL=http://127.0.0.1:$HUB_PORT
SINK_URL=http://127.0.0.1:$SINK_PORT
PYTHON=${PYTHON:-python3}

say() { printf "[bench %s] %s\n" "$(date +%T.%3N)" "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Processes we start: names and pids, stopped in reverse order on exit.
BG_NAMES=() BG_PIDS=()
PG_STARTED=0 TABLE_PRINTED=0 FAILURES=() ROWS=() NOTES=()
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
# The knobs this run was given, for the results' command line, e.g. BENCH_PHASES="ingest webhook".
BENCH_KNOBS=""
while IFS='=' read -r knob value; do
  [[ $value =~ ^[A-Za-z0-9._/:-]+$ ]] || value="\"$value\""
  BENCH_KNOBS+="${BENCH_KNOBS:+ }$knob=$value"
done < <(env | grep -E '^BENCH_[A-Z0-9_]+=' | sort || true)
NPROC=$(nproc) CPU_MODEL=unknown MEM_GB=? HUB_REV=unknown PG_VERSION=15 PG_PID=0 FSYNC_P50=? FSYNC_P99=?

alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

start_bg() { # start_bg NAME CMD... ; sets LAST_PID; output to $LOGS/NAME.log
  local name=$1; shift
  "$@" </dev/null >"$LOGS/$name.log" 2>&1 3>&- 4>&- &
  LAST_PID=$!
  BG_NAMES+=("$name") BG_PIDS+=("$LAST_PID")
  say "started $name (pid $LAST_PID): $*"
}

stop_pid() { # stop_pid NAME PID : SIGTERM, up to 20 s for a graceful exit, then SIGKILL
  local name=$1 pid=$2
  alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local gone=0
  for _ in $(seq 200); do
    if ! alive "$pid"; then gone=1; break; fi
    sleep 0.1
  done
  # Decide on the loop alone: a process caught mid-exit can look alive again for an instant.
  if ((gone == 0)); then say "$name ($pid) ignored SIGTERM for 20 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

stop_bg() { # stop_bg NAME : stops the most recent process started under NAME
  local i
  for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
    if [[ ${BG_NAMES[i]} == "$1" && -n ${BG_PIDS[i]} ]]; then
      stop_pid "${BG_NAMES[i]}" "${BG_PIDS[i]}"
      say "stopped $1"
      BG_PIDS[i]=""
      return 0
    fi
  done
}

# Runs a long command in the background and waits for it, so that a signal to this script is
# handled at once (bash defers traps until a foreground child exits); cleanup stops it.
FG_PID=""
run_fg() {
  "$@" 3>&- 4>&- &
  FG_PID=$!
  local rc=0
  wait "$FG_PID" || rc=$?
  FG_PID=""
  return "$rc"
}

exec 3>&1 4>&2   # the script's own stdout/stderr: a trap may fire inside a redirected call

cleanup() {
  local code=$?
  trap - EXIT INT TERM ERR
  set +e
  exec 1>&3 2>&4
  [[ -n $FG_PID ]] && stop_pid foreground "$FG_PID"
  local i
  for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do
    [[ -n ${BG_PIDS[i]} ]] && stop_pid "${BG_NAMES[i]}" "${BG_PIDS[i]}"
  done
  if ((PG_STARTED)); then stop_postgres; fi
  if ((TABLE_PRINTED == 0 && ${#ROWS[@]} > 0)); then
    FAILURES+=("the run stopped early (exit $code); figures above are partial")
    render_results
  fi
  ((code == 0)) || say "exit $code; logs in ${LOGS#"$REPO"/}/"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'say "error at line $LINENO: $BASH_COMMAND"' ERR

# The postmaster's own pid, from its data directory. scripts/services.sh as first committed
# recorded the pid of the subshell that runs setpriv, not the postmaster's; that subshell (a
# background job of a non-interactive shell) ignores the SIGINT `services.sh stop` sends, is
# SIGKILLed after 10 s, and the postmaster is left running. So we stop the postmaster by its
# postmaster.pid first (right with either version), then let services.sh clean up its records.
postmaster_pid() {
  local pid
  pid=$(head -1 "$HUB_SERVICES_ROOT/pg/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-D $HUB_SERVICES_ROOT/pg " && echo "$pid"
  return 0
}

stop_postgres() {
  local pid
  pid=$(postmaster_pid)
  if [[ -n $pid ]] && alive "$pid"; then
    kill -INT "$pid" 2>/dev/null || true   # fast shutdown
    for _ in $(seq 300); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then say "postgres ($pid) did not stop in 30 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  bash "$REPO/scripts/services.sh" stop >>"$LOGS/services.log" 2>&1 || true
  PG_STARTED=0
}

wait_for() { # wait_for NAME PID SECONDS CMD... : until CMD succeeds, while PID lives
  local name=$1 pid=$2 secs=$3 deadline=$((SECONDS + $3)); shift 3
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || { say "$name (pid $pid) died; tail of its log:"; tail -20 "$LOGS/$name.log" >&2 || true; return 1; }
    ((SECONDS < deadline)) || { say "$name not ready after $secs s"; return 1; }
    sleep 0.1
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

sql() { psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d hub -c "$1"; }

count_messages() { sql "SELECT count(*) FROM messages"; }

# Waits until the messages count (or what COUNT_FUNCTION counts) stops moving (in-flight commits
# land), then prints it.
settled_count() { # settled_count [COUNT_FUNCTION]
  local count=${1:-count_messages} last now deadline=$((SECONDS + 10))
  last=$($count)
  while ((SECONDS < deadline)); do
    sleep 0.5
    now=$($count)
    [[ $now == "$last" ]] && break
    last=$now
  done
  echo "$last"
}

# A snapshot is "HUB_PID|cpu.py's JSON|STEAL_TICKS|NANOSECONDS|busy.py's JSON". On a VM the host
# may take CPU away (steal), which /proc/stat counts as busy: it is reported on its own, not as
# "other". busy.py names the other processes that were busy (the machine is shared: a compile
# next to the benchmark shows up there).
cpu_snap() {
  local json
  json=$("$PYTHON" "$HERE/cpu.py" snap --pid "hub=${1:-0}" --tree "pg=$PG_PID")
  echo "${1:-0}|$json|$(awk '$1 == "cpu" { print $9; exit }' /proc/stat)|$(date +%s%N)|$("$PYTHON" "$HERE/busy.py" snap)"
}
split_snap() { # split_snap SNAPSHOT ARRAY_NAME : the five fields of a cpu_snap line (the last may hold '|')
  local -n fields=$2
  local rest=$1 _
  fields=()
  for _ in 1 2 3 4; do fields+=("${rest%%|*}"); rest=${rest#*|}; done
  fields+=("$rest")
}
cpu_diff() { # cpu_diff BEFORE AFTER -> "machine 87% busy of 2 cores; hub 1.10 cores, postgres 0.45, other processes 0.20 (busiest: …), stolen by the VM host 0.05"
  local -a x y
  local line busy hub pg steal others
  split_snap "$1" x
  split_snap "$2" y
  line=$("$PYTHON" "$HERE/cpu.py" diff "${x[1]}" "${y[1]}")
  busy=$(sed -n 's/.*machine_busy_pct=\([0-9.]*\).*/\1/p' <<<"$line")
  hub=$(sed -n 's/.*hub_cores=\([0-9.]*\).*/\1/p' <<<"$line")
  pg=$(sed -n 's/.*pg_cores=\([0-9.]*\).*/\1/p' <<<"$line")
  steal=$(awk -v a="${x[2]}" -v b="${y[2]}" -v t0="${x[3]}" -v t1="${y[3]}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { s = (t1 - t0) / 1e9; printf "%.2f", (s > 0) ? (b - a) / hz / s : 0 }')
  others=$("$PYTHON" "$HERE/busy.py" diff "${x[4]}" "${y[4]}" --skip "${y[0]}" --skip-tree "$PG_PID" \
    --name "$$=bench.sh (wrk, psql)" 2>/dev/null || echo "?")
  awk -v b="$busy" -v h="${hub:-0}" -v p="${pg:-0}" -v st="$steal" -v n="$NPROC" -v who="$others" \
    'BEGIN { o = b * n / 100 - h - p - st; if (o < 0) o = 0;
             printf "machine %d%% busy of %d cores; hub %.2f cores, postgres %.2f, other processes %.2f (busiest: %s), stolen by the VM host %.2f", b, n, h, p, o, who, st }'
}

# Float helpers.
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, v }'; }
thousands() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/' -e 'ta' <<<"$1"; }
meets() { # meets VALUE OP LIMIT -> "yes" / "NO"
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? (v >= l) : (v <= l); print ok ? "yes" : "NO" }'
}

# ---------------------------------------------------------------------------------------------
# Results: rows of "phase|figure|result|target|met" and notes.
row() { ROWS+=("$1|$2|$3|${4:-}|${5:-}"); }
note() { NOTES+=("$1"); say "note: $1"; }

render_results() {
  {
    echo "# Hub benchmark"
    echo
    echo "- Command: \`${BENCH_KNOBS:+$BENCH_KNOBS }make bench\` (\`${BENCH_KNOBS:+$BENCH_KNOBS }bash scripts/bench.sh\`)"
    echo "- Date: $STARTED_AT (took $((SECONDS / 60)) min $((SECONDS % 60)) s)"
    echo "- Machine: $NPROC cores ($CPU_MODEL), $MEM_GB GiB RAM, $(uname -sr); disk fdatasync of 8 KiB: p50 $FSYNC_P50 ms, p99 $FSYNC_P99 ms"
    echo "- Hub: $HUB_REV, ${BENCH_BIN:+binaries from ${BENCH_BIN#"$REPO"/}}${BENCH_BIN:-$BUILD_CONFIGURATION build}"
    echo "- Postgres: $PG_VERSION on 127.0.0.1:$PG_PORT, durable (fsync=on, synchronous_commit=on, shared_buffers=1GB, max_wal_size=4GB, min_wal_size=2GB, WAL primed)"
    echo "- Config: writers=$WRITERS max_connections=$MAX_CONNECTIONS claim_batch=$CLAIM_BATCH poll_interval=$POLL_INTERVAL sink concurrency=$CONCURRENCY"
    echo "- Load: wrk -t$THREADS, ${BODY_BYTES} B JSON bodies, ${DURATION} s per run (after ${WARMUP} s warm-up); webhook: Standard Webhooks HMAC-SHA256, one pre-signed request per webhook-id; relay $RELAY_COUNT deliveries; e2e $E2E_COUNT messages every ${E2E_INTERVAL_MS} ms (after 50 untimed)"
    echo
    echo "| Phase | Figure | Result | Target | Met |"
    echo "| --- | --- | --- | --- | --- |"
    local r
    for r in "${ROWS[@]}"; do
      IFS='|' read -r phase figure result target met <<<"$r"
      echo "| $phase | $figure | $result | ${target:-—} | ${met:-} |"
    done
    if ((${#NOTES[@]})); then
      echo
      echo "Notes:"
      local n
      for n in "${NOTES[@]}"; do echo "- $n"; done
    fi
    if ((${#FAILURES[@]})); then
      echo
      echo "FAILED:"
      local f
      for f in "${FAILURES[@]}"; do echo "- $f"; done
    fi
  } >"$RESULTS.tmp"
  mv "$RESULTS.tmp" "$RESULTS"
  cat "$RESULTS"
  TABLE_PRINTED=1
}

# ---------------------------------------------------------------------------------------------
# Setup

mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
MEM_GB=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
HUB_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null) ]]; then HUB_REV="$HUB_REV + uncommitted changes"; fi

: >"$LOGS/services.log"
stop_postgres   # whatever a previous run that was killed hard left behind

for p in "$HUB_PORT" "$SINK_PORT" "$PG_PORT"; do
  port_free "$p" || die "port $p on 127.0.0.1 is in use (set BENCH_HUB_PORT / BENCH_SINK_PORT / BENCH_PG_PORT)"
done

if ! command -v wrk >/dev/null 2>&1; then
  say "installing wrk"
  { apt-get update && apt-get install -y wrk; } >"$LOGS/apt.log" 2>&1 || die "apt-get install wrk failed; see $LOGS/apt.log"
fi
command -v psql >/dev/null || die "psql not found"
if [[ $HUB_REDIS == 1 ]]; then command -v redis-cli >/dev/null || die "redis-cli not found (scripts/deps.sh installs redis-server)"; fi
command -v curl >/dev/null || die "curl not found"
command -v "$PYTHON" >/dev/null || die "$PYTHON not found"

if [[ -z ${BENCH_BIN:-} && ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  say "building $BUILD_CONFIGURATION binaries (swift build -c $BUILD_CONFIGURATION; the first build takes several minutes)"
  run_fg swift build -c "$BUILD_CONFIGURATION" >"$LOGS/build.log" 2>&1 || { tail -30 "$LOGS/build.log" >&2; die "$BUILD_CONFIGURATION build failed; see $LOGS/build.log"; }
fi
BIN=${BENCH_BIN:-$(swift build -c "$BUILD_CONFIGURATION" --show-bin-path 2>/dev/null || echo "$REPO/.build/$BUILD_CONFIGURATION")}
HUB=$BIN/hub SINK=$BIN/hub-sink
[[ -x $HUB && -x $SINK ]] || die "no $BUILD_CONFIGURATION binaries in $BIN (run without BENCH_SKIP_BUILD=1)"

say "starting durable Postgres on 127.0.0.1:$PG_PORT"
PG_STARTED=1
bash "$REPO/scripts/services.sh" start >>"$LOGS/services.log" 2>&1 || { cat "$LOGS/services.log" >&2; die "Postgres did not start"; }
PG_PID=$(postmaster_pid)
PG_VERSION=$(sql "SHOW server_version" | awk '{print $1}')
read -r FSYNC_P50 FSYNC_P99 < <("$PYTHON" "$HERE/fsync_probe.py" "$HUB_SERVICES_ROOT" 200 || echo "? ?")
[[ $(sql "SHOW fsync") == on ]] || die "Postgres is not durable (fsync is off)"
# A long-running Postgres recycles its WAL segments; a fresh cluster creates and zero-fills a
# new 16 MB file every few thousand commits, and commits wait meanwhile (pgbench, 16-row
# inserts at -c4: 2,059 TPS, latency stddev 4.8 ms fresh; 2,828-3,396 TPS, stddev 0.6-2.0 ms
# primed). Writing ~1.4 GB of WAL once, then a checkpoint, leaves segments to recycle.
say "priming Postgres's WAL (~1.4 GB, ~15 s)"
sql "CREATE TABLE bench_wal_prime AS SELECT repeat('x', 1800) AS pad FROM generate_series(1, 800000)" >/dev/null
sql "DROP TABLE bench_wal_prime" >/dev/null
sql "CHECKPOINT" >/dev/null
source "$HUB_SERVICES_ROOT/env"
# The s3/sftp phases' destinations, only when those phases run (their servers start only then).
OBJECT_DESTINATIONS=""
if ((HUB_S3)); then
  OBJECT_DESTINATIONS+="
  archive:
    kind: s3
    bucket: hub-bench
    region: us-east-1
    endpoint: \"$HUB_TEST_S3_URL\"
    access_key_id: \"$HUB_TEST_S3_ACCESS_KEY\"
    secret_access_key: \"$HUB_TEST_S3_SECRET_KEY\"
    key: \"bench/{subject}.json\"
    timeout: 30s
    concurrency: $OBJECT_CONCURRENCY
    retry: { max_attempts: 10, initial: 200ms, max: 5s }"
fi
if ((HUB_SFTP)); then
  OBJECT_DESTINATIONS+="
  partner:
    kind: sftp
    host: $HUB_TEST_SFTP_HOST
    port: $HUB_TEST_SFTP_PORT
    user: $HUB_TEST_SFTP_USER
    private_key: \"$HUB_TEST_SFTP_KEY\"
    host_key: \"$HUB_TEST_SFTP_HOST_FINGERPRINT\"
    directory: bench
    file: \"{subject}.json\"
    pool_size: $SFTP_POOL
    timeout: 30s
    concurrency: $OBJECT_CONCURRENCY
    retry: { max_attempts: 10, initial: 200ms, max: 5s }"
fi

WEBHOOK_SECRET=whsec_$("$PYTHON" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
cat >"$CONFIG" <<YAML
# Written by scripts/bench.sh for \`make bench\`.
server:
  host: 127.0.0.1
  port: $HUB_PORT
  max_body: 1MiB

database:
  url: "$DB_URL"
  max_connections: $MAX_CONNECTIONS
  writers: $WRITERS
  commit_timeout: 5s

auth:
  tokens:
    - { name: bench, token: "$TOKEN", roles: [ingest, read] }

relay:
  claim_batch: $CLAIM_BATCH
  poll_interval: $POLL_INTERVAL
  lease: 60s
  rescue_interval: 5s

destinations:
  sink:
    kind: http
    url: $SINK_URL/hook
    timeout: 5s
    concurrency: $CONCURRENCY
    retry: { max_attempts: 10, initial: 200ms, max: 30s, max_age: 24h }
$OBJECT_DESTINATIONS

# Plain ingest sends type bench.order, the webhook source maps to bench.vehicle.sold: both
# match this one route, so every message of either phase gets exactly one delivery.
routes:
  - { match: { type: "bench.*" }, to: [sink] }
YAML
# Sources come last: the redis and drop phases append theirs under this key.
search_config >>"$CONFIG"
feed_config >>"$CONFIG"
cat >>"$CONFIG" <<YAML

# The webhook phase's vendor: Standard Webhooks signatures, dedup on webhook-id (the default).
sources:
  bench:
    kind: webhook
    verify: { scheme: standard-webhooks, secrets: ["$WEBHOOK_SECRET"], tolerance: 5m }
    map: { type: "bench.{/event}", subject: /data/vin, time: /occurred_at, data: /data }
YAML
"$HUB" check-config --config "$CONFIG" >"$LOGS/check-config.log" 2>&1 || { cat "$LOGS/check-config.log" >&2; die "bench config rejected"; }
"$HUB" migrate --config "$CONFIG" >"$LOGS/migrate.log" 2>&1 || { cat "$LOGS/migrate.log" >&2; die "hub migrate failed"; }

start_bg sink "$SINK" --host 127.0.0.1 --port "$SINK_PORT"
SINK_PID=$LAST_PID
wait_for sink "$SINK_PID" 30 curl -sf "$SINK_URL/stats"

start_hub() { # start_hub NAME ARGS... ; sets HUB_PID; waits for /ready when the edge runs
  local name=$1; shift
  start_bg "$name" "$HUB" "$@" --config "$CONFIG"
  HUB_PID=$LAST_PID
  if [[ $1 == serve ]]; then wait_for "$name" "$HUB_PID" 60 curl -sf "$HUB_URL/ready"; fi
}

reset_sink() { curl -sf -X POST "$SINK_URL/reset" >/dev/null; }
sink_stats() { curl -sf "$SINK_URL/stats"; }
json_get() { "$PYTHON" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }

# Notes how many warning/error/critical lines a process logged (swift-log: "TIME LEVEL LABEL : ..."),
# with the first three.
log_findings() {
  local file=$LOGS/$1.log count line
  count=$(awk '$2 ~ /^(warning|error|critical)$/' "$file" | wc -l)
  ((count > 0)) || return 0
  note "$1.log has $count warning/error lines; first: $(awk '$2 ~ /^(warning|error|critical)$/' "$file" | head -3 | cut -c1-300 | paste -sd '|' | sed 's/|/ ‖ /g')"
}

truncate_outbox() {
  sql "TRUNCATE delivery_attempts, job_steps, deliveries, inbound_keys, inbound_requests, message_files, messages" >/dev/null
}

# An empty outbox and a fresh checkpoint, so that the ingest and webhook phases start alike
# (neither pays for a checkpoint the other's writes brought on).
fresh_outbox() {
  truncate_outbox
  sql "CHECKPOINT" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Phase 1: ingest

wrk_threads() { local t=$THREADS; ((t > $1)) && t=$1; echo "$t"; }

run_wrk() { # run_wrk LABEL CONNECTIONS SECONDS [SCRIPT PATH] -> output in $LOGS/wrk-LABEL.log
  local label=$1 conns=$2 secs=$3 script=${4:-post.lua} path=${5:-/v1/messages}
  local threads
  threads=$(wrk_threads "$conns")
  BENCH_TOKEN=$TOKEN BENCH_BODY_BYTES=$BODY_BYTES BENCH_RUN=$label BENCH_WEBHOOK_DIR=$WEBHOOK_DIR BENCH_SCRIPTS_DIR=$HERE \
    run_fg timeout $((secs + 60)) wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency \
    -s "$HERE/$script" "$HUB_URL$path" >"$LOGS/wrk-$label.log" 2>&1 \
    || { tail -20 "$LOGS/wrk-$label.log" >&2; die "wrk ($label) failed; see $LOGS/wrk-$label.log"; }
}

# Reads the "@bench KEY VALUE" lines of $LOGS/wrk-LABEL.log into W, and derives W[secs],
# W[errors] (non-2xx, plus socket errors when there were any) and W[socket_errors].
declare -A W=()
read_wrk() {
  local key value
  W=()
  while read -r _ key value; do W[$key]=$value; done < <(grep '^@bench ' "$LOGS/wrk-$1.log")
  [[ -n ${W[ok]:-} ]] || die "no figures in $LOGS/wrk-$1.log"
  W[secs]=$(awk -v us="${W[duration_us]}" 'BEGIN { print us / 1e6 }')
  W[socket_errors]=$((W[err_connect] + W[err_read] + W[err_write] + W[err_timeout]))
  W[errors]=${W[non2xx]}
  ((W[socket_errors] == 0)) \
    || W[errors]="${W[non2xx]} (+ socket errors: connect ${W[err_connect]}, read ${W[err_read]}, write ${W[err_write]}, timeout ${W[err_timeout]})"
}

# stored_check NAME DELTA ANSWERED WHAT -> CHECK: the messages a run stored against the answers
# that said "stored" (WHAT names them, e.g. 2xx); a request still in flight when wrk stopped may
# have committed too. A mismatch is a failure.
stored_check() {
  local name=$1 delta=$2 answered=$3 what=$4 in_flight=${W[in_flight]}
  if ((delta == answered)); then
    CHECK="OK ($(thousands "$delta") stored = $(thousands "$answered") $what)"
  elif ((delta > answered && delta <= answered + in_flight)); then
    CHECK="OK ($(thousands "$delta") stored = $(thousands "$answered") $what + $((delta - answered)) committed after wrk stopped waiting; $in_flight were in flight)"
  else
    CHECK="MISMATCH ($(thousands "$delta") stored vs $(thousands "$answered") $what, $in_flight in flight at stop)"
    FAILURES+=("$name: stored count $delta does not match $answered $what answers")
  fi
}

declare -A INGEST_RATE=()   # connections -> accepted/s of the ingest phase, for the webhook ratio

phase_ingest() {
  say "ingest: hub serve --no-relay"
  fresh_outbox
  start_hub hub-ingest serve --no-relay
  local conns
  for conns in ${1:-$CONNECTIONS}; do
    if ((WARMUP > 0)); then
      say "ingest: warm-up -c$conns for ${WARMUP}s"
      run_wrk "warmup-c$conns" "$conns" "$WARMUP"
    fi
    local before after cpu0 cpu1
    before=$(settled_count)
    say "ingest: wrk -t$THREADS -c$conns -d${DURATION}s (stored before: $before)"
    cpu0=$(cpu_snap "$HUB_PID")
    run_wrk "c$conns" "$conns" "$DURATION"
    cpu1=$(cpu_snap "$HUB_PID")
    after=$(settled_count)
    alive "$HUB_PID" || die "the hub died during the ingest run; see $LOGS/hub-ingest.log"

    read_wrk "c$conns"
    local rate
    rate=$(awk -v n="${W[ok]}" -v s="${W[secs]}" 'BEGIN { printf "%.0f", n / s }')
    INGEST_RATE[$conns]=$rate
    stored_check "ingest -c$conns" $((after - before)) "${W[ok]}" 2xx

    if [[ $conns == 64 ]]; then
      row "ingest -c64" "accepted/s" "$(thousands "$rate")" "≥ 6,000" "$(meets "$rate" '>=' 6000)"
      row "ingest -c64" "latency p50 / p99" "$(fmt "${W[p50_ms]}" 2) / $(fmt "${W[p99_ms]}" 2) ms" "p99 ≤ 20 ms" "$(meets "${W[p99_ms]}" '<=' 20)"
    else
      row "ingest -c$conns" "accepted/s" "$(thousands "$rate")"
      row "ingest -c$conns" "latency p50 / p99" "$(fmt "${W[p50_ms]}" 2) / $(fmt "${W[p99_ms]}" 2) ms"
    fi
    row "ingest -c$conns" "non-2xx" "${W[errors]}" "0" "$( ((W[non2xx] == 0 && W[socket_errors] == 0)) && echo yes || echo NO)"
    row "ingest -c$conns" "stored = 2xx" "$CHECK"
    note "ingest -c$conns: $(thousands "${W[requests]}") answers in $(fmt "${W[secs]}" 1) s, ${W[body_bytes]} B bodies, max latency $(fmt "${W[max_ms]}" 1) ms; $(cpu_diff "$cpu0" "$cpu1")"
  done
  local pending
  pending=$(sql "SELECT count(*) FROM deliveries WHERE status = 'pending'")
  local total
  total=$(count_messages)
  [[ $pending == "$total" ]] || note "ingest: $total messages stored but $pending pending deliveries (expected one each)"
  stop_bg hub-ingest
  log_findings hub-ingest
}

# ---------------------------------------------------------------------------------------------
# Phase 2: webhook (verified ingest through a Standard Webhooks source)

count_webhook_messages() { sql "SELECT count(*) FROM messages WHERE source = 'bench'"; }

# sign_webhooks LABEL CONNECTIONS SECONDS : fresh signed requests in $WEBHOOK_DIR for one wrk
# run, one file per wrk thread, enough for BENCH_WEBHOOK_RATE/s plus 25% (capped).
sign_webhooks() {
  local label=$1 threads lines
  threads=$(wrk_threads "$2")
  lines=$(((WEBHOOK_RATE * $3 * 5 / 4 + threads - 1) / threads))
  ((lines <= WEBHOOK_MAX_LINES)) || lines=$WEBHOOK_MAX_LINES
  ((lines > 0)) || lines=1
  "$PYTHON" "$HERE/webhook_requests.py" --secret "$WEBHOOK_SECRET" --out "$WEBHOOK_DIR" --threads "$threads" \
    --lines "$lines" --run "$RUN_ID-$label" --body-bytes "$BODY_BYTES" >"$LOGS/sign-$label.log" 2>&1 \
    || { cat "$LOGS/sign-$label.log" >&2; die "signing webhook requests failed; see $LOGS/sign-$label.log"; }
  SIGNED_LINES=$lines
  say "webhook: $(sed -n 's/^@gen //p' "$LOGS/sign-$label.log") ($label)"
}

# One signed request by curl, then the same one again: 202 and then 200 (a duplicate), or the
# source is misconfigured and the load runs would measure refusals.
webhook_smoke() {
  sign_webhooks smoke 1 0
  local id ts sig first second
  IFS=$'\t' read -r id ts sig <"$WEBHOOK_DIR/thread-1.txt"
  local args=(-s -o "$LOGS/webhook-smoke.json" -w '%{http_code}' -X POST "$HUB_URL/v1/webhooks/bench"
    -H 'Content-Type: application/json' -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: $sig"
    --data-binary "@$WEBHOOK_DIR/body.json")
  first=$(curl "${args[@]}") || true
  second=$(curl "${args[@]}") || true
  [[ $first == 202 && $second == 200 ]] \
    || die "webhook smoke test: a signed request answered $first (expected 202), its resend $second (expected 200); see $LOGS/webhook-smoke.json and $LOGS/hub-webhook.log"
}

phase_webhook() {
  say "webhook: hub serve --no-relay, POST /v1/webhooks/bench"
  fresh_outbox
  start_hub hub-webhook serve --no-relay
  webhook_smoke
  local conns
  for conns in ${1:-$CONNECTIONS}; do
    if ((WARMUP > 0)); then
      say "webhook: warm-up -c$conns for ${WARMUP}s"
      sign_webhooks "webhook-warmup-c$conns" "$conns" "$WARMUP"
      run_wrk "webhook-warmup-c$conns" "$conns" "$WARMUP" webhook.lua /v1/webhooks/bench
    fi
    local before after cpu0 cpu1 name="webhook -c$conns"
    sign_webhooks "webhook-c$conns" "$conns" "$DURATION"
    before=$(settled_count count_webhook_messages)
    say "webhook: wrk -t$THREADS -c$conns -d${DURATION}s (stored before: $before)"
    cpu0=$(cpu_snap "$HUB_PID")
    run_wrk "webhook-c$conns" "$conns" "$DURATION" webhook.lua /v1/webhooks/bench
    cpu1=$(cpu_snap "$HUB_PID")
    after=$(settled_count count_webhook_messages)
    alive "$HUB_PID" || die "the hub died during the webhook run; see $LOGS/hub-webhook.log"

    read_wrk "webhook-c$conns"
    [[ -n ${W[accepted]:-} ]] || die "no webhook figures in $LOGS/wrk-webhook-c$conns.log"
    local rate
    rate=$(awk -v n="${W[accepted]}" -v s="${W[secs]}" 'BEGIN { printf "%.0f", n / s }')
    stored_check "$name" $((after - before)) "${W[accepted]}" 202

    row "$name" "accepted/s (202)" "$(thousands "$rate")"
    row "$name" "latency p50 / p99" "$(fmt "${W[p50_ms]}" 2) / $(fmt "${W[p99_ms]}" 2) ms"
    row "$name" "non-2xx" "${W[errors]}" "0" "$( ((W[non2xx] == 0 && W[socket_errors] == 0)) && echo yes || echo NO)"
    row "$name" "duplicates (200) / sent after a thread ran out of signed requests" \
      "${W[duplicate]} / ${W[exhausted]}" "0 / 0" "$( ((W[duplicate] == 0 && W[exhausted] == 0)) && echo yes || echo NO)"
    ((W[exhausted] == 0)) \
      || FAILURES+=("$name: a wrk thread used up its $SIGNED_LINES signed requests and stopped early; raise BENCH_WEBHOOK_RATE")
    row "$name" "stored (source 'bench') = 202" "$CHECK"
    if [[ -n ${INGEST_RATE[$conns]:-} ]]; then
      local ratio
      ratio=$(awk -v w="$rate" -v i="${INGEST_RATE[$conns]}" 'BEGIN { printf "%.2f", (i > 0) ? w / i : 0 }')
      row "$name" "accepted/s vs ingest -c$conns" "$ratio ($(thousands "$rate") / $(thousands "${INGEST_RATE[$conns]}"))" "≥ 0.90" "$(meets "$ratio" '>=' 0.90)"
    else
      row "$name" "accepted/s vs ingest -c$conns" "no ingest -c$conns run to compare with (add ingest to BENCH_PHASES)" "≥ 0.90"
    fi
    note "$name: $(thousands "${W[requests]}") answers in $(fmt "${W[secs]}" 1) s ($(thousands "${W[accepted]}") 202, ${W[duplicate]} 200), ${W[body_bytes]} B bodies, $(thousands "$SIGNED_LINES") signed requests per wrk thread, max latency $(fmt "${W[max_ms]}" 1) ms; $(cpu_diff "$cpu0" "$cpu1")"
  done
  local total pending raw keys
  total=$(count_messages)
  pending=$(sql "SELECT count(*) FROM deliveries WHERE status = 'pending'")
  raw=$(sql "SELECT count(*) FROM inbound_requests")
  keys=$(sql "SELECT count(*) FROM inbound_keys WHERE scope = 'webhook:bench'")
  [[ $(count_webhook_messages) == "$total" ]] || note "webhook: $total messages stored, $(count_webhook_messages) of them from source 'bench'"
  if [[ $pending == "$total" && $raw == "$total" && $keys == "$total" ]]; then
    note "webhook: each of the $(thousands "$total") messages has one pending delivery (as in ingest), its raw request and its webhook-id dedup key"
  else
    note "webhook: $total messages stored, $pending pending deliveries (expected one each), $raw raw requests and $keys dedup keys (expected one each)"
  fi
  stop_bg hub-webhook
  log_findings hub-webhook
  rm -f "$WEBHOOK_DIR"/thread-*.txt   # tens of MB of signed requests, useless once their run is over
}

# ---------------------------------------------------------------------------------------------
# Phase 3: relay

phase_relay() {
  say "relay: preparing $RELAY_COUNT due deliveries"
  truncate_outbox
  psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d hub -v n="$RELAY_COUNT" >/dev/null <<'SQL'
    INSERT INTO messages (id, source, type, subject, time, datacontenttype, data, content_hash, received_at)
    SELECT gen_random_uuid(), 'bench', 'bench.relay', 'relay-' || g, now(), 'application/json', d.data::json,
           encode(sha256(convert_to(d.data, 'UTF8')), 'hex'), now()
    FROM generate_series(1, :n) AS g,
         LATERAL (SELECT format('{"kind":"relay-bench","pad":"%s","seq":%s}', repeat('r', 960), g) AS data) AS d;
    INSERT INTO deliveries (id, message_id, destination, status, next_attempt_at)
    SELECT gen_random_uuid(), id, 'sink', 'pending', now() - interval '1 second' FROM messages;
SQL
  sql "VACUUM ANALYZE messages" >/dev/null
  sql "VACUUM ANALYZE deliveries" >/dev/null
  sql "CHECKPOINT" >/dev/null
  local due
  due=$(sql "SELECT count(*) FROM deliveries WHERE status = 'pending' AND destination = 'sink' AND next_attempt_at <= now()")
  [[ $due == "$RELAY_COUNT" ]] || die "expected $RELAY_COUNT due deliveries, found $due"
  reset_sink

  local start_ns end_ns delivered=0 cpu0 cpu1 deadline=$((SECONDS + RELAY_TIMEOUT)) per0 per1 commits0 commits1
  commits0=$(sql "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
  start_ns=$(date +%s%N)
  start_hub hub-relay relay
  cpu0=$(cpu_snap "$HUB_PID")
  per0=$("$PYTHON" "$HERE/cpu.py" snap --pid "hub=$HUB_PID" --tree "postgres=$PG_PID" --pid "sink=$SINK_PID")
  local remaining
  while :; do
    # What is left shrinks and has partial indexes: cheaper to poll than the delivered count.
    remaining=$(sql "SELECT (SELECT count(*) FROM deliveries WHERE status = 'pending')
                          + (SELECT count(*) FROM deliveries WHERE status = 'delivering')")
    ((remaining == 0)) && break
    alive "$HUB_PID" || { tail -20 "$LOGS/hub-relay.log" >&2; die "hub relay died; see $LOGS/hub-relay.log"; }
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  end_ns=$(date +%s%N)
  cpu1=$(cpu_snap "$HUB_PID")
  per1=$("$PYTHON" "$HERE/cpu.py" snap --pid "hub=$HUB_PID" --tree "postgres=$PG_PID" --pid "sink=$SINK_PID")
  delivered=$(sql "SELECT count(*) FROM deliveries WHERE status = 'delivered'")
  local wall
  wall=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  if ((delivered < RELAY_COUNT)); then
    row "relay" "deliveries/s" "TIMEOUT: $(thousands "$delivered") of $(thousands "$RELAY_COUNT") delivered in ${RELAY_TIMEOUT} s" "≥ 25,000" "NO"
    FAILURES+=("relay: only $delivered of $RELAY_COUNT deliveries were delivered within ${RELAY_TIMEOUT} s")
  fi
  # Let the last outcome batch and the sink's counters settle before reading them.
  sleep 0.5
  stop_bg hub-relay
  # Counted once the relay's connections have closed (a backend reports its counts on exit).
  commits1=$(sql "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")

  local span rate first_claim_ms
  span=$(sql "SELECT extract(epoch FROM max(d.delivered_at) - (SELECT min(started_at) FROM delivery_attempts))
              FROM deliveries d WHERE d.status = 'delivered'")
  if ((delivered >= RELAY_COUNT)); then
    rate=$(awk -v n="$delivered" -v s="$span" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
    row "relay" "deliveries/s (first attempt → last delivered_at, SQL)" "$(thousands "$rate") ($(thousands "$delivered") in $(fmt "$span" 2) s)" "≥ 25,000" "$(meets "$rate" '>=' 25000)"
    row "relay" "wall time, process start → all delivered" "$wall s ($(thousands "$(awk -v n="$delivered" -v s="$wall" 'BEGIN { printf "%.0f", n / s }')")/s)"
  fi
  first_claim_ms=$(awk -v a="$start_ns" -v t="$(sql "SELECT extract(epoch FROM min(started_at)) FROM delivery_attempts")" \
    'BEGIN { printf "%.0f", t * 1000 - a / 1e6 }')

  local stats received unique dups states retries
  stats=$(sink_stats)
  received=$(json_get received <<<"$stats")
  unique=$(json_get unique <<<"$stats")
  dups=$((received - unique))
  states=$(sql "SELECT string_agg(status || '=' || n, ', ' ORDER BY status) FROM (SELECT status, count(*) AS n FROM deliveries GROUP BY status) s")
  retries=$(sql "SELECT count(*) FROM delivery_attempts WHERE outcome <> 'delivered'")
  local verdict=yes
  ((unique == RELAY_COUNT)) || verdict=NO
  row "relay" "sink unique / received (duplicates)" "$(thousands "$unique") / $(thousands "$received") ($dups)" "unique = $(thousands "$RELAY_COUNT")" "$verdict"
  ((unique == RELAY_COUNT)) || FAILURES+=("relay: the sink saw $unique distinct deliveries, expected $RELAY_COUNT")
  note "relay: deliveries by status after the run: $states; failed attempts recorded: $retries; first attempt started ${first_claim_ms} ms after the relay process was launched; $(cpu_diff "$cpu0" "$cpu1")"
  # The steadier yardstick on a shared machine: CPU per delivery, and Postgres commits per delivery.
  note "relay: CPU per delivery: $("$PYTHON" "$HERE/cpu.py" per "$per0" "$per1" "$delivered"); Postgres commits per delivery: $(awk -v a="$commits0" -v b="$commits1" -v n="$delivered" 'BEGIN { printf "%.3f", (b - a) / (n > 0 ? n : 1) }')"
  log_findings hub-relay
}

# ---------------------------------------------------------------------------------------------
# Phase 4: end to end

phase_e2e() {
  say "e2e: hub serve (edge + relay), one message every ${E2E_INTERVAL_MS} ms"
  truncate_outbox
  reset_sink
  start_hub hub-e2e serve
  sleep 1   # let the relay's LISTEN connection come up
  local out cpu0 cpu1
  cpu0=$(cpu_snap "$HUB_PID")
  run_fg timeout $((E2E_COUNT * E2E_INTERVAL_MS / 1000 + 60)) "$PYTHON" "$HERE/e2e.py" --port "$HUB_PORT" --sink-port "$SINK_PORT" \
    --token "$TOKEN" --count "$E2E_COUNT" --interval-ms "$E2E_INTERVAL_MS" >"$LOGS/e2e.json" 2>"$LOGS/e2e.log" \
    || { cat "$LOGS/e2e.log" >&2; die "e2e driver failed; see $LOGS/e2e.log"; }
  cpu1=$(cpu_snap "$HUB_PID")
  out=$(cat "$LOGS/e2e.json")
  local ok non2xx errors count p50 p99 max post50 post99 received unique
  ok=$(json_get ok <<<"$out")
  non2xx=$(json_get non2xx <<<"$out")
  errors=$(json_get errors <<<"$out")
  count=$(json_get sink.latency_ms.count <<<"$out")
  p50=$(json_get sink.latency_ms.p50 <<<"$out")
  p99=$(json_get sink.latency_ms.p99 <<<"$out")
  max=$(json_get sink.latency_ms.max <<<"$out")
  received=$(json_get sink.received <<<"$out")
  unique=$(json_get sink.unique <<<"$out")
  post50=$(json_get post_ms.p50 <<<"$out")
  post99=$(json_get post_ms.p99 <<<"$out")
  if ((count == 0)); then
    row "e2e" "POST → sink p50 / p99" "NOT MEASURED: the sink timed 0 of $received deliveries" "p50 ≤ 3 ms, p99 ≤ 10 ms" "NO"
    FAILURES+=("e2e: the sink measured no latencies (received $received deliveries; does the delivered data still carry \"sent_ns\":<digits>?)")
  else
    local met
    met=$( [[ $(meets "$p50" '<=' 3) == yes && $(meets "$p99" '<=' 10) == yes ]] && echo yes || echo NO)
    row "e2e" "POST → sink p50 / p99 (sink clock)" "$(fmt "$p50" 2) / $(fmt "$p99" 2) ms (max $(fmt "$max" 1))" "p50 ≤ 3 ms, p99 ≤ 10 ms" "$met"
  fi
  row "e2e" "POST → 202 p50 / p99 (client)" "$(fmt "$post50" 2) / $(fmt "$post99" 2) ms"
  local verdict=yes
  ((count == ok && non2xx == 0 && errors == 0)) || verdict=NO
  row "e2e" "accepted / timed at sink" "$ok of $E2E_COUNT accepted ($non2xx non-2xx, $errors errors); $count timed, $unique unique, $received received" "all" "$verdict"
  ((count == ok || count == 0)) || FAILURES+=("e2e: $ok messages accepted but the sink timed $count")
  note "e2e: $(cpu_diff "$cpu0" "$cpu1")"
  stop_bg hub-e2e
  log_findings hub-e2e
}

# ---------------------------------------------------------------------------------------------
# Phases 6 and 7: s3 and sftp (object delivery through the relay)

# object_run PHASE DESTINATION COUNT BYTES LABEL : COUNT due deliveries to DESTINATION whose data
# is a BYTES-byte JSON object, drained by `hub relay`; a row of deliveries/s and MB/s.
object_run() {
  local phase=$1 destination=$2 count=$3 bytes=$4 label=$5 name="$1 $5"
  say "$name: preparing $count due deliveries to $destination"
  truncate_outbox
  psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d hub -v n="$count" \
    -v pad=$((bytes - 20)) -v dest="$destination" -v run="$RUN_ID-$label" >/dev/null <<'SQL'
    INSERT INTO messages (id, source, type, subject, time, datacontenttype, data, content_hash, received_at)
    SELECT gen_random_uuid(), 'bench', 'bench.object', :'run' || '-' || g, now(), 'application/json', d.data::json,
           encode(sha256(convert_to(d.data, 'UTF8')), 'hex'), now()
    FROM generate_series(1, :n) AS g,
         LATERAL (SELECT format('{"pad":"%s","seq":%s}', repeat('o', :pad), g) AS data) AS d;
    INSERT INTO deliveries (id, message_id, destination, status, next_attempt_at)
    SELECT gen_random_uuid(), id, :'dest', 'pending', now() - interval '1 second' FROM messages;
SQL
  sql "VACUUM ANALYZE deliveries" >/dev/null
  sql "CHECKPOINT" >/dev/null
  local actual
  actual=$(sql "SELECT avg(octet_length(data::text))::int FROM messages")
  local cpu0 cpu1 remaining deadline=$((SECONDS + RELAY_TIMEOUT))
  start_hub "hub-$phase-$label" relay
  cpu0=$(cpu_snap "$HUB_PID")
  while :; do
    remaining=$(sql "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'delivering')")
    ((remaining == 0)) && break
    alive "$HUB_PID" || { tail -20 "$LOGS/hub-$phase-$label.log" >&2; die "hub relay died; see $LOGS/hub-$phase-$label.log"; }
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  cpu1=$(cpu_snap "$HUB_PID")
  stop_bg "hub-$phase-$label"
  local delivered span states
  delivered=$(sql "SELECT count(*) FROM deliveries WHERE status = 'delivered'")
  states=$(sql "SELECT string_agg(status || '=' || n, ', ' ORDER BY status) FROM (SELECT status, count(*) AS n FROM deliveries GROUP BY status) s")
  span=$(sql "SELECT extract(epoch FROM max(d.delivered_at) - (SELECT min(started_at) FROM delivery_attempts))
              FROM deliveries d WHERE d.status = 'delivered'")
  if ((delivered < count)); then
    row "$name" "deliveries/s" "INCOMPLETE: $delivered of $count delivered ($states)"
    FAILURES+=("$name: only $delivered of $count deliveries were delivered within ${RELAY_TIMEOUT} s ($states)")
  else
    local rate mbps
    rate=$(awk -v n="$count" -v s="$span" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
    mbps=$(awk -v n="$count" -v b="$actual" -v s="$span" 'BEGIN { printf "%.1f", (s > 0) ? n * b / s / 1e6 : 0 }')
    row "$name" "deliveries/s (first attempt → last delivered_at)" "$(thousands "$rate") ($(thousands "$count") × $(thousands "$actual") B in $(fmt "$span" 2) s, $mbps MB/s)"
  fi
  note "$name: $states; failed attempts: $(sql "SELECT count(*) FROM delivery_attempts WHERE outcome <> 'delivered'"); $(cpu_diff "$cpu0" "$cpu1")"
  log_findings "hub-$phase-$label"
}

phase_s3() {
  "$PYTHON" - "$HUB_TEST_S3_URL" "$HUB_TEST_S3_ACCESS_KEY" "$HUB_TEST_S3_SECRET_KEY" >>"$LOGS/services.log" 2>&1 <<'PY' \
    || die "could not create the bench bucket; see $LOGS/services.log"
import sys, boto3
boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2],
             aws_secret_access_key=sys.argv[3]).create_bucket(Bucket="hub-bench")
PY
  object_run s3 archive "$OBJECTS_1K" 1024 1KB
  object_run s3 archive "$OBJECTS_1M" 1048576 1MB
}

phase_sftp() {
  object_run sftp partner "$OBJECTS_1K" 1024 1KB
  object_run sftp partner "$OBJECTS_1M" 1048576 1MB
  note "sftp: $(find "$HUB_TEST_SFTP_ROOT/bench" -type f | wc -l) files in the server's bench directory after both runs, $(find "$HUB_TEST_SFTP_ROOT/bench" -type f -name '.*' | wc -l) of them temporary"
}

# Phase 8: redis stream intake

phase_redis() {
  local stream=bench-stock redis_config=$BENCH_DIR/hub-redis.yaml
  say "redis: XADD $REDIS_COUNT entries of $BODY_BYTES B to $stream"
  truncate_outbox
  redis-cli -p "$REDIS_PORT" DEL "$stream" >/dev/null
  "$PYTHON" "$HERE/redis_fill.py" "$stream" "$REDIS_COUNT" "$BODY_BYTES" \
    | redis-cli -p "$REDIS_PORT" --pipe >"$LOGS/redis-fill.log" 2>&1 || die "redis-cli --pipe failed; see $LOGS/redis-fill.log"
  local length
  length=$(redis-cli -p "$REDIS_PORT" XLEN "$stream")
  ((length == REDIS_COUNT)) || die "the stream holds $length entries, expected $REDIS_COUNT"
  { cat "$CONFIG"; cat <<YAML
  stock:
    kind: redis-stream
    url: redis://127.0.0.1:$REDIS_PORT
    stream: $stream
    group: hub
    batch: $REDIS_BATCH
    block: 1s
    map: { type: "bench.stock.{/kind}", subject: /vin }
YAML
  } >"$redis_config"
  sql "CHECKPOINT" >/dev/null

  local start_ns end_ns stored=0 cpu0 cpu1 deadline=$((SECONDS + REDIS_TIMEOUT))
  start_ns=$(date +%s%N)
  local saved_config=$CONFIG
  CONFIG=$redis_config
  start_hub hub-redis serve --no-relay
  CONFIG=$saved_config
  cpu0=$(cpu_snap "$HUB_PID")
  while :; do
    stored=$(sql "SELECT count(*) FROM messages WHERE source = 'stock'")
    ((stored >= REDIS_COUNT)) && break
    alive "$HUB_PID" || { tail -20 "$LOGS/hub-redis.log" >&2; die "hub died; see $LOGS/hub-redis.log"; }
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  end_ns=$(date +%s%N)
  cpu1=$(cpu_snap "$HUB_PID")
  sleep 1   # the last batch's XACK
  local pending
  pending=$(redis-cli -p "$REDIS_PORT" XPENDING "$stream" hub | head -1)
  stop_bg hub-redis

  local span rate wall distinct deliveries
  wall=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  if ((stored < REDIS_COUNT)); then
    row "redis" "records/s" "TIMEOUT: $(thousands "$stored") of $(thousands "$REDIS_COUNT") committed in ${REDIS_TIMEOUT} s"
    FAILURES+=("redis: only $stored of $REDIS_COUNT stream entries were committed within ${REDIS_TIMEOUT} s")
  else
    span=$(sql "SELECT extract(epoch FROM max(received_at) - min(received_at)) FROM messages WHERE source = 'stock'")
    rate=$(awk -v n="$stored" -v s="$span" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
    row "redis" "stream records/s (first → last received_at, SQL)" "$(thousands "$rate") ($(thousands "$stored") in $(fmt "$span" 2) s)"
    row "redis" "wall time, process start → all committed" "$wall s ($(thousands "$(awk -v n="$stored" -v s="$wall" 'BEGIN { printf "%.0f", n / s }')")/s)"
  fi
  distinct=$(sql "SELECT count(DISTINCT idempotency_key) FROM messages WHERE source = 'stock'")
  deliveries=$(sql "SELECT count(*) FROM deliveries")
  local verdict=yes
  ((distinct == REDIS_COUNT && stored == REDIS_COUNT && pending == 0)) || verdict=NO
  row "redis" "stored / distinct entry ids / left pending in the group" "$(thousands "$stored") / $(thousands "$distinct") / $pending" "$(thousands "$REDIS_COUNT") / $(thousands "$REDIS_COUNT") / 0" "$verdict"
  [[ $verdict == yes ]] || FAILURES+=("redis: $stored stored, $distinct distinct entry ids, $pending pending (expected $REDIS_COUNT, $REDIS_COUNT, 0)")
  note "redis: batch $REDIS_BATCH entries per XREADGROUP, $(thousands "$deliveries") deliveries written (one per message); $(cpu_diff "$cpu0" "$cpu1")"
  log_findings hub-redis
}

# Phase 10: an SFTP drop of a 50,000-record CSV (about 10 MB)

phase_drop() {
  local inbox=bench-drop/inbox drop_config=$BENCH_DIR/hub-drop.yaml dir=$HUB_TEST_SFTP_ROOT/bench-drop/inbox
  rm -rf "$HUB_TEST_SFTP_ROOT/bench-drop"; mkdir -p "$dir"
  truncate_outbox
  sql "TRUNCATE file_intakes" >/dev/null
  "$PYTHON" - "$BENCH_DIR/stock.csv" "$DROP_COUNT" <<'PY2'
import sys
with open(sys.argv[1], "w") as out:
    out.write("vin,stock_number,make,model,year,price,dealer,description\r\n")
    for n in range(int(sys.argv[2])):
        out.write(f'VIN{n:014d},S{n},Make{n % 40},"Model {n % 300}, trim {n % 7}",{2000 + n % 25},{5000 + n % 90000},dealer-{n % 500},'
                  f'"{"low miles, one owner, service history on file. " * 3}"\r\n')
PY2
  local bytes; bytes=$(stat -c %s "$BENCH_DIR/stock.csv")
  { cat "$CONFIG"; cat <<YAML
  drop:
    kind: sftp-drop
    host: $HUB_TEST_SFTP_HOST
    port: $HUB_TEST_SFTP_PORT
    user: $HUB_TEST_SFTP_USER
    private_key: "$HUB_TEST_SFTP_KEY"
    host_key: "$HUB_TEST_SFTP_HOST_FINGERPRINT"
    inbox: $inbox
    glob: "*.csv"
    poll: 200ms
    min_age: 1s
    format: csv
    batch: $DROP_BATCH
    map: { type: bench.stock.updated, subject: /vin }
YAML
  } >"$drop_config"
  if [[ $(id -u) == 0 ]]; then chown -R "$HUB_TEST_SFTP_USER" "$HUB_TEST_SFTP_ROOT/bench-drop"; fi
  sql "CHECKPOINT" >/dev/null
  local saved_config=$CONFIG
  CONFIG=$drop_config
  start_hub hub-drop serve --no-relay
  CONFIG=$saved_config
  local rss0 rss1 cpu0 cpu1 stored=0 deadline=$((SECONDS + DROP_TIMEOUT))
  rss0=$(awk '/VmHWM/ { print $2 }' "/proc/$HUB_PID/status")
  cpu0=$(cpu_snap "$HUB_PID")
  cp "$BENCH_DIR/stock.csv" "$dir/.stock.csv.part"
  if [[ $(id -u) == 0 ]]; then chown "$HUB_TEST_SFTP_USER" "$dir/.stock.csv.part"; fi
  mv "$dir/.stock.csv.part" "$dir/stock.csv"   # as a partner's client would: whole, under its final name
  while [[ ! -f $HUB_TEST_SFTP_ROOT/bench-drop/inbox/processed/stock.csv ]]; do
    alive "$HUB_PID" || { tail -20 "$LOGS/hub-drop.log" >&2; die "hub died; see $LOGS/hub-drop.log"; }
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  rss1=$(awk '/VmHWM/ { print $2 }' "/proc/$HUB_PID/status")
  cpu1=$(cpu_snap "$HUB_PID")
  stop_bg hub-drop
  stored=$(sql "SELECT count(*) FROM messages WHERE source = 'drop'")
  local distinct span verdict=yes
  distinct=$(sql "SELECT count(DISTINCT idempotency_key) FROM messages WHERE source = 'drop'")
  span=$(sql "SELECT coalesce(extract(epoch FROM finished_at - first_seen_at), 0) FROM file_intakes WHERE source = 'drop'")
  if ((stored < DROP_COUNT)); then
    row "drop" "records/s" "TIMEOUT: $(thousands "$stored") of $(thousands "$DROP_COUNT") committed in ${DROP_TIMEOUT} s"
    FAILURES+=("drop: only $stored of $DROP_COUNT records were committed within ${DROP_TIMEOUT} s")
  else
    row "drop" "records/s (file taken → last batch committed)" "$(thousands "$(awk -v n="$stored" -v s="$span" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')") ($(thousands "$stored") records, $(thousands "$bytes") B, in $(fmt "$span" 2) s)"
  fi
  ((distinct == DROP_COUNT && stored == DROP_COUNT)) || verdict=NO
  row "drop" "stored / distinct record keys" "$(thousands "$stored") / $(thousands "$distinct")" "$(thousands "$DROP_COUNT") / $(thousands "$DROP_COUNT")" "$verdict"
  row "drop" "hub peak RSS before / after the file" "$((rss0 / 1024)) / $((rss1 / 1024)) MiB"
  note "drop: batch $DROP_BATCH records per transaction, spooled to local disk and read in 64 KiB chunks; $(cpu_diff "$cpu0" "$cpu1")"
  log_findings hub-drop
}

# With both ingest and webhook named, each webhook run comes right after the ingest run at its
# connection count (ingest -c64, webhook -c64, ingest -c200, ...): their ratio is a target, and
# this VM's speed drifts by tens of percent within minutes.
paired_ingest_webhook() { [[ " $PHASES " == *" ingest "* && " $PHASES " == *" webhook "* ]]; }
for phase in $PHASES; do
  case $phase in
    ingest)
      if paired_ingest_webhook; then
        for conns in $CONNECTIONS; do phase_ingest "$conns"; phase_webhook "$conns"; done
      else
        phase_ingest
      fi ;;
    webhook) paired_ingest_webhook || phase_webhook ;;
    relay) phase_relay ;;
    e2e) phase_e2e ;;
    s3) phase_s3 ;;
    sftp) phase_sftp ;;
    redis) phase_redis ;;
    search) phase_search ;;
    drop) phase_drop ;;
    feed) phase_feed ;;
    *) die "unknown phase '$phase' in BENCH_PHASES (ingest webhook relay e2e s3 sftp redis search drop feed)" ;;
  esac
done

stop_bg sink
render_results
((${#FAILURES[@]} == 0)) || exit 1
