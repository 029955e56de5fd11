#!/usr/bin/env bash
# Loopback services for Hub's tests and benchmarks. Everything lives under $HUB_SERVICES_ROOT.
#   scripts/services.sh start     start Postgres on 127.0.0.1, write $ROOT/env
#   scripts/services.sh stop      stop exactly what start recorded
#   scripts/services.sh status
# Knobs: HUB_SERVICES_ROOT (default .hub/services), HUB_PG_PORT (default 55432),
#        HUB_PG_DURABLE=1 (fsync on, tuned as for production: benchmarks use this),
#        HUB_PG_KEEP=1 (reuse the data directory of an earlier start: make run keeps its data).
set -Eeuo pipefail

ROOT=${HUB_SERVICES_ROOT:-$(pwd)/.hub/services}
PG_PORT=${HUB_PG_PORT:-55432}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_USER=postgres   # Postgres refuses to run as root; as root we run it as this user
PIDS=$ROOT/pids
LOG=$ROOT/log

say() { printf '[services] %s\n' "$*" >&2; }

# kill -0 succeeds on zombies, so look at the process state too.
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

wait_for() { # wait_for <name> <pid> <seconds> <cmd...>
  local name=$1 pid=$2 deadline=$((SECONDS + $3)); shift 3
  until "$@" >/dev/null 2>&1; do
    alive "$pid" || { say "$name (pid $pid) died; see $LOG/$name.log"; tail -20 "$LOG/$name.log" >&2 || true; return 1; }
    ((SECONDS < deadline)) || { say "$name not ready in time"; return 1; }
    sleep 0.05
  done
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Replaces the calling (sub)shell with the command, as the postgres user when we are root:
# call it inside ( ) so that, backgrounded, $! is the command's own PID.
as_pg() {
  if [[ $(id -u) == 0 ]]; then
    exec setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --init-groups -- "$@"
  else
    exec "$@"
  fi
}

start_postgres() {
  [[ -x $PGBIN/postgres ]] || { say "Postgres 15 not found in $PGBIN (make deps installs it)"; return 1; }
  if [[ $(id -u) == 0 ]] && ! id "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  fi
  local fresh=1
  if [[ ${HUB_PG_KEEP:-0} == 1 && -f $ROOT/pg/PG_VERSION ]]; then
    fresh=0
  else
    rm -rf "$ROOT/pg"; mkdir -p "$ROOT/pg"; chmod 700 "$ROOT/pg"
  fi
  if [[ $(id -u) == 0 ]]; then chown "$PG_USER" "$ROOT/pg" "$LOG"; fi
  if ((fresh)); then
    (as_pg "$PGBIN/initdb" -D "$ROOT/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync) >"$LOG/initdb.log"
  fi
  local durability=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
  if [[ ${HUB_PG_DURABLE:-0} == 1 ]]; then
    durability=(-c fsync=on -c synchronous_commit=on -c shared_buffers=1GB -c max_wal_size=4GB
                -c checkpoint_timeout=15min)
  fi
  (as_pg "$PGBIN/postgres" -D "$ROOT/pg" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$ROOT/pg" -c max_connections=300 "${durability[@]}") \
    </dev/null >"$LOG/postgres.log" 2>&1 &
  echo "postgres $!" >>"$PIDS"
  wait_for postgres $! 30 "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  if ((fresh)); then "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres hub; fi
}

cmd_start() {
  if [[ -s $PIDS ]]; then say "already started ($PIDS exists); run stop first"; exit 1; fi
  if tcp_open "$PG_PORT"; then say "port $PG_PORT already in use"; exit 1; fi
  mkdir -p "$ROOT" "$LOG"; : >"$PIDS"
  trap 'trap - ERR; say "start failed (line $LINENO); stopping what was started"; cmd_stop; exit 1' ERR
  start_postgres
  trap - ERR
  cat >"$ROOT/env" <<ENV
export HUB_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/hub
ENV
  cat "$ROOT/env"
}

cmd_stop() {
  [[ -f $PIDS ]] || { say "nothing recorded"; return 0; }
  local name pid
  while read -r name pid; do
    [[ -n ${pid:-} ]] && alive "$pid" || continue
    if [[ $name == postgres ]]; then kill -INT "$pid"; else kill -TERM "$pid"; fi  # SIGINT: fast shutdown
  done <"$PIDS"
  while read -r name pid; do
    [[ -n ${pid:-} ]] || continue
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then say "$name ($pid) ignored the signal; SIGKILL"; kill -KILL "$pid" || true; fi
  done <"$PIDS"
  rm -f "$PIDS"
}

cmd_status() {
  [[ -f $PIDS ]] || { echo "not running"; return 0; }
  while read -r name pid; do
    if alive "$pid"; then echo "$name $pid up"; else echo "$name $pid DOWN"; fi
  done <"$PIDS"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
