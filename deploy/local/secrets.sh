# shellcheck shell=bash
# The local cluster's passwords, sourced by lib.sh: generated once into $GOVHALL_ETC/secrets.env
# (mode 0600, KEY=VALUE lines, GOVHALL_SECRET_<SERVER>_<PRINCIPAL>) and kept, so a second start.sh
# on an existing var/ finds the same ones; env.sh exports them. The Helm chart takes its own from
# Kubernetes Secrets instead.

GOVHALL_SECRETS_FILE="$GOVHALL_ETC/secrets.env"

# The PostgreSQL roles besides the services': govhall_test owns the tests' throw-away databases
# (the db_url fixture), so the suite itself runs without superuser.
GOVHALL_PG_EXTRA_ROLES=(test)
# Redis ACL users: the gateway, identity, every other service, and an administrator for clean-up.
GOVHALL_REDIS_USERS=(gateway identity services admin)
# Elasticsearch users (file realm): the search service, and an administrator for clean-up.
GOVHALL_ES_USERS=(search admin)

upper() { printf '%s' "$1" | tr '[:lower:]' '[:upper:]'; }

# A new random password: 32 hex digits (128 bits), safe in URLs, config files and shell words.
new_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# Make sure secrets.env holds $1 (a value already in the environment is kept, else a new one) and
# that the variable is set and exported.
ensure_secret() {
  local name="$1" value
  mkdir -p "$GOVHALL_ETC"
  [ -e "$GOVHALL_SECRETS_FILE" ] || (umask 077 && : >"$GOVHALL_SECRETS_FILE")
  chmod 600 "$GOVHALL_SECRETS_FILE"
  value="$(sed -n "s/^$name=//p" "$GOVHALL_SECRETS_FILE" | tail -n 1)"
  if [ -z "$value" ]; then
    value="${!name:-}"
    [ -n "$value" ] || value="$(new_password)"
    printf '%s=%s\n' "$name" "$value" >>"$GOVHALL_SECRETS_FILE"
  fi
  printf -v "$name" '%s' "$value"
  export "${name?}"
}

# Every password the local cluster uses (PostgreSQL roles, Redis users, Elasticsearch users).
ensure_secrets() {
  local svc
  for svc in $GOVHALL_DB_SERVICES "${GOVHALL_PG_EXTRA_ROLES[@]}"; do ensure_secret "GOVHALL_SECRET_PG_$(upper "$svc")"; done
  for svc in "${GOVHALL_REDIS_USERS[@]}"; do ensure_secret "GOVHALL_SECRET_REDIS_$(upper "$svc")"; done
  for svc in "${GOVHALL_ES_USERS[@]}"; do ensure_secret "GOVHALL_SECRET_ES_$(upper "$svc")"; done
}
