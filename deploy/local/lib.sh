# shellcheck shell=bash
# Helpers shared by install.sh, start.sh, stop.sh and status.sh (not meant to be sourced by others).

# shellcheck source=deploy/local/env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# shellcheck source=deploy/local/secrets.sh
. "$(dirname "${BASH_SOURCE[0]}")/secrets.sh"

GOVHALL_SERVERS=(postgres redis nats elasticsearch)

say() { printf '[govhall-local] %s\n' "$*" >&2; }
die() {
  printf '\n[govhall-local] ERROR: %s\n\n' "$*" >&2
  exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# The Debian packages PDF rendering needs (cases' notices); install.sh and install-pdf.sh.
# shellcheck disable=SC2034  # used by the scripts that source this file
PDF_PACKAGES=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
# The portal's browser tests (tests/e2e/test_portal_*): Debian's chromium, which Playwright drives
# (its own browser download is not reachable from every machine), with the CJK fonts to draw pages.
BROWSER_PACKAGES=(chromium fonts-noto-cjk)

deb_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

# Seconds to wait for another package manager (apt-get in another terminal, unattended-upgrades
# after boot) to release the package locks before giving up.
: "${GOVHALL_APT_LOCK_TIMEOUT:=600}"

# The package managers running now, as "name (pid N)": what a lock wait is waiting for.
apt_lock_holders() {
  local f comm pid out=()
  for f in /proc/[0-9]*/comm; do
    comm="$(cat "$f" 2>/dev/null)" || continue
    case "$comm" in
      apt | apt-get | aptitude | dpkg | unattended-upgr | synaptic)
        pid="${f#/proc/}"
        out+=("$comm (pid ${pid%/comm})")
        ;;
    esac
  done
  [ ${#out[@]} -gt 0 ] && printf '%s\n' "${out[*]}"
}

# apt-get "$@" (as root, or through the sudo prefix in $sudo), waiting at most
# GOVHALL_APT_LOCK_TIMEOUT seconds in all for the package locks another process holds: apt-get
# waits for dpkg's lock itself (DPkg::Lock::Timeout); the package lists' lock, taken by `update`,
# it does not wait for, so a refusal for a lock is retried here until the same deadline.
apt_get_waiting() {
  local deadline=$((SECONDS + GOVHALL_APT_LOCK_TIMEOUT)) err holders left next_say=0 status
  err="$(mktemp)"
  while :; do
    left=$((deadline - SECONDS))
    [ "$left" -gt 0 ] || left=1
    holders="$(apt_lock_holders || true)"
    if [ -n "$holders" ] && [ "$SECONDS" -ge "$next_say" ]; then
      say "another package manager is running: $holders; waiting up to ${left} s for it to release the package lock (GOVHALL_APT_LOCK_TIMEOUT)"
      next_say=$((SECONDS + 30))
    fi
    status=0
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=$left" "$@" 2>"$err" || status=$?
    if [ "$status" -eq 0 ]; then
      rm -f "$err"
      return 0
    fi
    if ! grep -qiE 'could not get lock|unable to acquire the dpkg frontend lock|unable to lock' "$err"; then
      cat "$err" >&2
      rm -f "$err"
      die "apt-get $* failed (exit $status)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      cat "$err" >&2
      rm -f "$err"
      die "the package lock was still held after ${GOVHALL_APT_LOCK_TIMEOUT} s${holders:+ (by $holders)}; run this again once it has finished, or wait longer with GOVHALL_APT_LOCK_TIMEOUT=<seconds>"
    fi
    # The lists' lock: poll until it is free or the deadline passes.
    sleep 1
  done
}

# Install those of the named packages that are missing: as root, or through sudo when it needs no
# password; otherwise name them and the command that installs them, and fail. Returns at once when
# all are present.
install_debs() {
  local p missing=()
  for p in "$@"; do deb_installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages present: $*"
    return 0
  fi
  local sudo=()
  if ! is_root; then
    # Never a password prompt in the middle of `make run`: the user runs the command instead.
    if ! command -v sudo >/dev/null || ! sudo -n true 2>/dev/null; then
      die "these Debian packages are missing: ${missing[*]}
  Installing them needs root. Run, then try again:

    sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    sudo=(sudo -n)
  fi
  say "installing Debian packages${sudo[*]:+ (through sudo)}: ${missing[*]}"
  apt_get_waiting update -qq
  apt_get_waiting install -y -qq --no-install-recommends "${missing[@]}"
  # A new font is found by fontconfig once its cache knows it (the package's trigger usually does).
  if [[ " ${missing[*]} " == *" fonts-noto-cjk "* ]] && command -v fc-cache >/dev/null; then
    "${sudo[@]}" fc-cache -s >/dev/null 2>&1 || true
  fi
}

# Validate server names given on the command line; no names means all of them.
select_servers() {
  local s k known
  if [ $# -eq 0 ]; then
    printf '%s\n' "${GOVHALL_SERVERS[@]}"
    return
  fi
  for s in "$@"; do
    case "$s" in
      pg | postgresql) s=postgres ;;
      es) s=elasticsearch ;;
    esac
    known=0
    for k in "${GOVHALL_SERVERS[@]}"; do [ "$k" = "$s" ] && known=1; done
    [ "$known" = 1 ] || die "unknown server '$s' (known: ${GOVHALL_SERVERS[*]})"
    printf '%s\n' "$s"
  done
}

# The newest PostgreSQL server installed from Debian's packages, or the one an existing data dir
# was created with.
pg_bindir() {
  local v
  if [ -f "$GOVHALL_PG_DATA/PG_VERSION" ]; then
    v="$(cat "$GOVHALL_PG_DATA/PG_VERSION")"
    if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ]; then
      printf '%s\n' "/usr/lib/postgresql/$v/bin"
      return
    fi
    die "$GOVHALL_PG_DATA was created by PostgreSQL $v, which is not installed (reset: stop.sh && rm -rf $GOVHALL_PG_DATA)"
  fi
  v="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/pg_ctl' 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$v" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql (run deploy/local/install.sh)"
  dirname "$v"
}

