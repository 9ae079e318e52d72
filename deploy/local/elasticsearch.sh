# shellcheck shell=bash
# Starting Elasticsearch (with security: the search user and an admin): sourced by start.sh,
# which calls start_elasticsearch.

# --- Elasticsearch ---------------------------------------------------------------------------------
# Users of the file realm (x-pack-security, which this distribution carries, on its basic licence):
# `search`, with every right on the search service's indices and nothing else, and `admin`
# (superuser) for deploy/local and the tests' clean-up. The search service's indices are its alias
# and the generations behind it, <alias>-NNNNNN and <alias>-next; the alias is govhall-search, or a
# run's own in the tests and benchmarks (test-…-search, e2e-…-search, bench-…-search), hence the
# patterns *-search and *-search-*. The node watches these files: a change applies within seconds,
# without a restart.
es_security_files() {
  local conf="$1" user="$2"
  mkdir -p "$conf"
  cat >"$conf/roles.yml.tmp" <<EOF
# Written by deploy/local/start.sh; edits are overwritten.
govhall_search:
  cluster: ["monitor"]
  indices:
    - names: ["*-search", "*-search-*"]
      privileges: ["all"]
EOF
  {
    es_user_line search
    es_user_line admin
  } >"$conf/users.tmp"
  printf 'govhall_search:search\nsuperuser:admin\n' >"$conf/users_roles.tmp"
  local f
  for f in roles.yml users users_roles; do
    chmod 640 "$conf/$f.tmp"
    chown "$user" "$conf/$f.tmp"
    # Rewrite only a changed file: each write makes the node reload its users.
    if cmp -s "$conf/$f.tmp" "$conf/$f"; then rm -f "$conf/$f.tmp"; else mv "$conf/$f.tmp" "$conf/$f"; fi
  done
}

# user:{PBKDF2}... (PBKDF2-HMAC-SHA512, one of the hashes the file realm reads). The salt is derived
# from the user and password, so an unchanged password gives an unchanged file.
es_user_line() {
  local pw="GOVHALL_SECRET_ES_$(upper "$1")"
  ES_USER="$1" ES_PASSWORD="${!pw}" python3 -c '
import base64, hashlib, os
user, password = os.environ["ES_USER"], os.environ["ES_PASSWORD"].encode()
salt = hashlib.sha256(b"govhall-es:" + user.encode() + b":" + password).digest()
key = hashlib.pbkdf2_hmac("sha512", password, salt, 10000, 32)
print(f"{user}:{{PBKDF2}}10000${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}")
'
}

