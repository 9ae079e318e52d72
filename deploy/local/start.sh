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

# --- PostgreSQL ------------------------------------------------------------------------------------
start_postgres() {
  local bindir user log="$GOVHALL_LOG/postgres.log"
  bindir="$(pg_bindir)"
  user="$(pg_os_user)"
  if postgres_ready; then
    say "postgres already up: $(server_url postgres)"
  elif [ -f "$GOVHALL_PG_DATA/PG_VERSION" ] \
    && (cd / && as_user "$user" "$bindir/pg_ctl" -D "$GOVHALL_PG_DATA" status >/dev/null 2>&1); then
    say "postgres already starting, waiting for it"
  else
    if [ ! -f "$GOVHALL_PG_DATA/PG_VERSION" ]; then
      say "initialising PostgreSQL cluster in $GOVHALL_PG_DATA ($bindir)"
      rm -rf "$GOVHALL_PG_DATA"
      install -d -m 700 -o "$user" "$GOVHALL_PG_DATA"
      is_root && grant_traverse "$user" "$GOVHALL_PG_DATA"
      (cd / && as_user "$user" "$bindir/initdb" -D "$GOVHALL_PG_DATA" -U "$GOVHALL_PG_USER" \
        --auth=trust -E UTF8 --locale=C.UTF-8 >"$GOVHALL_LOG/postgres-initdb.log" 2>&1 9>&-) \
        || fail_with_log "initdb failed" "$GOVHALL_LOG/postgres-initdb.log"
      printf "\ninclude_if_exists = 'govhall.conf'\n" >>"$GOVHALL_PG_DATA/postgresql.conf"
    fi
    is_root && grant_traverse "$user" "$GOVHALL_PG_DATA"
    # Rewritten on every start, so changes here apply after stop.sh/start.sh.
    cat >"$GOVHALL_PG_DATA/govhall.conf" <<EOF
# Written by deploy/local/start.sh; edits are overwritten.
listen_addresses = '$GOVHALL_PG_HOST'
port = $GOVHALL_PG_PORT
unix_socket_directories = ''   # TCP on loopback only; no dependency on /var/run/postgresql
max_connections = 300          # seven services with pools, plus tests
shared_buffers = 128MB
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    write_pg_hba || true
    chown "$user" "$GOVHALL_PG_DATA/govhall.conf"
    touch "$log"
    chown "$user" "$log"
    say "starting postgres on $GOVHALL_PG_HOST:$GOVHALL_PG_PORT (log $log)"
    # pg_ctl daemonises postgres (setsid) and returns; it removes a stale postmaster.pid itself.
    (cd / && as_user "$user" "$bindir/pg_ctl" -D "$GOVHALL_PG_DATA" -l "$log" -W start >/dev/null 9>&-) \
      || fail_with_log "pg_ctl start failed" "$log"
  fi
  wait_ready postgres "$GOVHALL_START_TIMEOUT" "" "$log"
  # pg_ctl keeps postmaster.pid in the data dir; mirror it under run/ like the others.
  head -n 1 "$GOVHALL_PG_DATA/postmaster.pid" >"$GOVHALL_RUN/postgres.pid" 2>/dev/null || true
  ensure_databases "$bindir"
}

# Client authentication: the superuser govhall (deploy/local's administration and the tests'
# set-up) is trusted on loopback; every other role (one per service, see ensure_databases) must
# give its password. Rewritten on every start; returns 0 when the file changed (a running server
# of an existing var/ then reloads it: before the roles existed it trusted everyone).
write_pg_hba() {
  local hba="$GOVHALL_PG_DATA/pg_hba.conf" new
  new="# Written by deploy/local/start.sh; edits are overwritten.
# TYPE  DATABASE  USER  ADDRESS       METHOD
host    all       $GOVHALL_PG_USER  127.0.0.1/32  trust
host    all       all   127.0.0.1/32  scram-sha-256"
  [ "$(cat "$hba" 2>/dev/null)" != "$new" ] || return 1
  printf '%s\n' "$new" >"$hba"
  chown "$(pg_os_user)" "$hba"
}

