#!/usr/bin/env bash
# Loopback services for Hub's tests and benchmarks. Everything lives under $HUB_SERVICES_ROOT.
#   scripts/services.sh start     start Postgres and S3 (moto, SigV4 checked) on 127.0.0.1, write $ROOT/env
#   scripts/services.sh stop      stop exactly what start recorded
#   scripts/services.sh status
#   scripts/services.sh sftp-restart [SECONDS]   drop sshd and every session, stay down SECONDS, start again
# Knobs: HUB_SERVICES_ROOT (default .hub/services), HUB_PG_PORT (default 55432),
#        HUB_PG_DURABLE=1 (fsync on, tuned as for production: benchmarks use this),
#        HUB_PG_KEEP=1 (reuse the data directory of an earlier start: make run keeps its data),
#        HUB_S3_PORT (default 59000), HUB_S3=0 (no S3 server: benchmarks and make run need none),
#        HUB_SSH_PORT (default 52222), HUB_SFTP=0 (no OpenSSH SFTP server: make run needs none).
#        HUB_REDIS_PORT (default 56379), HUB_REDIS=0 (no redis-server).
set -Eeuo pipefail

ROOT=${HUB_SERVICES_ROOT:-$(pwd)/.hub/services}
PG_PORT=${HUB_PG_PORT:-55432}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
S3_PORT=${HUB_S3_PORT:-59000}
SSH_PORT=${HUB_SSH_PORT:-52222}
SFTP_USER=hubsftp  # sshd logs in a real account: as root we make this one (it has no shell and no home)
REDIS_PORT=${HUB_REDIS_PORT:-56379}
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
    # min_wal_size keeps segments for reuse across checkpoints (scripts/bench.sh primes them).
    durability=(-c fsync=on -c synchronous_commit=on -c shared_buffers=1GB -c max_wal_size=4GB
                -c min_wal_size=2GB -c checkpoint_timeout=15min)
  fi
  (as_pg "$PGBIN/postgres" -D "$ROOT/pg" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
    -c unix_socket_directories="$ROOT/pg" -c max_connections=1000 "${durability[@]}") \
    </dev/null >"$LOG/postgres.log" 2>&1 &
  echo "postgres $!" >>"$PIDS"
  wait_for postgres $! 30 "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  if ((fresh)); then "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres hub; fi
}

# moto with signature checking on. It starts with auth off (INITIAL_NO_AUTH_ACTION_COUNT=inf):
# mint an IAM user allowed s3:* and its access key, then switch auth on with reset-auth; from
# then on a wrong secret gets 403 SignatureDoesNotMatch, as from AWS.
start_s3() {
  python3 -c 'import moto, boto3' 2>/dev/null || { say "moto/boto3 missing (make deps installs them)"; return 1; }
  (exec python3 -m moto.server -H 127.0.0.1 -p "$S3_PORT") </dev/null >"$LOG/moto.log" 2>&1 &
  echo "moto $!" >>"$PIDS"
  wait_for moto $! 30 curl -sf -o /dev/null "http://127.0.0.1:$S3_PORT/moto-api/"
  read -r S3_KEY_ID S3_SECRET < <(python3 - "$S3_PORT" <<'PY'
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="hub")
iam.put_user_policy(UserName="hub", PolicyName="s3all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="hub")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
PY
  )
  [[ -n ${S3_SECRET:-} ]] || { say "could not mint a moto IAM key; see $LOG/moto.log"; return 1; }
  # The body must be raw text: form-encoded (curl -d), moto sees no data and answers 500.
  curl -sf -X POST -H 'Content-Type: text/plain' --data-binary 0 \
    "http://127.0.0.1:$S3_PORT/moto-api/reset-auth" >/dev/null
}

