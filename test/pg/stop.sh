#!/usr/bin/env bash
# test/pg/stop.sh — stop the throwaway PostgreSQL cluster of test/pg/start.sh, and only it: pg_ctl stop
# on its data directory ($UWS_PG_DIR/data), never by process name. Idempotent (not running => exit 0).
#   --purge   also delete $UWS_PG_DIR (the cluster and every database in it)
set -uo pipefail

BASE=${UWS_PG_DIR:-/tmp/uws-pg}
DATA=$BASE/data
PURGE=0
for a in "$@"; do
  case $a in
    --purge) PURGE=1 ;;
    *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
  esac
done
log() { echo "[uws-pg] $*" >&2; }

postmaster_pid() {
  local pid
  [ -r "$DATA/postmaster.pid" ] || return 1
  pid=$(head -1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  # a postmaster's working directory is its data directory: not another cluster's postgres with a reused pid
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(readlink -f "$DATA")" ] || return 1
  echo "$pid"
}

# the server that runs the cluster: the version its data directory was made with
BIN=/usr/lib/postgresql/$(cat "$DATA/PG_VERSION" 2>/dev/null)/bin
rm -f "$BASE/env"   # start.sh's fast path must not trust a stopped cluster
fail=0
if pid=$(postmaster_pid); then
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  # fast shutdown: disconnects clients, no waiting for them; pg_ctl -w waits at most -t seconds
  if run_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1; then
    log "stopped (pid $pid)"
  else
    log "pg_ctl stop -m fast failed or timed out; trying immediate"
    run_pg "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 15 stop >/dev/null 2>&1 || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "ERROR: could not stop the postmaster (pid $pid)"; fail=1; else log "stopped (pid $pid)"; fi
  fi
else
  log "not running"
fi

if [ "$PURGE" = 1 ] && [ "$fail" = 0 ] && [ -d "$BASE" ]; then
  rm -rf -- "$BASE"
  log "purged $BASE"
fi
[ "$fail" = 0 ] || { echo "ERROR: uws-pg: the cluster could not be stopped" >&2; exit 1; }