# One role per service, govhall_<service> (LOGIN and nothing more; its password from
# secrets.env), owning the database govhall_<service> and everything in it; no other role may
# connect to it. Plus govhall_test, the owner of the tests' throw-away databases. Idempotent: on
# an existing var/ the databases and tables the superuser made before change owner, so the
# services' migrations, which run as their roles, can alter them.
ensure_databases() {
  local bindir="$1" svc db role pw existing
  local psql=("$bindir/psql" -h "$GOVHALL_PG_HOST" -p "$GOVHALL_PG_PORT" -U "$GOVHALL_PG_USER" -d postgres -v ON_ERROR_STOP=1 -qAtX)
  if write_pg_hba; then
    "${psql[@]}" -c "SELECT pg_reload_conf()" >/dev/null
    say "postgres: every role but $GOVHALL_PG_USER now needs its password (pg_hba.conf reloaded)"
  fi
  ensure_secrets
  for svc in $GOVHALL_DB_SERVICES "${GOVHALL_PG_EXTRA_ROLES[@]}"; do
    [[ "$svc" =~ ^[a-z][a-z0-9_]*$ ]] || die "invalid service name '$svc' (GOVHALL_DB_SERVICES)"
    pw="GOVHALL_SECRET_PG_$(upper "$svc")"
    # The password travels as a psql variable (:'pw' quotes it), never spliced into the SQL.
    "${psql[@]}" -v role="govhall_$svc" -v pw="${!pw}" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
SQL
  done
  existing="$("${psql[@]}" -c "SELECT datname FROM pg_database")"
  for svc in $GOVHALL_DB_SERVICES; do
    db="govhall_$svc"
    role="govhall_$svc"
    if ! grep -qx "$db" <<<"$existing"; then
      "${psql[@]}" -c "CREATE DATABASE \"$db\" OWNER \"$role\"" >/dev/null
      say "created database $db owned by $role"
    fi
    "${psql[@]}" -v db="$db" -v role="$role" >/dev/null <<'SQL'
ALTER DATABASE :"db" OWNER TO :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
    # A later -d wins over the array's -d postgres.
    "${psql[@]}" -d "$db" -v owner="$role" -f "$GOVHALL_ROOT/deploy/local/pg-give-objects.sql" >/dev/null
  done
}

# --- Redis -----------------------------------------------------------------------------------------
# ACL users, one line each (Redis 7 ACL file syntax), passwords as SHA-256 hashes. Every key is
# <namespace>:<kind>:..., the namespace being the deployment's (govhall) or a test run's, so the
# patterns match on the kind. The key kinds and commands are what the code uses (kit/kv.py and its
# callers): the gateway counts rate limits (rl) and only reads the revoked sessions (rv) that
# identity writes; identity keeps its lock-outs (lg, lf, lw, lfc, login) and one-time codes (sms);
# every other service only reads rv, and search counts hot words (hw, and ztop scratch keys). The
# counters run as Lua scripts (EVALSHA, SCRIPT LOAD the first time), whose commands Redis checks
# against the same rules. admin (deploy/local, tests' clean-up) may do anything; default is off.
redis_acl() {
  local base="-@all +ping +hello +auth +select +evalsha +script|load"
  redis_acl_user admin "~* &* +@all"
  redis_acl_user gateway "resetchannels ~*:rl:* %R~*:rv:* $base +get +mget +ttl +incr +expire"
  redis_acl_user identity "resetchannels ~*:rv:* ~*:lg:* ~*:lf:* ~*:lw:* ~*:lfc:* ~*:login:* ~*:sms:* $base +get +mget +set +del +ttl +incr +expire"
  redis_acl_user services "resetchannels %R~*:rv:* ~*:hw:* ~*:ztop:* $base +get +mget +set +del +exists +expire +zincrby +zunionstore +zrevrange"
  echo "user default off resetpass resetkeys resetchannels -@all"
}
redis_acl_user() {
  local pw="GOVHALL_SECRET_REDIS_$(upper "$1")"
  echo "user $1 on #$(printf '%s' "${!pw}" | sha256sum | cut -d' ' -f1) $2"
}