# Settings of this distribution: the integ-test zip carries only the modules transport-netty4,
# x-pack-core, x-pack-security and apm (plus the shim plugin govhall-compat that install.sh builds),
# so only their settings may appear in elasticsearch.yml: an unknown setting stops the node.
start_elasticsearch() {
  local user java_home conf="$GOVHALL_ES_VAR/config" log="$GOVHALL_LOG/elasticsearch.log"
  local pidfile="$GOVHALL_ES_PIDFILE" pid security="" as=()
  user="$(es_os_user)"
  ensure_secrets
  if [ -d "$GOVHALL_ES_HOME/modules/x-pack-security" ]; then
    es_security_files "$conf" "$user"
  fi
  if elasticsearch_ready; then
    say "elasticsearch already up: $(server_url elasticsearch)"
    if ! printf 'user = "admin:%s"\n' "$GOVHALL_SECRET_ES_ADMIN" | curl -fsS -m 5 -o /dev/null -K - \
      "$GOVHALL_ELASTICSEARCH_URL/_security/_authenticate" 2>/dev/null; then
      say "elasticsearch: security is off on the running node; restart it to turn it on (stop.sh elasticsearch && start.sh)"
    fi
    return
  fi
  pid="$(read_pid "$pidfile")"
  if pid_alive "$pid" org.elasticsearch; then
    say "elasticsearch already starting (pid $pid), waiting for it"
    wait_ready elasticsearch "$GOVHALL_ES_START_TIMEOUT" "" "$log" "$GOVHALL_LOG/elasticsearch/govhall-local.log"
    return
  fi
  [ -x "$GOVHALL_ES_HOME/bin/elasticsearch" ] \
    || die "Elasticsearch not found in $GOVHALL_ES_HOME (run deploy/local/install.sh)"
  es_plugin_current || die "the plugin govhall-compat in $GOVHALL_ES_HOME is missing or stale (run deploy/local/install.sh)"
  java_home="$(es_java_home)" || die "no Java 17+ under /usr/lib/jvm (set GOVHALL_ES_JAVA_HOME)"
  is_root && as=(runuser -u "$user" --)
  id -u "$user" >/dev/null 2>&1 || die "user $user missing (run deploy/local/install.sh)"

  install -d -m 755 -o "$user" "$GOVHALL_ES_VAR" "$GOVHALL_ES_VAR/data" "$GOVHALL_ES_VAR/tmp" \
    "$GOVHALL_LOG/elasticsearch" "$conf" "$conf/jvm.options.d" "$(dirname "$pidfile")"
  if is_root; then
    grant_traverse "$user" "$GOVHALL_ES_HOME/bin"
    grant_traverse "$user" "$GOVHALL_ES_VAR/data"
    grant_traverse "$user" "$GOVHALL_LOG/elasticsearch"
  fi
  # Our own config dir (ES_PATH_CONF) per checkout; the distribution in the cache stays read-only.
  # Defaults are copied once; elasticsearch.yml and the heap options are ours and rewritten.
  cp -rn "$GOVHALL_ES_HOME/config/." "$conf/"
  if [ -d "$GOVHALL_ES_HOME/modules/x-pack-security" ]; then
    # Users and roles from the files es_security_files writes. No TLS: the node listens on
    # loopback only (a single node binding loopback needs none; the chart's cluster does).
    security="xpack.security.enabled: true
xpack.security.http.ssl.enabled: false
xpack.security.transport.ssl.enabled: false
xpack.security.enrollment.enabled: false"
  fi
  cat >"$conf/elasticsearch.yml" <<EOF
# Written by deploy/local/start.sh; edits are overwritten.
cluster.name: govhall-local
node.name: govhall-local-1
path.data: $GOVHALL_ES_VAR/data
path.logs: $GOVHALL_LOG/elasticsearch
discovery.type: single-node
network.host: $GOVHALL_ES_HOST
http.port: $GOVHALL_ES_PORT
transport.port: $GOVHALL_ES_TRANSPORT_PORT
$security
# A full-ish dev disk must not turn indices read-only or leave shards unassigned.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
# vm.max_map_count is 65530 on this kind of box and cannot be raised inside a container. That is
# fine: the bootstrap checks (which would demand 262144) are enforced only when the node binds a
# non-loopback address, and a handful of small test indices stay far below the mmap limit. On a
# box where mmap does run out, add: node.store.allow_mmap: false
EOF
  cat >"$conf/jvm.options.d/govhall.options" <<EOF
-Xms$GOVHALL_ES_HEAP
-Xmx$GOVHALL_ES_HEAP
EOF
  chown -R "$user" "$conf"
  rm -f "$pidfile"
  : >>"$log"

  say "starting elasticsearch on $GOVHALL_ES_HOST:$GOVHALL_ES_PORT as $user with $java_home (log $log)"
  # -d: the launcher starts the server JVM, waits for it to come up, detaches and exits; the server
  # writes its pid to $pidfile. The launcher runs in the background while we poll the health API.
  (
    cd /
    # Elasticsearch warns below 65535 open files; raise the limit where the machine allows it.
    ulimit -n 65535 2>/dev/null || true
    exec setsid env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$conf" ES_TMPDIR="$GOVHALL_ES_VAR/tmp" \
      "${as[@]}" "$GOVHALL_ES_HOME/bin/elasticsearch" -d -p "$pidfile" >>"$log" 2>&1 </dev/null 9>&-
  ) &
  pid=$!
  # The node's own log (path.logs) says more than the launcher's output: show both on failure.
  wait_ready elasticsearch "$GOVHALL_ES_START_TIMEOUT" "$pid" "$log" "$GOVHALL_LOG/elasticsearch/govhall-local.log"
}
