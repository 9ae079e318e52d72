# shellcheck shell=bash
# NATS users of the local cluster: start.sh writes them into nats.conf (sourced by start.sh).
#
# Every service connects as its own user (password GOVHALL_SECRET_NATS_<SERVICE> in secrets.env)
# and may publish only its own events and consume only what it consumes; `admin`
# (GOVHALL_SECRET_NATS_ADMIN) may do anything: tests and benchmarks delete their streams with it.

# The streams' subject stems (govhall.kit.bus.STREAM_STEMS): a service publishes under its own.
NATS_STEMS=(identity catalogue cases appointments consult licences search)

# One row per service: "<user> <stem it publishes, or -> [<durable consumer>=<subject> ...]
# [+<subject> ...]". A `+<subject>` is a broadcast (ctx.bus.broadcast): every replica its own
# ephemeral consumer of that subject, of a name it picks (cases hears identity.agent.revoked so
# that each replica drops its cached CheckAgent answers; the gateway hears catalogue.> and
# search.index.changed so that each replica forgets cached public answers, gateway/cacheevents.py).
# The consumers are the services' ctx.bus.subscribe(...) calls (grep `subscribe(` in services/);
# a new one needs its row here, or the service is refused its consumer at start (so does a
# renamed one: cases' and search's durable names are settings, GOVHALL_<SERVICE>_CONSUMER_NAME).
NATS_USERS=(
  "identity identity identity-site-copy=catalogue.site.upserted.*"
  "catalogue catalogue catalogue-hot-matters=cases.case.submitted"
  "cases cases cases-site-copy=catalogue.site.upserted.* cases-evaluations=consult.evaluation.submitted +identity.agent.revoked"
  "search search search-index=catalogue.>"
  "consult consult consult-inbox-cases=cases.case.> consult-inbox-consult=consult.> consult-inbox-appointments=appointments.booking.> consult-inbox-licences=licences.licence.> consult-cases=cases.> consult-site-copy=catalogue.site.upserted.*"
  "appointments appointments appointments-site-copy=catalogue.site.upserted.*"
  "licences licences licences-site-copy=catalogue.site.upserted.* licences-issuance=cases.case.concluded"
  "crossprovince - crossprovince-handovers=cases.handover.* crossprovince-cases=cases.case.*"
  "gateway - +catalogue.> +search.index.changed"
)

nats_secret_name() { printf 'GOVHALL_SECRET_NATS_%s' "$(upper "$1")"; }

nats_secret_names() {
  local row
  nats_secret_name admin
  echo
  for row in "${NATS_USERS[@]}"; do
    nats_secret_name "${row%% *}"
    echo
  done
}

# The value of a NATS secret (ensure_secret has set it).
nats_secret() {
  local name
  name="$(nats_secret_name "$1")"
  printf '%s' "${!name}"
}

# A JSON-ish list for nats.conf: "a", "b", ...
nats_list() {
  local out="" s
  for s in "$@"; do out+="${out:+, }\"$s\""; done
  printf '[%s]' "$out"
}