# Apply the ACL file to a running Redis: ACL LOAD when it was started with that file; a server
# started before the users existed (no aclfile) gets each user with ACL SETUSER, default last.
apply_redis_acl() {
  local acl="$GOVHALL_ETC/redis-users.acl" current line
  current="$(redis_cli --raw CONFIG GET aclfile 2>/dev/null | sed -n 2p)"
  if [ "$current" = "$acl" ]; then
    [ "$(redis_cli ACL LOAD 2>/dev/null)" = "OK" ] || die "redis refused $acl (ACL LOAD)"
    return
  fi
  while read -r line; do
    read -ra words <<<"${line#user }"
    [ "$(redis_cli ACL SETUSER "${words[0]}" reset "${words[@]:1}" 2>/dev/null)" = "OK" ] \
      || die "redis refused the ACL user ${words[0]}"
  done <"$acl"
  say "redis: ACL users applied to the running server (restart it to load them from $acl)"
}

start_redis() {
  local log="$GOVHALL_LOG/redis.log" acl="$GOVHALL_ETC/redis-users.acl"
  ensure_secrets
  (umask 077 && redis_acl >"$acl.tmp" && mv "$acl.tmp" "$acl")
  if redis_ready; then
    say "redis already up: $(server_url redis)"
    apply_redis_acl
    return
  fi
  command -v redis-server >/dev/null || die "redis-server not installed (run deploy/local/install.sh)"
  mkdir -p "$GOVHALL_VAR/redis"
  cat >"$GOVHALL_ETC/redis.conf" <<EOF
# Written by deploy/local/start.sh; edits are overwritten.
bind $GOVHALL_REDIS_HOST
port $GOVHALL_REDIS_PORT
protected-mode yes
daemonize yes
pidfile $GOVHALL_RUN/redis.pid
logfile $log
dir $GOVHALL_VAR/redis
# Rate limits and caches only (see DESIGN.md): no persistence, nothing stale after a restart.
save ""
appendonly no
# Users and their rights (see redis_acl); the default user is off.
aclfile $acl
EOF
  say "starting redis on $GOVHALL_REDIS_HOST:$GOVHALL_REDIS_PORT (log $log)"
  (cd / && redis-server "$GOVHALL_ETC/redis.conf" 9>&-) || fail_with_log "redis-server failed to start" "$log"
  wait_ready redis "$GOVHALL_START_TIMEOUT" "" "$log"
}