# A Java 17+ home for Elasticsearch 8 (the integ-test distribution bundles no JDK). Prefers 17,
# then 21; Elasticsearch 8.19 is tested on those.
es_java_home() {
  local d
  if [ -n "${GOVHALL_ES_JAVA_HOME:-}" ]; then
    printf '%s\n' "$GOVHALL_ES_JAVA_HOME"
    return
  fi
  for d in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-* /usr/lib/jvm/*17* /usr/lib/jvm/*21*; do
    if [ -x "$d/bin/java" ] && [ ! -L "$d" ]; then
      printf '%s\n' "$d"
      return
    fi
  done
  return 1
}

# The shim plugin (es-plugin/) that gives the integ-test distribution GET / and the CJK analysis
# components; install.sh builds it into $GOVHALL_ES_HOME/plugins/govhall-compat, stamped with this hash.
GOVHALL_ES_PLUGIN_SRC="$GOVHALL_ROOT/deploy/local/es-plugin"
GOVHALL_ES_PLUGIN_DIR="$GOVHALL_ES_HOME/plugins/govhall-compat"
es_plugin_hash() {
  {
    echo "$GOVHALL_ES_VERSION"
    (cd "$GOVHALL_ES_PLUGIN_SRC" && find . -type f | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -d' ' -f1
}
es_plugin_current() {
  [ -f "$GOVHALL_ES_PLUGIN_DIR/.source-sha256" ] \
    && [ "$(cat "$GOVHALL_ES_PLUGIN_DIR/.source-sha256")" = "$(es_plugin_hash)" ]
}

# Elasticsearch deletes its pid file when it stops, so it lives in a directory of the ES user's own.
# shellcheck disable=SC2034 # used by start.sh and stop.sh
GOVHALL_ES_PIDFILE="$GOVHALL_RUN/elasticsearch/elasticsearch.pid"

# The user a server runs as: a dedicated unprivileged user when we are root, else ourselves.
pg_os_user() { if is_root; then echo "$GOVHALL_PG_OS_USER"; else id -un; fi; }
es_os_user() { if is_root; then echo "$GOVHALL_ES_OS_USER"; else id -un; fi; }

# Run a command as a user (directly when that is us).
as_user() {
  local user="$1"
  shift
  if [ "$user" = "$(id -un)" ]; then
    "$@"
  else
    runuser -u "$user" -- "$@"
  fi
}

# Make sure $user can reach $path: grant search (x) permission, through an ACL for that user only,
# on every ancestor directory it cannot traverse (for example /root, mode 700, when the cache lives
# in root's home).
grant_traverse() {
  local user="$1" path="$2" dir
  [ "$user" = "$(id -un)" ] && return 0
  dir="$path"
  local dirs=()
  while [ "$dir" != "/" ] && [ -n "$dir" ]; do
    dirs=("$dir" "${dirs[@]}")
    dir="$(dirname "$dir")"
  done
  for dir in "${dirs[@]}"; do
    [ -d "$dir" ] || break
    if ! runuser -u "$user" -- test -x "$dir"; then
      command -v setfacl >/dev/null || die "$user cannot traverse $dir and setfacl is missing (run deploy/local/install.sh)"
      say "granting $user traversal of $dir (ACL u:$user:x)"
      setfacl -m "u:$user:x" "$dir"
    fi
  done
}

# Process $pid alive and its command line mentions $what?
pid_alive() {
  local pid="$1" what="$2"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$what"
}

read_pid() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }

# Serialise start/stop runs of this checkout (tests and `make up` may race). The lock is fd 9: every
# daemon must be launched with 9>&- or it would hold the lock for as long as it runs.
take_lock() {
  mkdir -p "$GOVHALL_RUN"
  exec 9>"$GOVHALL_RUN/.lock"
  if ! flock -n 9; then
    say "waiting for another deploy/local script to finish (lock $GOVHALL_RUN/.lock)"
    flock 9
  fi
}

# Whether something listens on 127.0.0.1/loopback TCP port $1. The probes below ask this before
# they connect: our ports (5xxxx) lie inside Linux's ephemeral range, and a connect to a local
# port nobody listens on yet can pick that same port as its source and connect to itself (TCP
# simultaneous open). The probe then holds the port, and the server starting behind it fails to
# bind ("Address already in use"): Elasticsearch did, twice in a row, on a fresh clone. Without
# ss (iproute2) the probes connect as before.
listening() {
  command -v ss >/dev/null 2>&1 || return 0
  [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# Readiness probes: quiet, status only.
postgres_ready() {
  local bindir
  listening "$GOVHALL_PG_PORT" || return 1
  bindir="$(pg_bindir 2>/dev/null)" || return 1
  "$bindir/pg_isready" -q -h "$GOVHALL_PG_HOST" -p "$GOVHALL_PG_PORT" -U "$GOVHALL_PG_USER" -d postgres -t 2
}
# redis-cli as the ACL user admin (its password from secrets.env, through the environment rather
# than the command line); on a server without users the failed AUTH leaves the default user.
redis_cli() {
  REDISCLI_AUTH="${GOVHALL_SECRET_REDIS_ADMIN:-}" redis-cli --no-auth-warning --user admin \
    -h "$GOVHALL_REDIS_HOST" -p "$GOVHALL_REDIS_PORT" "$@"
}
redis_ready() {
  listening "$GOVHALL_REDIS_PORT" && [ "$(redis_cli ping 2>/dev/null)" = "PONG" ]
}
nats_ready() {
  listening "$GOVHALL_NATS_MONITOR_PORT" || return 1
  # /healthz with js-enabled-only: 200 once JetStream is enabled (nats-server >= 2.9).
  curl -fsS -m 2 -o /dev/null \
    "http://$GOVHALL_NATS_HOST:$GOVHALL_NATS_MONITOR_PORT/healthz?js-enabled-only=true" 2>/dev/null
}
elasticsearch_ready() {
  listening "$GOVHALL_ES_PORT" || return 1
  # As admin (a node without security ignores the credentials); -K - keeps them off the command line.
  printf 'user = "admin:%s"\n' "${GOVHALL_SECRET_ES_ADMIN:-}" | curl -fsS -m 5 -o /dev/null -K - \
    "$GOVHALL_ELASTICSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null
}
server_ready() { "${1}_ready"; }

server_url() {
  case "$1" in
    postgres) echo "postgresql://$GOVHALL_PG_USER@$GOVHALL_PG_HOST:$GOVHALL_PG_PORT" ;;
    redis) echo "$GOVHALL_REDIS_URL" ;;
    nats) echo "$GOVHALL_NATS_URL (monitoring http://$GOVHALL_NATS_HOST:$GOVHALL_NATS_MONITOR_PORT)" ;;
    elasticsearch) echo "$GOVHALL_ELASTICSEARCH_URL" ;;
  esac
}
