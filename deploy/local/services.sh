#!/usr/bin/env bash
# `make up` / `make down`: each built service as its own process against the local servers
# (start those first: deploy/local/start.sh). Logs in var/log/<service>.log, pids in var/run.
#   services.sh up | down | status | urls
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/env.sh
. "$here/env.sh"
cd "$GOVHALL_ROOT"
mkdir -p "$GOVHALL_LOG" "$GOVHALL_RUN"

# Started in this order: the gateway last, once the services it calls are on their way.
SERVICES=(identity catalogue search cases consult appointments licences crossprovince gateway)
export GOVHALL_CATALOGUE_GRPC_ADDRESS="${GOVHALL_CATALOGUE_GRPC_ADDRESS:-127.0.0.1:50051}"
export GOVHALL_SEARCH_GRPC_ADDRESS="${GOVHALL_SEARCH_GRPC_ADDRESS:-127.0.0.1:50052}"
export GOVHALL_IDENTITY_GRPC_ADDRESS="${GOVHALL_IDENTITY_GRPC_ADDRESS:-127.0.0.1:50053}"
export GOVHALL_CASES_GRPC_ADDRESS="${GOVHALL_CASES_GRPC_ADDRESS:-127.0.0.1:50054}"
export GOVHALL_CONSULT_GRPC_ADDRESS="${GOVHALL_CONSULT_GRPC_ADDRESS:-127.0.0.1:50055}"
export GOVHALL_APPOINTMENTS_GRPC_ADDRESS="${GOVHALL_APPOINTMENTS_GRPC_ADDRESS:-127.0.0.1:50056}"
export GOVHALL_LICENCES_GRPC_ADDRESS="${GOVHALL_LICENCES_GRPC_ADDRESS:-127.0.0.1:50057}"
export GOVHALL_CROSSPROVINCE_GRPC_ADDRESS="${GOVHALL_CROSSPROVINCE_GRPC_ADDRESS:-127.0.0.1:50058}"
export GOVHALL_CATALOGUE_METRICS_PORT="${GOVHALL_CATALOGUE_METRICS_PORT:-59464}"
export GOVHALL_SEARCH_METRICS_PORT="${GOVHALL_SEARCH_METRICS_PORT:-59465}"
export GOVHALL_IDENTITY_METRICS_PORT="${GOVHALL_IDENTITY_METRICS_PORT:-59466}"
export GOVHALL_CASES_METRICS_PORT="${GOVHALL_CASES_METRICS_PORT:-59467}"
export GOVHALL_CONSULT_METRICS_PORT="${GOVHALL_CONSULT_METRICS_PORT:-59469}"
export GOVHALL_APPOINTMENTS_METRICS_PORT="${GOVHALL_APPOINTMENTS_METRICS_PORT:-59470}"
export GOVHALL_LICENCES_METRICS_PORT="${GOVHALL_LICENCES_METRICS_PORT:-59471}"
export GOVHALL_CROSSPROVINCE_METRICS_PORT="${GOVHALL_CROSSPROVINCE_METRICS_PORT:-59472}"
# The gateway's metrics too are apart from its API (never /metrics on the public port).
export GOVHALL_GATEWAY_METRICS_PORT="${GOVHALL_GATEWAY_METRICS_PORT:-59468}"
export GOVHALL_GATEWAY_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
export GOVHALL_GATEWAY_SEARCH_ADDRESS="$GOVHALL_SEARCH_GRPC_ADDRESS"
export GOVHALL_GATEWAY_IDENTITY_ADDRESS="$GOVHALL_IDENTITY_GRPC_ADDRESS"
export GOVHALL_GATEWAY_CASES_ADDRESS="$GOVHALL_CASES_GRPC_ADDRESS"
export GOVHALL_GATEWAY_CONSULT_ADDRESS="$GOVHALL_CONSULT_GRPC_ADDRESS"
export GOVHALL_GATEWAY_APPOINTMENTS_ADDRESS="$GOVHALL_APPOINTMENTS_GRPC_ADDRESS"
export GOVHALL_GATEWAY_LICENCES_ADDRESS="$GOVHALL_LICENCES_GRPC_ADDRESS"
# The prefix of the gateway's Redis keys; identity writes revoked sessions under the same one.
export GOVHALL_GATEWAY_KV_NAMESPACE="${GOVHALL_GATEWAY_KV_NAMESPACE:-govhall}"
export GOVHALL_IDENTITY_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
# Search counts hot words under the same prefix, and reads the catalogue's export to reindex.
export GOVHALL_SEARCH_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
# Every service checks each call's session against the sessions identity revokes there.
export GOVHALL_CASES_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
export GOVHALL_CATALOGUE_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
export GOVHALL_CONSULT_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
export GOVHALL_APPOINTMENTS_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
export GOVHALL_LICENCES_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
export GOVHALL_CROSSPROVINCE_KV_NAMESPACE="$GOVHALL_GATEWAY_KV_NAMESPACE"
export GOVHALL_SEARCH_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
# Cases reads matters from the catalogue and agents and mailing addresses from identity; its
# uploaded materials and PDF notices are kept by content hash under var/ (in var/cases-files,
# as in all-in-one mode: files named by their hash can be shared).
export GOVHALL_CASES_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
export GOVHALL_CASES_IDENTITY_ADDRESS="$GOVHALL_IDENTITY_GRPC_ADDRESS"
# A material picked from the applicant's cloud drive (云盘选择) is asked of licences.
export GOVHALL_CASES_LICENCES_ADDRESS="$GOVHALL_LICENCES_GRPC_ADDRESS"
# Identity, search and cases ask the catalogue for a site their copy of the site tree lacks.
export GOVHALL_IDENTITY_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
# Consult reads matters' current names from the catalogue and mobiles (for SMS) from identity.
export GOVHALL_CONSULT_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
export GOVHALL_CONSULT_IDENTITY_ADDRESS="$GOVHALL_IDENTITY_GRPC_ADDRESS"
# Appointments reads matters (the guide's appointment flag) and sites from the catalogue, and the
# booker's contact details from identity.
export GOVHALL_APPOINTMENTS_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
export GOVHALL_APPOINTMENTS_IDENTITY_ADDRESS="$GOVHALL_IDENTITY_GRPC_ADDRESS"
# Licences reads matters and issuers from the catalogue, holders from identity, cases' holders
# and forms from cases.
export GOVHALL_LICENCES_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
export GOVHALL_LICENCES_IDENTITY_ADDRESS="$GOVHALL_IDENTITY_GRPC_ADDRESS"
export GOVHALL_LICENCES_CASES_ADDRESS="$GOVHALL_CASES_GRPC_ADDRESS"
# Crossprovince (跨省通办) reads the guides of the matters it offers partners from the catalogue,
# exports, records and receives handovers at cases, and reads the licence a cross-province case
# was issued at licences (returned with the result).
# Its partner endpoint (mutual TLS, port 50059) runs as 辽宁 210000 with the development CA
# dev_partners makes under var/ (a second instance, 吉林 220000 on 50069, can use the other half:
# README, "Cross-province").
export GOVHALL_CROSSPROVINCE_CATALOGUE_ADDRESS="$GOVHALL_CATALOGUE_GRPC_ADDRESS"
export GOVHALL_CROSSPROVINCE_CASES_ADDRESS="$GOVHALL_CASES_GRPC_ADDRESS"
export GOVHALL_CROSSPROVINCE_LICENCES_ADDRESS="$GOVHALL_LICENCES_GRPC_ADDRESS"
export GOVHALL_CROSSPROVINCE_DEV_DIR="${GOVHALL_CROSSPROVINCE_DEV_DIR:-$GOVHALL_VAR/crossprovince-dev}"
export GOVHALL_CASES_FILES_DIR="${GOVHALL_CASES_FILES_DIR:-$GOVHALL_VAR/cases-files}"
# The cloud drive's files (content-addressed; the blob sweep is safe beside cases' marks).
export GOVHALL_LICENCES_FILES_DIR="${GOVHALL_LICENCES_FILES_DIR:-$GOVHALL_VAR/licences-files}"
# Identity's development SMS gateway "delivers" codes here (JSON lines; the developer's phone).
export GOVHALL_IDENTITY_DEV_SMS_FILE="${GOVHALL_IDENTITY_DEV_SMS_FILE:-$GOVHALL_VAR/dev-sms.jsonl}"
# Consult's development SMS gateway texts inbox notifications (受理, 补正, 办结) to the same file.
export GOVHALL_CONSULT_DEV_SMS_FILE="${GOVHALL_CONSULT_DEV_SMS_FILE:-$GOVHALL_IDENTITY_DEV_SMS_FILE}"
export GOVHALL_GATEWAY_PORT="${GOVHALL_GATEWAY_PORT:-8000}"
# Where people open the portal (the gateway's / ): the QR codes on guides, notices and licences
# name its pages under it, so they follow the gateway's port (8001 beside a `make run` on 8000).
# Set GOVHALL_PUBLIC_URL for another address, or one template itself to override only that one.
GOVHALL_PUBLIC_URL="${GOVHALL_PUBLIC_URL:-http://127.0.0.1:$GOVHALL_GATEWAY_PORT}"
export GOVHALL_PUBLIC_URL="${GOVHALL_PUBLIC_URL%/}"
[[ -n "${GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE:-}" ]] ||
  export GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE="$GOVHALL_PUBLIC_URL/guide/{site_code}/{code}"