# --- NATS ------------------------------------------------------------------------------------------
# With users (deploy/local/nats.sh): the config is rewritten on every run. A server that already
# answers is kept when this checkout's admin can log in and the config is unchanged; one started
# by this checkout with another config is reloaded (SIGHUP: users and permissions change in
# place, JetStream keeps running); one that lets anybody in (started before NATS had users, from
# this checkout or another) is stopped and started with users, on the same store, so its
# streams and consumers carry over.
start_nats() {
  local log="$GOVHALL_LOG/nats.log" conf="$GOVHALL_ETC/nats.conf" new pid name
  command -v nats-server >/dev/null || die "nats-server not installed (run deploy/local/install.sh)"
  for name in $(nats_secret_names); do ensure_secret "$name"; done
  mkdir -p "$GOVHALL_NATS_STORE"
  new="$(umask 077 && mktemp "$GOVHALL_ETC/nats.conf.XXXXXX")"
  cat >"$new" <<EOF
# Written by deploy/local/start.sh; edits are overwritten. Passwords from secrets.env (this file,
# like that one, is readable by its owner only). Plain passwords, not bcrypt: the server warns
# about it once at start, and a bcrypt hash would cost every (re)connection ~0.1 s of CPU.
server_name: govhall-local
listen: "$GOVHALL_NATS_HOST:$GOVHALL_NATS_PORT"
http: "$GOVHALL_NATS_HOST:$GOVHALL_NATS_MONITOR_PORT"
pid_file: "$GOVHALL_RUN/nats.pid"
max_payload: 8MB
jetstream {
  store_dir: "$GOVHALL_NATS_STORE"
  max_memory_store: 256MB
  max_file_store: 8GB
}
$(nats_authorization)
EOF
  if ! nats-server -c "$new" -t >/dev/null 2>"$GOVHALL_LOG/nats-config.log"; then
    mv "$new" "$GOVHALL_ETC/nats.conf.rejected"
    fail_with_log "invalid NATS config (kept in $GOVHALL_ETC/nats.conf.rejected)" "$GOVHALL_LOG/nats-config.log"
  fi
  pid="$(read_pid "$GOVHALL_RUN/nats.pid")"
  if pid_alive "$pid" nats-server && ! nats_ready; then
    say "nats already starting (pid $pid), waiting for it"
    wait_ready nats "$GOVHALL_START_TIMEOUT" "" "$log"
  fi
  if nats_ready; then
    if nats_admin_login && cmp -s "$new" "$conf"; then
      rm -f "$new"
      say "nats already up: $(server_url nats)"
      return
    fi
    if ! nats_admin_login && ! nats_anonymous_login; then
      rm -f "$new"
      die "NATS on port $GOVHALL_NATS_PORT refuses this checkout's admin (GOVHALL_SECRET_NATS_ADMIN in $GOVHALL_SECRETS_FILE): another checkout, with secrets of its own, started it (JetStream store $(nats_store_dir)). Stop it from there (deploy/local/stop.sh nats), or give this checkout the same secrets.env"
    fi
    if pid_alive "$pid" nats-server; then
      mv "$new" "$conf"
      say "nats (pid $pid) runs with an older config: reloading $conf"
      kill -HUP "$pid"
      # A reload takes milliseconds; one it refuses (a setting it cannot change in place) shows
      # in the log, and the server keeps its old config: then restart.
      if wait_nats_login 5; then
        say "nats reloaded: $(server_url nats)"
        return
      fi
      say "nats did not take the new config; restarting it"
    else
      pid="$(nats_listener_pid)"
      [ -n "$pid" ] || die "NATS on port $GOVHALL_NATS_PORT lets anybody in and its process is unknown; stop it and run start.sh again"
      say "nats (pid $pid, not started by this checkout) lets anybody in: restarting it with users"
    fi
    stop_nats_pid "$pid"
  fi
  [ ! -f "$new" ] || mv "$new" "$conf"
  say "starting nats on $GOVHALL_NATS_HOST:$GOVHALL_NATS_PORT (JetStream in $GOVHALL_NATS_STORE, log $log)"
  (cd / && exec setsid nats-server -c "$conf" >>"$log" 2>&1 </dev/null 9>&-) &
  pid=$!
  wait_ready nats "$GOVHALL_START_TIMEOUT" "$pid" "$log"
  wait_nats_login "$GOVHALL_START_TIMEOUT" || fail_with_log "nats refuses the admin of $conf" "$log"
}

# Until this checkout's admin logs in and nobody else can; at most $1 seconds.
wait_nats_login() {
  local t0=$SECONDS
  until nats_admin_login && ! nats_anonymous_login; do
    [ $((SECONDS - t0)) -lt "$1" ] || return 1
    sleep 0.25
  done
}

# The pid of the nats-server listening on our port (one another checkout started).
nats_listener_pid() {
  local pid
  pid="$(ss -ltnpH "sport = :$GOVHALL_NATS_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)"
  if pid_alive "$pid" nats-server; then printf '%s\n' "$pid"; fi
}

nats_store_dir() {
  curl -fsS -m 2 "http://$GOVHALL_NATS_HOST:$GOVHALL_NATS_MONITOR_PORT/jsz" 2>/dev/null \
    | sed -n 's/.*"store_dir": *"\([^"]*\)".*/\1/p' | head -n 1
}

# Stop the NATS process $1: TERM, then wait until it is gone (the next one needs its store).
stop_nats_pid() {
  local pid="$1" t0=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid" nats-server; do
    [ $((SECONDS - t0)) -lt "$GOVHALL_START_TIMEOUT" ] || die "nats (pid $pid) did not stop within ${GOVHALL_START_TIMEOUT}s"
    sleep 0.1
  done
}

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

for s in "${servers[@]}"; do
  "start_$s"
done
