# shellcheck shell=bash
# Starting PostgreSQL (its roles, one per service, and their databases): sourced by start.sh,
# which calls start_postgres.

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
