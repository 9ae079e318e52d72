# shellcheck shell=bash
# Environment of the local cluster (deploy/local). Source it:
#
#     . deploy/local/env.sh
#
# Every variable may be overridden by setting it before sourcing. This file only defines and exports
# variables: it changes no shell options of the shell that sources it and has no side effects.

_govhall_env_dir="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)"

: "${GOVHALL_ROOT:=$(cd "$_govhall_env_dir/../.." && pwd)}"
# Runtime state of this checkout (data, logs, pid files, generated configs): reset with rm -rf var/.
: "${GOVHALL_VAR:=$GOVHALL_ROOT/var}"
# Downloads, outside the repo so that clean clones on the same machine reuse them.
: "${GOVHALL_CACHE:=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/govhall}"
: "${GOVHALL_LOG:=$GOVHALL_VAR/log}"
: "${GOVHALL_RUN:=$GOVHALL_VAR/run}"
: "${GOVHALL_ETC:=$GOVHALL_VAR/etc}"

# PostgreSQL: our own cluster (not Debian's system cluster on 5432), superuser govhall, trust on loopback.
: "${GOVHALL_PG_HOST:=127.0.0.1}"
: "${GOVHALL_PG_PORT:=55432}"
: "${GOVHALL_PG_USER:=govhall}"
: "${GOVHALL_PG_DATA:=$GOVHALL_VAR/postgres}"
# Unix user that runs postgres when the scripts run as root (PostgreSQL refuses to run as root).
: "${GOVHALL_PG_OS_USER:=postgres}"

# Redis.
: "${GOVHALL_REDIS_HOST:=127.0.0.1}"
: "${GOVHALL_REDIS_PORT:=56379}"

# NATS with JetStream.
: "${GOVHALL_NATS_HOST:=127.0.0.1}"
: "${GOVHALL_NATS_PORT:=54222}"
: "${GOVHALL_NATS_MONITOR_PORT:=58222}"
: "${GOVHALL_NATS_STORE:=$GOVHALL_VAR/nats}"

# Elasticsearch: 8.x to match the Python client (elasticsearch 8.19.x); 9.x would need Java 21.
: "${GOVHALL_ES_VERSION:=8.19.21}"
: "${GOVHALL_ES_HOST:=127.0.0.1}"
: "${GOVHALL_ES_PORT:=59200}"
: "${GOVHALL_ES_TRANSPORT_PORT:=59300}"
: "${GOVHALL_ES_HOME:=$GOVHALL_CACHE/elasticsearch-$GOVHALL_ES_VERSION}"
: "${GOVHALL_ES_VAR:=$GOVHALL_VAR/elasticsearch}"
: "${GOVHALL_ES_HEAP:=512m}"
# Unix user that runs Elasticsearch when the scripts run as root (Elasticsearch refuses root).
: "${GOVHALL_ES_OS_USER:=govhall-es}"

# What the services read.
: "${GOVHALL_PG_URL:=postgresql+asyncpg://$GOVHALL_PG_USER@$GOVHALL_PG_HOST:$GOVHALL_PG_PORT}"
: "${GOVHALL_NATS_URL:=nats://$GOVHALL_NATS_HOST:$GOVHALL_NATS_PORT}"
: "${GOVHALL_REDIS_URL:=redis://$GOVHALL_REDIS_HOST:$GOVHALL_REDIS_PORT/0}"
: "${GOVHALL_ELASTICSEARCH_URL:=http://$GOVHALL_ES_HOST:$GOVHALL_ES_PORT}"

# Services owning a database govhall_<service>, each as its role govhall_<service> (start.sh makes
# them; their passwords are in secrets.env, below). GOVHALL_PG_URL is the superuser's, for
# administration and the tests' set-up only.
: "${GOVHALL_DB_SERVICES:=identity catalogue cases appointments consult licences search crossprovince}"

export GOVHALL_ROOT GOVHALL_VAR GOVHALL_CACHE GOVHALL_LOG GOVHALL_RUN GOVHALL_ETC \
  GOVHALL_PG_HOST GOVHALL_PG_PORT GOVHALL_PG_USER GOVHALL_PG_DATA GOVHALL_PG_OS_USER \
  GOVHALL_REDIS_HOST GOVHALL_REDIS_PORT \
  GOVHALL_NATS_HOST GOVHALL_NATS_PORT GOVHALL_NATS_MONITOR_PORT GOVHALL_NATS_STORE \
  GOVHALL_ES_VERSION GOVHALL_ES_HOST GOVHALL_ES_PORT GOVHALL_ES_TRANSPORT_PORT GOVHALL_ES_HOME \
  GOVHALL_ES_VAR GOVHALL_ES_HEAP GOVHALL_ES_OS_USER \
  GOVHALL_PG_URL GOVHALL_NATS_URL GOVHALL_REDIS_URL GOVHALL_ELASTICSEARCH_URL GOVHALL_DB_SERVICES

for _govhall_svc in $GOVHALL_DB_SERVICES; do
  _govhall_var="GOVHALL_$(printf '%s' "$_govhall_svc" | tr '[:lower:]' '[:upper:]')_DATABASE_URL"
  if [ -z "${!_govhall_var:-}" ]; then
    printf -v "$_govhall_var" '%s' \
      "postgresql+asyncpg://govhall_$_govhall_svc@$GOVHALL_PG_HOST:$GOVHALL_PG_PORT/govhall_$_govhall_svc"
  fi
  export "${_govhall_var?}"
done
unset _govhall_svc _govhall_var

# The passwords deploy/local generated (secrets.sh): KEY=VALUE lines, GOVHALL_SECRET_<SERVER>_<PRINCIPAL>.
# Exported for the scripts, the tests and `make up`, which hand each process only its own
# (govhall.kit.testing.service_env). A line read here never overrides a variable already set.
if [ -r "$GOVHALL_ETC/secrets.env" ]; then
  while IFS='=' read -r _govhall_key _govhall_value; do
    case "$_govhall_key" in
      GOVHALL_SECRET_[A-Z0-9_]*)
        if [ -z "${!_govhall_key:-}" ]; then
          printf -v "$_govhall_key" '%s' "$_govhall_value"
        fi
        export "${_govhall_key?}"
        ;;
    esac
  done <"$GOVHALL_ETC/secrets.env"
  unset _govhall_key _govhall_value
fi
unset _govhall_env_dir
