#!/usr/bin/env bash
# test/pg/start.sh — bring up a REAL throwaway PostgreSQL cluster for the PostgreSQL tests
# (test/postgres.e2e-spec.ts through test/support/pg.ts) and for trying the server by hand:
#
#   DATABASE_URL=postgresql://uws:uws@127.0.0.1:55432/uws_test npm run start:dev
#
# Debian's `postgresql` package is installed with apt when missing (its post-install service start is
# blocked); the cluster itself is created and started WITHOUT systemd or pg_ctlcluster, in its own
# directory ($UWS_PG_DIR/data, owned by `postgres`), listening on 127.0.0.1:$UWS_PG_PORT and on a socket
# in $UWS_PG_DIR/run. It is tuned for tests (fsync off): never keep data you care about in it.
#
# Idempotent and fast: when our postmaster is alive and answering and the env file exists, it prints the
# env and exits 0 in a few ms. Concurrent runs are serialised with a lock. Exit status != 0 with an
# "ERROR:" line on stderr on any failure. Must run as root unless the fast path applies.
#
# Output: KEY=value lines on stdout; the same as `export` lines in $UWS_PG_DIR/env (source it):
#   UWS_TEST_DATABASE_URL=postgresql://uws:uws@127.0.0.1:55432/uws_test
# The role `uws` (password `uws`) may create databases (the tests make one per test file).
#
# Tunables (environment): UWS_PG_DIR (default /tmp/uws-pg), UWS_PG_PORT (default 55432),
#   UWS_PG_NO_INSTALL=1 (fail instead of running apt-get), UWS_PG_FORCE=1 (skip the fast path).
# Stop with test/pg/stop.sh (--purge removes the directory).
set -euo pipefail

BASE=${UWS_PG_DIR:-/tmp/uws-pg}
PORT=${UWS_PG_PORT:-55432}
DATA=$BASE/data RUN=$BASE/run LOGFILE=$BASE/postgres.log
ROLE=uws PASSWORD=uws DB=uws_test
T_START=$(date +%s%N)
export PGCONNECT_TIMEOUT=10   # no psql below waits longer than this for a connection