# The permissions of one service's user (its row of NATS_USERS).
#
# Subjects: a test run (or a second deployment on the same NATS) namespaces its subjects with a
# lower-case prefix token (`e2eab12.cases.case.submitted`, see JetStreamBus), hence `*.<stem>.>`
# beside `<stem>.>`; `<other stem>.<stem>.>` is denied, or cases could write `catalogue.cases.x`
# into the catalogue's stream.
#
# JetStream API, exactly what nats-py (2.16) sends for JetStreamBus (checked against the server's
# "Permissions Violation" log lines):
#   publish:   STREAM.INFO.<stream>, STREAM.CREATE.<stream> (the bus creates a missing stream, of
#              what it publishes and of what it consumes, whichever starts first)
#   consume:   CONSUMER.INFO.<stream>.<durable>, CONSUMER.CREATE.<stream>.<durable>.<filter>,
#              CONSUMER.MSG.NEXT.<stream>.<durable>, acks on $JS.ACK.<stream>.<durable>.>
#   replies:   on the connection's inboxes, _INBOX.<user>.> (JetStreamBus sets that prefix).
# What cannot be tightened: the <stream> token. Stream names are one token, <PREFIX>_<STEM>
# (GOVHALL_CASES, E2EAB12_CASES), and NATS wildcards match whole tokens only, so "any stream"
# (*) is the tightest rule that lets test runs use their own prefixes. What that leaves open:
# a service may look at any stream's info, create a stream of any name (it cannot take subjects
# another stream holds; it could fill the store), and create its own durables on any stream. The
# consumer's filter is part of the create subject, and the server refuses a config whose filter
# differs from it, so a durable only ever reads the subjects listed here, whichever stream it
# is on. A deployment with a fixed prefix (the chart) can name the streams instead of `*`.
# Deleting, purging or changing streams and consumers is denied to every service.
nats_permissions() {
  local user="$1" stem="$2" pub=() deny=() other c durable subject
  shift 2
  if [ "$stem" != "-" ]; then
    pub+=("$stem.>" "*.$stem.>")
    for other in "${NATS_STEMS[@]}"; do
      [ "$other" = "$stem" ] || deny+=("$other.$stem.>")
    done
  fi
  pub+=('$JS.API.STREAM.INFO.*' '$JS.API.STREAM.CREATE.*')
  for c in "$@"; do
    if [ "${c#+}" != "$c" ]; then
      # A broadcast: an ephemeral push consumer of any name, on any stream, but filtered on this
      # subject only (the filter is part of the create subject); its messages arrive on the
      # user's own inboxes, and it acknowledges nothing.
      subject="${c#+}"
      pub+=("\$JS.API.CONSUMER.CREATE.*.*.$subject" "\$JS.API.CONSUMER.CREATE.*.*.*.$subject")
      continue
    fi
    durable="${c%%=*}"
    subject="${c#*=}"
    pub+=(
      "\$JS.API.CONSUMER.INFO.*.$durable"
      "\$JS.API.CONSUMER.CREATE.*.$durable.$subject"
      "\$JS.API.CONSUMER.CREATE.*.$durable.*.$subject"
      "\$JS.API.CONSUMER.MSG.NEXT.*.$durable"
      "\$JS.ACK.*.$durable.>"
      # A message the consumer failed max_deliver times is parked on the dead-letter stream.
      "deadletter.$durable" "*.deadletter.$durable"
    )
  done
  # Denied outright (deny wins over allow), whatever the allow list grows into: no service
  # deletes, purges or rewrites a stream or consumer, and none answers into another's inbox.
  deny+=(
    '$JS.API.STREAM.DELETE.>' '$JS.API.STREAM.PURGE.>' '$JS.API.STREAM.UPDATE.>'
    '$JS.API.STREAM.MSG.DELETE.>' '$JS.API.CONSUMER.DELETE.>' '_INBOX.>'
  )
  printf '      publish: { allow: %s, deny: %s }\n' "$(nats_list "${pub[@]}")" "$(nats_list "${deny[@]}")"
  printf '      subscribe: { allow: %s }\n' "$(nats_list "_INBOX.$user.>")"
}

# nats.conf's authorization block, passwords from secrets.env.
nats_authorization() {
  local row user stem fields
  echo "authorization {"
  echo "  users: ["
  printf '    { user: admin, password: "%s" }\n' "$(nats_secret admin)"
  for row in "${NATS_USERS[@]}"; do
    # The row's words are the fields; read, not `set -- $row`: a filter's `*` must not glob.
    read -r -a fields <<<"$row"
    set -- "${fields[@]}"
    user="$1" stem="$2"
    shift 2
    printf '    { user: %s, password: "%s", permissions: {\n' "$user" "$(nats_secret "$user")"
    nats_permissions "$user" "$stem" "$@"
    echo "    } }"
  done
  echo "  ]"
  echo "}"
}

# Log in to the local NATS as $NATS_LOGIN_USER/$NATS_LOGIN_PASSWORD (both empty: no credentials)
# and print the server's answer: PONG, or its -ERR. The password travels in the environment, never
# on a command line another user could read.
nats_login() {
  NATS_LOGIN_HOST="$GOVHALL_NATS_HOST" NATS_LOGIN_PORT="$GOVHALL_NATS_PORT" timeout 5 bash -c '
    exec 3<>"/dev/tcp/$NATS_LOGIN_HOST/$NATS_LOGIN_PORT" || exit 1
    creds=""
    [ -z "$NATS_LOGIN_USER" ] || creds=",\"user\":\"$NATS_LOGIN_USER\",\"pass\":\"$NATS_LOGIN_PASSWORD\""
    printf "CONNECT {\"verbose\":false,\"pedantic\":false%s}\r\nPING\r\n" "$creds" >&3
    while IFS= read -r line <&3; do
      case "$line" in
        PONG*) echo PONG; exit 0 ;;
        -ERR*) printf "%s\n" "${line%$'"'"'\r'"'"'}"; exit 1 ;;
      esac
    done
    exit 1' 2>/dev/null
}

nats_admin_login() {
  NATS_LOGIN_USER=admin NATS_LOGIN_PASSWORD="$(nats_secret admin)" nats_login >/dev/null
}
nats_anonymous_login() { NATS_LOGIN_USER="" NATS_LOGIN_PASSWORD="" nats_login >/dev/null; }

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
    # Another checkout with the same secrets.env (a worktree) started it with users: share it
    # rather than move it onto this checkout's store, which would pull the streams from under
    # the other checkout's running services.
    if ! pid_alive "$pid" nats-server && nats_admin_login && ! nats_anonymous_login; then
      rm -f "$new"
      say "nats already up, started by another checkout with the same secrets: $(server_url nats)"
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
