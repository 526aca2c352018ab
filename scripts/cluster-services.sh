#!/usr/bin/env bash
# Redis and PostgreSQL for the cluster profile's tests and benchmarks: found on the machine (or
# installed from Debian's packages), started on 127.0.0.1 on free ports in a temp dir, stopped by
# their pids. No system service is used or started.
#
#   check           exit 0 when redis-server and the PostgreSQL server binaries are found;
#                   otherwise print what is missing and exit 1
#   install         install what `check` finds missing (Debian's redis-server, postgresql); as root
#   start           start both; prints SERVICES_DIR=, REDIS_URL= and DATABASE_URL= lines
#   stop DIR        stop the servers started in DIR and remove DIR
#   run -- CMD...   start, run CMD with REDIS_URL and DATABASE_URL exported, always stop;
#                   exits with CMD's status
set -euo pipefail

MARKER=.autopilot-services

die() {
  echo "cluster-services: $*" >&2
  exit 1
}

find_redis() {
  command -v redis-server 2>/dev/null || true
}

# The directory holding initdb, pg_ctl and postgres: from PATH, else Debian's newest version.
find_pg_bin() {
  local postgres
  postgres=$(command -v postgres 2>/dev/null || true)
  if [[ -n $postgres ]]; then
    dirname "$(readlink -f "$postgres")"
    return
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x $dir/postgres && -x $dir/initdb && -x $dir/pg_ctl ]]; then
      echo "$dir"
      return
    fi
  done
}

missing_packages() {
  local missing=()
  [[ -n $(find_redis) ]] || missing+=(redis-server)
  [[ -n $(find_pg_bin) ]] || missing+=(postgresql)
  echo "${missing[@]}"
}

cmd_check() {
  local missing
  missing=$(missing_packages)
  if [[ -n $missing ]]; then
    echo "not found: $missing (install with: bash scripts/cluster-services.sh install)"
    exit 1
  fi
  echo "redis-server: $(find_redis)"
  echo "postgres: $(find_pg_bin)/postgres"
}

cmd_install() {
  local missing
  missing=$(missing_packages)
  if [[ -z $missing ]]; then
    echo "cluster-services: redis-server and postgres already present"
    return
  fi
  [[ $(id -u) -eq 0 ]] || die "installing $missing needs root: apt-get install -y $missing"
  # Debian's postinst scripts would start system services; policy-rc.d 101 forbids that.
  local policy=/usr/sbin/policy-rc.d created=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created=1
  fi
  local status=0
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
  } || status=$?
  [[ -z $created ]] || rm -f "$policy"
  [[ $status -eq 0 ]] || die "apt-get install $missing failed ($status)"
  echo "cluster-services: installed $missing"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# PostgreSQL refuses to run as root: as root, run it as the `postgres` user (created if absent).
pg_user() {
  if [[ $(id -u) -ne 0 ]]; then
    id -un
    return
  fi
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  echo postgres
}

as_pg() {
  local user=$1
  shift
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

wait_for_redis() {
  local port=$1 i
  for i in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_redis() {
  local dir=$1 redis port
  redis=$(find_redis)
  [[ -n $redis ]] || die "redis-server not found (bash scripts/cluster-services.sh install)"
  port=$(free_port)
  "$redis" --bind 127.0.0.1 --port "$port" --dir "$dir/redis" --daemonize yes \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
    --save '' --appendonly yes --appendfsync everysec >/dev/null
  wait_for_redis "$port" || die "redis did not start; see $dir/redis/redis.log"
  cp "$dir/redis/redis.pid" "$dir/redis.pid"
  echo "redis://127.0.0.1:$port"
}

start_postgres() {
  local dir=$1 bin user port
  bin=$(find_pg_bin)
  [[ -n $bin ]] || die "postgres not found (bash scripts/cluster-services.sh install)"
  user=$(pg_user)
  chown "$user" "$dir/pg"
  port=$(free_port)
  as_pg "$user" "$bin/initdb" -D "$dir/pg/data" -A trust -U autopilot -E UTF8 --no-sync \
    >"$dir/initdb.log" 2>&1 || die "initdb failed; see $dir/initdb.log"
  # fsync off: these servers hold throwaway test data; the adapters' semantics do not change.
  as_pg "$user" "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" -w -t 60 \
    -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null || die "postgres did not start; see $dir/pg/postgres.log"
  head -n 1 "$dir/pg/data/postmaster.pid" >"$dir/postgres.pid"
  as_pg "$user" "$bin/createdb" -h 127.0.0.1 -p "$port" -U autopilot autopilot
  echo "postgresql://autopilot@127.0.0.1:$port/autopilot"
}

start_all() {
  local dir redis_url pg_url
  dir=$(mktemp -d -t autopilot-services.XXXXXX)
  chmod 755 "$dir"
  touch "$dir/$MARKER"
  mkdir "$dir/redis" "$dir/pg"
  if ! redis_url=$(start_redis "$dir") || ! pg_url=$(start_postgres "$dir"); then
    stop_all "$dir"
    die "start failed"
  fi
  echo "SERVICES_DIR=$dir"
  echo "REDIS_URL=$redis_url"
  echo "DATABASE_URL=$pg_url"
}

stop_pid() {
  local pidfile=$1 signal=$2 pid i
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill "-$signal" "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
  local dir=$1
  [[ -f $dir/$MARKER ]] || die "$dir was not made by this script"
  stop_pid "$dir/redis.pid" TERM
  stop_pid "$dir/postgres.pid" INT # fast shutdown
  rm -rf "$dir"
}

cmd_run() {
  [[ ${1:-} == -- ]] && shift
  [[ $# -gt 0 ]] || die "usage: run -- COMMAND..."
  local out
  out=$(start_all)
  # Global: the EXIT trap runs after this function has returned.
  RUN_DIR=$(sed -n 's/^SERVICES_DIR=//p' <<<"$out")
  trap 'stop_all "$RUN_DIR"' EXIT
  trap 'exit 130' INT TERM
  export REDIS_URL DATABASE_URL
  REDIS_URL=$(sed -n 's/^REDIS_URL=//p' <<<"$out")
  DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' <<<"$out")
  echo "cluster-services: REDIS_URL=$REDIS_URL DATABASE_URL=$DATABASE_URL"
  local status=0
  "$@" || status=$?
  return $status
}

case ${1:-} in
  check) cmd_check ;;
  install) cmd_install ;;
  start) start_all ;;
  stop)
    [[ -n ${2:-} ]] || die "usage: stop DIR"
    stop_all "$2"
    ;;
  run)
    shift
    cmd_run "$@"
    ;;
  *) die "usage: $0 check | install | start | stop DIR | run -- COMMAND..." ;;
esac