[[ -n "${GOVHALL_CASES_VERIFY_URL_TEMPLATE:-}" ]] ||
  export GOVHALL_CASES_VERIFY_URL_TEMPLATE="$GOVHALL_PUBLIC_URL/verify/notice/{document_id}?code={code}"
[[ -n "${GOVHALL_LICENCES_VERIFY_URL_TEMPLATE:-}" ]] ||
  export GOVHALL_LICENCES_VERIFY_URL_TEMPLATE="$GOVHALL_PUBLIC_URL/verify/licence?code={code}"
export GOVHALL_GATEWAY_ADMIN_TOKEN="${GOVHALL_GATEWAY_ADMIN_TOKEN:-govhall-dev-admin}"
export GOVHALL_METRICS_LOOPBACK=1
# Caller-assertion keys of every principal (govhall.kit.trust): each service signs its calls and
# checks its callers with them, and the demo loaders sign as ops. Made once under var/ and kept.
export GOVHALL_TRUST_DIR="${GOVHALL_TRUST_DIR:-$GOVHALL_VAR/trust}"
gateway_url="http://127.0.0.1:$GOVHALL_GATEWAY_PORT"

# Identity's data key (base64 of 32 random bytes: encrypts ID and mobile numbers and the signing
# keys at rest), generated once into var/ and kept: a new key makes the stored data unreadable.
# It is the file all-in-one mode generates for itself, so both modes read the same data.
data_key() {
  local file="$GOVHALL_VAR/identity-data.key"
  if [[ ! -s "$file" ]]; then
    (umask 077 && head -c32 /dev/urandom | base64 >"$file.tmp" && mv "$file.tmp" "$file")
    echo "identity: generated a development data key in $file"
  fi
  GOVHALL_IDENTITY_DATA_KEY="$(tr -d '[:space:]' <"$file")"
  export GOVHALL_IDENTITY_DATA_KEY
}

