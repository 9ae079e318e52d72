#!/usr/bin/env bash
# One line per server of the local cluster, up or down, with its URL. Exit status 1 if any is down.
#
#     deploy/local/status.sh [postgres|redis|nats|elasticsearch ...]    (no names: all four)
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mapfile -t servers < <(select_servers "$@")
rc=0
for s in "${servers[@]}"; do
  if server_ready "$s"; then
    state=up
  else
    state=down
    rc=1
  fi
  printf '%-14s %-5s %s\n' "$s" "$state" "$(server_url "$s")"
done
exit "$rc"
