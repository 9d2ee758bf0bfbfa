#!/usr/bin/env bash
# test/cluster/stop.sh — tear down what test/cluster/start.sh started, using ONLY its pid files
# ($LOCAL_SLURM_DIR/run/*.pid). Never kills by process name. Idempotent (nothing running => exit 0).
#   --purge   also delete $LOCAL_SLURM_DIR (slurm state => job ids restart at 1, ssh keys regenerated)
#   --sshd    stop ONLY the test sshd and drop its open connections (its direct children, found by parent
#             pid), leaving SLURM running: the transport tests use it to cut connections; start.sh brings
#             sshd back (same host key, same port).
# Jobs still known to our slurmctld are cancelled first, so their slurmstepd/job processes
# (which survive a slurmd kill) are cleaned up by SLURM itself.
set -uo pipefail

BASE=${LOCAL_SLURM_DIR:-/tmp/local-slurm}
RUN=$BASE/run
PURGE=0 SSHD_ONLY=0
for a in "$@"; do
  case $a in
    --purge) PURGE=1 ;;
    --sshd) SSHD_ONLY=1 ;;
    *) echo "usage: $0 [--purge | --sshd]" >&2; exit 2 ;;
  esac
done
[ "$PURGE$SSHD_ONLY" = 11 ] && { echo "usage: $0 [--purge | --sshd]" >&2; exit 2; }
log() { echo "[stop-local-slurm] $*" >&2; }
fail=0

pid_of() { # pid_of NAME COMM -> prints pid if pid file exists, pid alive and /proc/PID/comm == COMM
  local f=$RUN/$1.pid pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null); [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$2" ] || return 1
  echo "$pid"
}
stop_all() { # stop_all NAME:COMM ... : SIGTERM all at once, wait (<=30 s), then SIGKILL stragglers
  local spec name comm pid i left
  local -A pids=()
  for spec in "$@"; do
    name=${spec%%:*} comm=${spec#*:}
    if pid=$(pid_of "$name" "$comm"); then
      pids[$name]=$pid; kill -TERM "$pid" 2>/dev/null
    else
      [ -e "$RUN/$name.pid" ] && log "$name: pid file stale (process gone or pid reused) - removing"
      rm -f "$RUN/$name.pid"
    fi
  done
  for ((i = 0; i < 300; i++)); do
    left=0
    for name in "${!pids[@]}"; do kill -0 "${pids[$name]}" 2>/dev/null && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for spec in "$@"; do
    name=${spec%%:*} comm=${spec#*:}
    [ -n "${pids[$name]:-}" ] || continue
    pid=${pids[$name]}
    if kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$comm" ]; then
      log "$name (pid $pid) ignored SIGTERM for 30s - sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null; sleep 0.3
      if kill -0 "$pid" 2>/dev/null; then log "ERROR: could not stop $name (pid $pid)"; fail=1; continue; fi
    fi
    rm -f "$RUN/$name.pid"; log "$name stopped (pid $pid)"
  done
}

if [ "$SSHD_ONLY" = 1 ]; then
  if pid=$(pid_of sshd sshd); then
    # the listener first (no new connections), then its per-connection children (open sessions drop)
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ')
    kill -TERM "$pid" 2>/dev/null
    for k in $kids; do [ "$(cat /proc/$k/comm 2>/dev/null)" = sshd ] && kill -TERM "$k" 2>/dev/null; done
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    rm -f "$RUN/sshd.pid"
    log "sshd stopped (pid $pid; dropped connections: ${kids:-none})"
  else
    log "sshd not running"
  fi
  exit 0
fi

# 1. cancel jobs on OUR cluster while slurmctld/slurmd still run (only if slurmctld is ours)
if pid_of slurmctld slurmctld >/dev/null && pid_of slurmd slurmd >/dev/null; then
  ids=$(squeue -h -t PD,R,CG,S,CF -o %i 2>/dev/null | tr '\n' ' ')
  if [ -n "${ids// /}" ]; then
    log "cancelling jobs: $ids"
    scancel $ids 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do   # KillWait=2, so 15 s is plenty
      [ -z "$(squeue -h -t PD,R,CG,S,CF -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
fi

# 2. daemons (munged only has a pid file if start.sh started it itself); extra sshds of extra-sshd.sh first
for f in "$RUN"/sshd-*.pid; do
  [ -e "$f" ] || continue
  p=${f##*/sshd-}; p=${p%.pid}
  bash "$(dirname "$0")/extra-sshd.sh" stop "$p"
done
stop_all sshd:sshd slurmd:slurmd slurmctld:slurmctld munged:munged

if [ "$PURGE" = 1 ]; then
  if [ "$fail" = 0 ] && [ -d "$BASE" ]; then
    rm -rf -- "$BASE"; log "purged $BASE"
  fi
  CONF=${SLURM_CONF_PATH:-/etc/slurm/slurm.conf}
  if [ -f "$CONF" ] && grep -qF "# managed-by: start.sh" "$CONF"; then
    rm -f -- "$CONF"; log "removed $CONF"
  fi
fi
[ "$fail" = 0 ] || { echo "ERROR: stop-local-slurm: some daemons could not be stopped" >&2; exit 1; }
log "done"