# A service's own credentials (its NATS user, ...) as KEY=VALUE lines, from the secrets env.sh
# exported: govhall.kit.testing.service_env, the one place that decides what each process gets.
# Only that process's environment gets them (never a command line another user could read).
own_env() { uv run --frozen python -m govhall.kit.testing service-env "$1"; }

# Streams made before their settings changed (kit/streams.py: retention, last-per-subject) are
# brought to them here, as the NATS admin: the services' own users may not update a stream.
stream_settings() {
  (
    export GOVHALL_NATS_USER=admin GOVHALL_NATS_PASSWORD="${GOVHALL_SECRET_NATS_ADMIN:?no NATS admin secret}"
    uv run --frozen python -m govhall.kit.streams
  )
}

# Development certificates, signing keys and partners files for 210000 and 220000 (made once,
# kept), and this instance's GOVHALL_CROSSPROVINCE_* settings from 210000's env file unless set.
dev_partners() {
  local dir="$GOVHALL_CROSSPROVINCE_DEV_DIR" line name
  if [[ ! -s "$dir/210000/env" ]]; then
    uv run --frozen python -m govhall.crossprovince devca --out "$dir" --province 210000 --province 220000
  fi
  while IFS= read -r line; do
    name="${line%%=*}"
    [[ -z "$line" || -n "${!name:-}" ]] || export "${line?}"
  done <"$dir/210000/env"
}

