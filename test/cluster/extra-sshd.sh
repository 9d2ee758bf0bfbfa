#!/usr/bin/env bash
# test/cluster/extra-sshd.sh start|stop|restart [PORT] — a second sshd for the SAME test user, host key and
# client key as the one test/cluster/start.sh runs on 2222, started the same way (daemonised
# /usr/sbin/sshd -f CONFIG -E LOG, pid file under $LOCAL_SLURM_DIR/run), on its own port (default 2223) with
# OpenSSH's default MaxSessions (10). Tests stop and restart it to cut connections without disturbing the
# shared sshd on 2222 that other test files use. `stop` drops its open connections too (its direct children,
# found by parent pid; never by name). stop.sh also stops it. Needs start.sh to have run; must run as root.
# Prints KNOWN_HOSTS=<file> (a known_hosts file for [127.0.0.1]:PORT) on start.
set -uo pipefail

BASE=${LOCAL_SLURM_DIR:-/tmp/local-slurm}
ACTION=${1:-}
PORT=${2:-${EXTRA_SSH_PORT:-2223}}
RUN=$BASE/run LOG=$BASE/log SSHD=$BASE/ssh
PIDFILE=$RUN/sshd-$PORT.pid
CONF=$SSHD/sshd_config.$PORT
KH=$SSHD/known_hosts.$PORT

die() { echo "ERROR: extra-sshd: $*" >&2; exit 1; }
[[ "$PORT" =~ ^[0-9]+$ ]] || die "bad port '$PORT'"
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { # prints the pid when the pid file names a live sshd
  local pid
  [ -s "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null); [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat /proc/$pid/comm 2>/dev/null)" = sshd ] || return 1
  echo "$pid"
}

stop() {
  local pid kids k i
  if pid=$(pid_alive); then
    kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ')
    kill -TERM "$pid" 2>/dev/null
    for k in $kids; do [ "$(cat /proc/$k/comm 2>/dev/null)" = sshd ] && kill -TERM "$k" 2>/dev/null; done
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    echo "[extra-sshd] stopped sshd on port $PORT (pid $pid; dropped: ${kids:-none})" >&2
  fi
  rm -f "$PIDFILE"
}

start() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  [ -s "$SSHD/sshd_config" ] && [ -s "$SSHD/ssh_host_ed25519_key.pub" ] || die "run test/cluster/start.sh first"
  if ! pid_alive >/dev/null; then
    port_busy "$PORT" && die "port $PORT is already in use; pass another port"
    sed -e "s|^Port .*|Port $PORT|" -e "s|^PidFile .*|PidFile $PIDFILE|" -e '/^MaxSessions /d' "$SSHD/sshd_config" > "$CONF"
    install -d -m 0755 /run/sshd
    /usr/sbin/sshd -t -f "$CONF" || die "sshd config test failed ($CONF)"
    /usr/sbin/sshd -f "$CONF" -E "$LOG/sshd-$PORT.log" || die "sshd failed to start; see $LOG/sshd-$PORT.log"
    for ((i = 0; i < 100; i++)); do port_busy "$PORT" && break; sleep 0.05; done
    port_busy "$PORT" || die "sshd not listening on 127.0.0.1:$PORT; see $LOG/sshd-$PORT.log"
    echo "[extra-sshd] started sshd on port $PORT (pid $(cat "$PIDFILE"))" >&2
  fi
  echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$SSHD/ssh_host_ed25519_key.pub")" > "$KH"
  echo "KNOWN_HOSTS=$KH"
}

case $ACTION in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|restart [PORT]" >&2; exit 2 ;;
esac
