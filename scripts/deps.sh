#!/usr/bin/env bash
# Installs what Hub needs and this machine lacks, from Debian's packages.
#   scripts/deps.sh          what build, run and test need
#   scripts/deps.sh bench    also the load generator
set -Eeuo pipefail

need=()
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || need+=(postgresql-15)
command -v psql >/dev/null || need+=(postgresql-client-15)
command -v curl >/dev/null || need+=(curl)
command -v setpriv >/dev/null || need+=(util-linux)
[[ -x /usr/sbin/sshd ]] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
[[ -f /usr/include/libssh2_sftp.h ]] || need+=(libssh2-1-dev)
command -v redis-server >/dev/null || need+=(redis-server)
[[ -f /usr/include/hiredis/hiredis.h ]] || need+=(libhiredis-dev)
if [[ ${1:-} == bench ]]; then
  command -v wrk >/dev/null || need+=(wrk)
fi

if ((${#need[@]})); then
  echo "[deps] installing: ${need[*]}" >&2
  if [[ $(id -u) != 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The S3 tests' server (moto, with boto3 to mint its IAM key).
python3 -c 'import moto, boto3' 2>/dev/null || python3 -m pip install -q 'moto[server]' boto3

# The contract check in make test.
python3 -c 'import openapi_spec_validator' 2>/dev/null || python3 -m pip install -q openapi-spec-validator
command -v schemathesis >/dev/null || python3 -m pip install -q schemathesis

command -v swift >/dev/null || { echo "[deps] swift is not on PATH: Hub needs Swift 6 (see README)" >&2; exit 1; }