running() { [[ -f "$GOVHALL_RUN/$1.pid" ]] && kill -0 "$(cat "$GOVHALL_RUN/$1.pid")" 2>/dev/null; }

up() {
  [[ -n "${GOVHALL_IDENTITY_DATA_KEY:-}" ]] || data_key
  uv run --frozen python -m govhall.kit.trust init "$GOVHALL_TRUST_DIR"
  stream_settings
  dev_partners
  local s own line
  for s in "${SERVICES[@]}"; do
    if running "$s"; then echo "$s: already running"; continue; fi
    own="$(own_env "$s")"
    (
      # Not the others' secrets (env.sh exported them all): only this service's own.
      while IFS= read -r line; do unset "$line"; done < <(compgen -v GOVHALL_SECRET_)
      while IFS= read -r line; do [[ -z "$line" ]] || export "${line?}"; done <<<"$own"
      exec nohup uv run --frozen python -m "govhall.$s" >>"$GOVHALL_LOG/$s.log" 2>&1
    ) &
    echo $! >"$GOVHALL_RUN/$s.pid"
    echo "$s: started (log $GOVHALL_LOG/$s.log)"
  done
  for _ in $(seq 1 120); do
    # /readyz is the gateway's own readiness; the demo data needs every service it calls serving.
    if curl -fsS "$gateway_url/healthz/upstreams" >/dev/null 2>&1; then
      # The demo province, as in all-in-one mode (idempotent: an edited matter is left alone).
      uv run --frozen python -m govhall.catalogue.demo "$GOVHALL_CATALOGUE_GRPC_ADDRESS"
      # Demo staff (identity learns the demo sites from the catalogue's events first), and the
      # demo citizen who holds the demo licences (its subject left for the licences demo below).
      uv run --frozen python -m govhall.identity.demo "$GOVHALL_IDENTITY_GRPC_ADDRESS" \
        --citizen-file "$GOVHALL_VAR/demo-citizen"
      # Consult's demo letters: its public Q&As and a pending letter for xl_clerk, written by
      # consult's own code (LoadDemoLetters, as the operators; once: idempotent).
      uv run --frozen python -m govhall.consult.demo "$GOVHALL_CONSULT_GRPC_ADDRESS"
      # Appointments' demo halls, windows and timetables (through its API; idempotent).
      uv run --frozen python -m govhall.appointments.demo "$GOVHALL_APPOINTMENTS_GRPC_ADDRESS"
      # Licences' demo types (证照目录) linked to the demo matters (through its API; idempotent).
      uv run --frozen python -m govhall.licences.demo "$GOVHALL_LICENCES_GRPC_ADDRESS" \
        --holder "$(cat "$GOVHALL_VAR/demo-citizen")"
      echo "govhall is up: the portal at $GOVHALL_PUBLIC_URL/ (API docs at $gateway_url/docs)"
      echo "SMS verification codes (development): $GOVHALL_IDENTITY_DEV_SMS_FILE"
      return 0
    fi
    for s in "${SERVICES[@]}"; do
      running "$s" || { echo "$s exited; last lines of its log:" >&2; tail -n 40 "$GOVHALL_LOG/$s.log" >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "the gateway's upstreams did not all become ready; see $GOVHALL_LOG" >&2
  curl -sS "$gateway_url/healthz/upstreams" >&2 || true
  exit 1
}

down() {
  for s in "${SERVICES[@]}"; do
    if running "$s"; then
      pid="$(cat "$GOVHALL_RUN/$s.pid")"
      pkill -TERM -P "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "$s: stopped"
    fi
    rm -f "$GOVHALL_RUN/$s.pid"
  done
}

status() {
  for s in "${SERVICES[@]}"; do
    if running "$s"; then echo "$s: up (pid $(cat "$GOVHALL_RUN/$s.pid"))"; else echo "$s: down"; fi
  done
}

# The portal's address and the pages the QR codes open, as `up` hands them to the services.
urls() {
  local name
  for name in GOVHALL_PUBLIC_URL GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE \
    GOVHALL_CASES_VERIFY_URL_TEMPLATE GOVHALL_LICENCES_VERIFY_URL_TEMPLATE; do
    echo "$name=${!name}"
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  urls) urls ;;
  *) echo "usage: $0 up|down|status|urls" >&2; exit 2 ;;
esac
