#!/usr/bin/env bash
# Start the local cluster on loopback and wait until it is ready:
#
#     deploy/local/start.sh [postgres|redis|nats|elasticsearch ...]     (no names: all four)
#
# A server that already answers on its port is left alone, so a second run is quick and harmless.
# Data, logs, pid files and generated configs live under $GOVHALL_VAR (var/ in the repo).
# Run deploy/local/install.sh first on a new machine.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=deploy/local/nats.sh
. "$(dirname "${BASH_SOURCE[0]}")/nats.sh"
# shellcheck source=deploy/local/postgres.sh
. "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
# shellcheck source=deploy/local/redis.sh
. "$(dirname "${BASH_SOURCE[0]}")/redis.sh"
# shellcheck source=deploy/local/elasticsearch.sh
. "$(dirname "${BASH_SOURCE[0]}")/elasticsearch.sh"

: "${GOVHALL_START_TIMEOUT:=30}"     # seconds, PostgreSQL, Redis and NATS
: "${GOVHALL_ES_START_TIMEOUT:=180}" # seconds; Elasticsearch needs ~10 s here, up to a minute on a slow 2-core box

mapfile -t servers < <(select_servers "$@")
take_lock
mkdir -p "$GOVHALL_VAR" "$GOVHALL_LOG" "$GOVHALL_RUN" "$GOVHALL_ETC"
chmod 755 "$GOVHALL_VAR" "$GOVHALL_LOG" "$GOVHALL_RUN" "$GOVHALL_ETC"

# Wait until "<name>_ready" succeeds; on timeout (or when the process we launched dies) fail loudly
# with the tail of the log.
wait_ready() {
  local name="$1" timeout="$2" launcher="$3" t0=$SECONDS
  shift 3 # the rest: logs to show on failure
  while ! server_ready "$name"; do
    if [ -n "$launcher" ] && ! kill -0 "$launcher" 2>/dev/null && ! server_ready "$name"; then
      # The launcher exited: a failure is final; a success means it detached (Elasticsearch's -d)
      # and the server is still coming up.
      if ! wait "$launcher" 2>/dev/null; then
        fail_with_log "$name exited before it was ready" "$@"
      fi
      launcher=""
    fi
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then
      fail_with_log "$name not ready after ${timeout}s ($(server_url "$name"))" "$@"
    fi
    sleep 0.25
  done
  say "$name ready in $((SECONDS - t0))s: $(server_url "$name")"
}

fail_with_log() {
  local msg="$1" log
  shift
  {
    printf '\n################################################################################\n'
    printf '[govhall-local] ERROR: %s\n' "$msg"
    for log in "$@"; do
      if [ -f "$log" ]; then
        printf '%s\n' "---- last lines of $log ----"
        tail -n 40 "$log"
      fi
    done
    printf '################################################################################\n\n'
  } >&2
  exit 1
}


# Keep the kernel from handing our ports out as the source ports of outgoing connections (they
# lie in its ephemeral range, 32768-60999): a client reconnecting to a server that is down (NATS
# in the fault tests) could otherwise connect to itself on that port and keep the server from
# binding it again. Root only, only ports inside that range (the tests' own clusters take ports
# below it, kit/ports.py), and only adding to what is reserved (the kernel merges repeats, so
# every start writes the same set); elsewhere `listening` in lib.sh keeps at least our own probes
# from doing it.
reserve_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports low high port wanted=""
  is_root && [ -w "$file" ] || return 0
  read -r low high </proc/sys/net/ipv4/ip_local_port_range || return 0
  for port in "$GOVHALL_PG_PORT" "$GOVHALL_REDIS_PORT" "$GOVHALL_NATS_PORT" \
    "$GOVHALL_NATS_MONITOR_PORT" "$GOVHALL_ES_PORT" "$GOVHALL_ES_TRANSPORT_PORT"; do
    if [ "$port" -ge "$low" ] && [ "$port" -le "$high" ]; then
      wanted="$wanted,$port"
    fi
  done
  [ -n "$wanted" ] || return 0
  echo "$(cat "$file")$wanted" | sed 's/^,//' >"$file" 2>/dev/null || true
}
reserve_ports

for s in "${servers[@]}"; do
  "start_$s"
done