die() { echo "ERROR: uws-pg: $*" >&2; exit 1; }
log() { echo "[uws-pg] $*" >&2; }
ms_since_start() { echo $(( ($(date +%s%N) - T_START) / 1000000 )); }
wait_for() { # wait_for SECONDS CMD... -> 0 once CMD succeeds, 1 when the time is up
  local end=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.1
  done
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_bin() { # the bin directory of the newest installed server (a client-only version's has no initdb)
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && [ -x "$d/pg_isready" ] && { echo "$d"; return 0; }
  done
  return 1
}
postmaster_pid() { # prints the pid of OUR postmaster (first line of $DATA/postmaster.pid, alive, a postgres)
  local pid
  [ -r "$DATA/postmaster.pid" ] || return 1
  pid=$(head -1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  # a postmaster's working directory is its data directory: not another cluster's postgres with a reused pid
  [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(readlink -f "$DATA")" ] || return 1
  echo "$pid"
}
ready() { # our postmaster is alive and accepts connections on the TCP port
  local bin
  postmaster_pid >/dev/null || return 1
  bin=$(pg_bin) || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2
}
leftovers() { # pids of postgres processes still working in $DATA, or still named in its pid file (a zombie)
  local d pid out=() real
  real=$(readlink -f "$DATA")
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = postgres ] || continue
    pid=${d#/proc/}
    if [ "$(readlink "$d/cwd" 2>/dev/null)" = "$real" ] ||
       { [ -r "$DATA/postmaster.pid" ] && [ "$(head -1 "$DATA/postmaster.pid" 2>/dev/null)" = "$pid" ]; }; then
      out+=("$pid")
    fi
  done
  echo "${out[*]}"
}
no_leftovers() { [ -z "$(leftovers)" ]; }
print_env() { sed -n 's/^export //p' "$BASE/env"; }

# ---------------------------------------------------------------- 0. fast path: already running
if [ "${UWS_PG_FORCE:-0}" != 1 ] && [ -s "$BASE/env" ] && ready; then
  log "already running (pid $(postmaster_pid)); nothing to do ($(ms_since_start) ms)"
  print_env
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, runs the server as the postgres user)"
mkdir -p "$BASE"
chmod 755 "$BASE"
exec 9>"$BASE/.start.lock"   # the postmaster is started with 9>&-: it must not inherit the lock
flock -w 300 9 || die "another start.sh has held $BASE/.start.lock for more than 300 s"
if [ "${UWS_PG_FORCE:-0}" != 1 ] && [ -s "$BASE/env" ] && ready; then
  log "already running (started concurrently); nothing to do"
  print_env
  exit 0
fi
rm -f "$BASE/env"   # the fast path trusts the env file: it comes back only at the end of a complete start

# ---------------------------------------------------------------- 1. package
if ! pg_bin >/dev/null || ! id postgres >/dev/null 2>&1; then
  [ "${UWS_PG_NO_INSTALL:-0}" = 1 ] && die "PostgreSQL is not installed (UWS_PG_NO_INSTALL=1)"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and there is no apt-get"
  log "installing postgresql with apt-get"
  t0=$(date +%s)
  # Without a policy-rc.d, the package's postinst starts the system cluster (main, port 5432) as a
  # service; we want no service, only our own cluster. Block it for the time of the install.
  tmp_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1
  fi
  rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql; } >/tmp/uws-pg-apt.log 2>&1 || rc=$?
  [ $tmp_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || { tail -20 /tmp/uws-pg-apt.log >&2; die "apt-get install postgresql failed (rc=$rc), see /tmp/uws-pg-apt.log"; }
  log "postgresql installed in $(( $(date +%s) - t0 ))s"
fi
BIN=$(pg_bin) || die "no PostgreSQL server under /usr/lib/postgresql/*/bin after the install"
id postgres >/dev/null 2>&1 || die "user 'postgres' missing after the install"
as_pg() { runuser -u postgres -- "$@"; }

# ---------------------------------------------------------------- 2. cluster
install -d -m 0755 -o postgres -g postgres "$RUN"
if [ -s "$DATA/PG_VERSION" ]; then
  have=$(cat "$DATA/PG_VERSION")
  want=$(basename "$(dirname "$BIN")")
  [ "$have" = "$want" ] || die "$DATA holds a PostgreSQL $have cluster but the server is $want; run test/pg/stop.sh --purge"
else
  log "creating the cluster in $DATA"
  rm -rf "$DATA"
  install -d -m 0700 -o postgres -g postgres "$DATA"
  pwfile=$(mktemp)
  # the superuser gets a random password (only used over TCP; locally it is peer authentication)
  head -c 18 /dev/urandom | base64 > "$pwfile"; chown postgres "$pwfile"; chmod 600 "$pwfile"
  locale=(--locale=C.UTF-8)
  locale -a 2>/dev/null | grep -qix 'c.utf-\?8' || locale=(--no-locale)
  rc=0
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" -E UTF8 "${locale[@]}" \
    --auth-local=peer --auth-host=scram-sha-256 >"$BASE/initdb.log" 2>&1 || rc=$?
  rm -f "$pwfile"
  [ $rc = 0 ] || { tail -20 "$BASE/initdb.log" >&2; rm -rf "$DATA"; die "initdb failed, see $BASE/initdb.log"; }
fi

if pid=$(postmaster_pid); then
  log "postmaster already running (pid $pid)"
else
  if port_busy "$PORT"; then
    die "port $PORT is already in use by a process this script did not start; free it or set UWS_PG_PORT"
  fi
  # A killed server's processes linger a moment (its backends notice the postmaster's death, the zombie
  # is reaped); a new postmaster refuses to start while they hold the socket lock or shared memory.
  if [ -n "$(leftovers)" ]; then
    log "waiting for the processes of a stopped or killed server to exit: $(leftovers)"
    wait_for 15 no_leftovers || die "processes of an earlier server on $DATA are still there after 15 s: $(leftovers)"
  fi
  # a postmaster.pid left by a killed server (or a machine restart) whose pid is not our postmaster
  [ -e "$DATA/postmaster.pid" ] && { log "removing a stale $DATA/postmaster.pid"; rm -f "$DATA/postmaster.pid"; }
  touch "$LOGFILE"; chown postgres:postgres "$LOGFILE"
  # Throwaway and for tests: durability off (fsync, synchronous_commit, full_page_writes) makes it fast.
  opts="-p $PORT -k $RUN -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
  opts+=" -c full_page_writes=off -c max_connections=200 -c unix_socket_permissions=0777"
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -o "$opts" -w -t 60 start >"$BASE/pg_ctl.log" 2>&1 9>&- ||
    { tail -20 "$LOGFILE" >&2; die "pg_ctl start failed, see $LOGFILE and $BASE/pg_ctl.log"; }
fi
wait_for 60 "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2 ||
  { tail -20 "$LOGFILE" >&2; die "PostgreSQL does not answer on 127.0.0.1:$PORT after 60 s, see $LOGFILE"; }
postmaster_pid >/dev/null || die "something answers on $PORT but it is not the postmaster of $DATA"

# ---------------------------------------------------------------- 3. role and database
psql_su() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -d postgres "$@"; }
psql_su -c "do \$\$ begin
  if not exists (select from pg_roles where rolname = '$ROLE') then
    create role $ROLE login createdb password '$PASSWORD';
  else
    alter role $ROLE login createdb password '$PASSWORD';
  end if;
end \$\$;" || die "cannot create the role $ROLE"
if [ "$(psql_su -tA -c "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
  psql_su -c "create database $DB owner $ROLE" || die "cannot create the database $DB"
fi
URL="postgresql://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
# the check the tests rely on: a password login over TCP
PGPASSWORD=$PASSWORD "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -tA -c 'select 1' >/dev/null ||
  die "cannot log in as $ROLE over TCP"

cat > "$BASE/env.tmp" <<EOF
# source me: the throwaway PostgreSQL cluster of the tests (written by test/pg/start.sh)
export UWS_TEST_DATABASE_URL=$URL
export UWS_PG_DIR=$BASE
export UWS_PG_PORT=$PORT
export UWS_PG_BIN=$BIN
EOF
chmod 644 "$BASE/env.tmp"
mv -f "$BASE/env.tmp" "$BASE/env"
log "ready in $(ms_since_start) ms (pid $(postmaster_pid), log $LOGFILE)"
print_env
