# shellcheck shell=bash
# Starting Redis (its ACL users, one per principal): sourced by start.sh,
# which calls start_redis.

# --- Redis -----------------------------------------------------------------------------------------
# ACL users, one line each (Redis 7 ACL file syntax), passwords as SHA-256 hashes. Every key is
# <namespace>:<kind>:..., the namespace being the deployment's (govhall) or a test run's, so the
# patterns match on the kind. The key kinds and commands are what the code uses (kit/kv.py and its
# callers): the gateway counts rate limits (rl), keeps its response cache (rc) and only reads the
# revoked sessions (rv) that identity writes; identity keeps its lock-outs (lg, lf, lw, lfc, login) and one-time codes (sms);
# every other service only reads rv, and search counts hot words (hw, and ztop scratch keys). The
# counters run as Lua scripts (EVALSHA, SCRIPT LOAD the first time), whose commands Redis checks
# against the same rules. admin (deploy/local, tests' clean-up) may do anything; default is off.
redis_acl() {
  local base="-@all +ping +hello +auth +select +evalsha +script|load"
  redis_acl_user admin "~* &* +@all"
  redis_acl_user gateway "resetchannels ~*:rl:* ~*:rc:* %R~*:rv:* $base +get +mget +set +ttl +incr +expire"
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