# OpenSSH's sshd serving only internal-sftp, with its own host key and an ed25519 client key
# (libssh2 1.10 signs RSA keys with SHA-1 only, which OpenSSH 9 refuses). Logins start in
# $ROOT/sftp/upload, which tests inspect directly on disk.
start_sftp() {
  local ssh=$ROOT/ssh upload=$ROOT/sftp/upload user=$SFTP_USER
  [[ -x /usr/sbin/sshd ]] || { say "sshd not found (make deps installs openssh-server)"; return 1; }
  mkdir -p "$ssh"
  [[ -f $ssh/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C hub-test-host -f "$ssh/host_ed25519"
  [[ -f $ssh/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C hub-test-client -f "$ssh/client_ed25519"
  if [[ $(id -u) == 0 ]]; then
    mkdir -p /run/sshd && chmod 755 /run/sshd   # sshd's privilege separation directory
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
    usermod -p '*' "$user"   # useradd leaves '!', which sshd without PAM calls a locked account
  else
    user=$(id -un)
  fi
  rm -rf "$ROOT/sftp"; mkdir -p "$upload"
  if [[ $(id -u) == 0 ]]; then chown "$user" "$upload"; fi
  cp "$ssh/client_ed25519.pub" "$ssh/authorized_keys"; chmod 644 "$ssh/authorized_keys"
  cat >"$ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $ssh/host_ed25519
PidFile none
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $user
AuthorizedKeysFile $ssh/authorized_keys
Subsystem sftp internal-sftp -d $upload
ForceCommand internal-sftp -d $upload
AllowTcpForwarding no
X11Forwarding no
MaxStartups 100
LogLevel VERBOSE
EOF
  echo "$user" >"$ssh/user"
  /usr/sbin/sshd -t -f "$ssh/sshd_config"
  run_sshd
}

run_sshd() {
  (exec /usr/sbin/sshd -D -e -f "$ROOT/ssh/sshd_config") </dev/null >>"$LOG/sshd.log" 2>&1 &  # absolute path: sshd re-execs itself
  echo "sshd $!" >>"$PIDS"
  wait_for sshd $! 10 tcp_open "$SSH_PORT"
}

# Every process under $1 (sshd forks one monitor per connection, which forks the session's process).
descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do descendants "$child"; echo "$child"; done
}

cmd_sftp_restart() {
  local pid
  pid=$(awk '$1 == "sshd" { print $2 }' "$PIDS" | tail -1)
  [[ -n $pid ]] || { say "no sshd recorded"; exit 1; }
  # Killing the listener alone would leave live sessions behind: drop them too, as a reboot would.
  kill -KILL $(descendants "$pid") "$pid" 2>/dev/null || true
  for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
  sed -i "/^sshd $pid\$/d" "$PIDS"
  sleep "${1:-0}"
  run_sshd
}

# In memory only (no RDB, no AOF): tests and benchmarks need a server, not its persistence.
start_redis() {
  command -v redis-server >/dev/null || { say "redis-server missing (make deps installs it)"; return 1; }
  mkdir -p "$ROOT/redis"
  (exec redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
    --dir "$ROOT/redis") </dev/null >"$LOG/redis.log" 2>&1 &
  echo "redis $!" >>"$PIDS"
  wait_for redis $! 10 tcp_open "$REDIS_PORT"
}

cmd_start() {
  if [[ -s $PIDS ]]; then say "already started ($PIDS exists); run stop first"; exit 1; fi
  if tcp_open "$PG_PORT"; then say "port $PG_PORT already in use"; exit 1; fi
  if [[ ${HUB_S3:-1} == 1 ]] && tcp_open "$S3_PORT"; then say "port $S3_PORT already in use"; exit 1; fi
  if [[ ${HUB_SFTP:-1} == 1 ]] && tcp_open "$SSH_PORT"; then say "port $SSH_PORT already in use"; exit 1; fi
  if [[ ${HUB_REDIS:-1} == 1 ]] && tcp_open "$REDIS_PORT"; then say "port $REDIS_PORT already in use"; exit 1; fi
  mkdir -p "$ROOT" "$LOG"; : >"$PIDS"
  trap 'trap - ERR; say "start failed (line $LINENO); stopping what was started"; cmd_stop; exit 1' ERR
  start_postgres
  if [[ ${HUB_S3:-1} == 1 ]]; then start_s3; fi
  if [[ ${HUB_SFTP:-1} == 1 ]]; then start_sftp; fi
  if [[ ${HUB_REDIS:-1} == 1 ]]; then start_redis; fi
  trap - ERR
  cat >"$ROOT/env" <<ENV
export HUB_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/hub
ENV
  if [[ ${HUB_REDIS:-1} == 1 ]]; then
    echo "export HUB_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT" >>"$ROOT/env"
  fi
  if [[ ${HUB_S3:-1} == 1 ]]; then
    # A private file: it holds the (throwaway, moto-only) secret.
    cat >>"$ROOT/env" <<ENV
export HUB_TEST_S3_URL=http://127.0.0.1:$S3_PORT
export HUB_TEST_S3_ACCESS_KEY=$S3_KEY_ID
export HUB_TEST_S3_SECRET_KEY=$S3_SECRET
ENV
    chmod 600 "$ROOT/env"
  fi
  if [[ ${HUB_SFTP:-1} == 1 ]]; then
    cat >>"$ROOT/env" <<ENV
export HUB_TEST_SFTP_HOST=127.0.0.1
export HUB_TEST_SFTP_PORT=$SSH_PORT
export HUB_TEST_SFTP_USER=$(cat "$ROOT/ssh/user")
export HUB_TEST_SFTP_KEY=$ROOT/ssh/client_ed25519
export HUB_TEST_SFTP_HOST_FINGERPRINT=$(ssh-keygen -lf "$ROOT/ssh/host_ed25519.pub" | awk '{print $2}')
export HUB_TEST_SFTP_KNOWN_HOSTS=$ROOT/ssh/known_hosts
export HUB_TEST_SFTP_ROOT=$ROOT/sftp/upload
export HUB_TEST_SFTP_RESTART="HUB_SERVICES_ROOT=$ROOT HUB_SSH_PORT=$SSH_PORT $(cd "$(dirname "$0")" && pwd)/$(basename "$0") sftp-restart"
ENV
    echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$ROOT/ssh/host_ed25519.pub")" >"$ROOT/ssh/known_hosts"
  fi
  sed "s/\(SECRET_KEY=\).*/\1<redacted: see the env file>/" "$ROOT/env"
}

cmd_stop() {
  [[ -f $PIDS ]] || { say "nothing recorded"; return 0; }
  local name pid
  while read -r name pid; do
    [[ -n ${pid:-} ]] && alive "$pid" || continue
    # sshd's sessions outlive its listener: end them too.
    if [[ $name == sshd ]]; then kill -TERM $(descendants "$pid") 2>/dev/null || true; fi
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
  sftp-restart) cmd_sftp_restart "${2:-0}" ;;
  *) echo "usage: $0 start|stop|status|sftp-restart [seconds]" >&2; exit 2 ;;
esac
