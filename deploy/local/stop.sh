#!/usr/bin/env bash
# Stop what start.sh started:
#
#     deploy/local/stop.sh [postgres|redis|nats|elasticsearch ...]      (no names: all four)
#
# Uses the pid files under $GOVHALL_VAR/run (pg_ctl for PostgreSQL); quiet when nothing runs.
# Data stays; reset everything with: deploy/local/stop.sh && rm -rf var/
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${GOVHALL_STOP_TIMEOUT:=60}"

mapfile -t servers < <(select_servers "$@")
[ -d "$GOVHALL_VAR" ] || exit 0
take_lock

# Stop the process in $pidfile if it is alive and its command line mentions $what: SIGTERM, then
# SIGKILL after the timeout.
stop_pid() {
  local name="$1" pidfile="$2" what="$3" pid t0=$SECONDS
  pid="$(read_pid "$pidfile")"
  if ! pid_alive "$pid" "$what"; then
    rm -f "$pidfile"
    return 0
  fi
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid" "$what"; do
    if [ $((SECONDS - t0)) -ge "$GOVHALL_STOP_TIMEOUT" ]; then
      say "$name (pid $pid) still running after ${GOVHALL_STOP_TIMEOUT}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
}

stop_postgres() {
  local bindir
  rm -f "$GOVHALL_RUN/postgres.pid"
  [ -f "$GOVHALL_PG_DATA/postmaster.pid" ] || return 0
  bindir="$(pg_bindir)"
  if (cd / && as_user "$(pg_os_user)" "$bindir/pg_ctl" -D "$GOVHALL_PG_DATA" status >/dev/null 2>&1); then
    say "stopping postgres"
    (cd / && as_user "$(pg_os_user)" "$bindir/pg_ctl" -D "$GOVHALL_PG_DATA" -m fast \
      -t "$GOVHALL_STOP_TIMEOUT" stop >/dev/null 9>&-)
  fi
}

stop_redis() { stop_pid redis "$GOVHALL_RUN/redis.pid" redis-server; }
stop_nats() { stop_pid nats "$GOVHALL_RUN/nats.pid" nats-server; }
stop_elasticsearch() { stop_pid elasticsearch "$GOVHALL_ES_PIDFILE" org.elasticsearch; }

for s in "${servers[@]}"; do
  "stop_$s"
  if server_ready "$s"; then
    say "note: $s still answers on $(server_url "$s"), but not from a process this checkout started"
  fi
done
