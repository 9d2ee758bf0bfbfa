#!/usr/bin/env bash
# test/cluster/start.sh — bring up a REAL single-node SLURM 22.05 cluster (munged + slurmctld + slurmd)
# plus a REAL key-only sshd on 127.0.0.1, on one Debian bookworm machine, without systemd. Used by the
# SLURM/transport integration tests (test/slurm*.e2e-spec.ts, test/transport*.e2e-spec.ts) and by hand.
#
# Idempotent and fast: when everything this script starts is already up (pid files under
# $LOCAL_SLURM_DIR/run, slurmctld answering, sshd listening, env file present) it prints the connection
# details and exits 0 in ~50 ms. Otherwise (as root) it starts whatever is missing; anything
# already running that this script started is left alone; an already-running system munged is reused (and
# never stopped by stop.sh). Concurrent runs are serialised with a lock. Exit status != 0 with an "ERROR:"
# line on stderr on any failure.
#
# Output: KEY=value lines on stdout; the same as `export` lines in $LOCAL_SLURM_DIR/env (source it).
#
# Tunables (environment):
#   LOCAL_SLURM_DIR    state dir (default /tmp/local-slurm)
#   SSH_PORT           sshd port on 127.0.0.1 (default 2222)
#   SSH_USER           non-root test user, created if missing (default uwsjob)
#   SLURM_NODE_CPUS    CPUs advertised for the node (default 16; > real cores via config_overrides)
#   SLURMCTLD_PORT / SLURMD_PORT   (default 6817 / 6818)
#   SLURM_CONF_PATH    where slurm.conf is written (default /etc/slurm/slurm.conf — must be the
#                      default path so that sbatch run over ssh finds it without SLURM_CONF)
#   LOCAL_SLURM_OVERWRITE_CONF=1   overwrite a slurm.conf not written by this script
#   LOCAL_SLURM_SKIP_SMOKE=1       skip the final "ssh ... sbatch" smoke test
#   LOCAL_SLURM_NO_INSTALL=1       fail instead of running apt-get when packages are missing
#   LOCAL_SLURM_FORCE=1            skip the "already running" fast path (re-check and rewrite everything)
set -euo pipefail

BASE=${LOCAL_SLURM_DIR:-/tmp/local-slurm}
SSH_PORT=${SSH_PORT:-2222}
SSH_USER=${SSH_USER:-uwsjob}
NODE_CPUS=${SLURM_NODE_CPUS:-16}
CTLD_PORT=${SLURMCTLD_PORT:-6817}
SLURMD_PORT=${SLURMD_PORT:-6818}
CONF=${SLURM_CONF_PATH:-/etc/slurm/slurm.conf}
MARKER="# managed-by: start.sh"
RUN=$BASE/run LOG=$BASE/log SSHD=$BASE/ssh
T_START=$(date +%s%N)

die() { echo "ERROR: start-local-slurm: $*" >&2; exit 1; }
log() { echo "[start-local-slurm] $*" >&2; }
alive() { # alive PIDFILE EXPECTED_COMM -> 0 if pid in file is alive and its comm matches
  local f=$1 comm=$2 pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/comm" ] || return 1
  [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$comm" ]
}
port_busy() { # port_busy PORT -> 0 if something listens on 127.0.0.1/any:PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2; shift 2
  local end=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

print_env() { # KEY=value lines of the env file on stdout
  sed -n 's/^export //p' "$BASE/env"
}
cluster_up() { # everything ours is alive and answering, and a complete start wrote the env file
  [ -s "$BASE/env" ] && [ -s "$SSHD/known_hosts" ] || return 1
  alive "$RUN/slurmctld.pid" slurmctld && alive "$RUN/slurmd.pid" slurmd && alive "$RUN/sshd.pid" sshd || return 1
  port_busy "$SSH_PORT" || return 1
  scontrol ping 2>/dev/null | grep -q 'is UP' || return 1
  sinfo -h -o %T 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'
}

# ---------------------------------------------------------------- 0. fast path: already running
if [ "${LOCAL_SLURM_FORCE:-0}" != 1 ] && cluster_up; then
  log "already running; nothing to do ($(( ($(date +%s%N) - T_START) / 1000000 )) ms)"
  print_env
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (needs to start munged/slurmd/sshd and create users)"
# serialise concurrent starts (e.g. several test files' beforeAll); a waiting one then takes the fast path
mkdir -p "$BASE"
exec 9>"$BASE/.start.lock"   # every daemon below is started with 9>&-: it must not inherit the lock
flock -w 180 9 || die "another start.sh has held $BASE/.start.lock for more than 180 s"
if [ "${LOCAL_SLURM_FORCE:-0}" != 1 ] && cluster_up; then
  log "already running (started concurrently); nothing to do"
  print_env
  exit 0
fi
rm -f "$BASE/env"   # the fast path trusts the env file: it comes back only at the end of a complete start
if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF" && [ "${LOCAL_SLURM_OVERWRITE_CONF:-0}" != 1 ]; then
  die "$CONF exists and was not written by this script; set LOCAL_SLURM_OVERWRITE_CONF=1 to overwrite it (a backup is kept)"
fi

# preflight: fail before starting anything if a port we need is taken by someone else
for spec in "$CTLD_PORT:slurmctld:SLURMCTLD_PORT" "$SLURMD_PORT:slurmd:SLURMD_PORT" "$SSH_PORT:sshd:SSH_PORT"; do
  IFS=: read -r p d v <<< "$spec"
  if ! alive "$RUN/$d.pid" "$d" && port_busy "$p"; then
    die "port $p (for $d) is already in use by a process this script did not start; free it or set $v"
  fi
done

# ---------------------------------------------------------------- 1. packages
need_pkgs=()
command -v munged   >/dev/null 2>&1 || [ -x /usr/sbin/munged ]   || need_pkgs+=(munge)
[ -x /usr/sbin/slurmctld ] || need_pkgs+=(slurmctld)
[ -x /usr/sbin/slurmd ]    || need_pkgs+=(slurmd)
command -v sbatch   >/dev/null 2>&1 || need_pkgs+=(slurm-client)
[ -x /usr/sbin/sshd ]      || need_pkgs+=(openssh-server)
command -v ssh      >/dev/null 2>&1 || need_pkgs+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || need_pkgs+=(openssh-client)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "${LOCAL_SLURM_NO_INSTALL:-0}" = 1 ] && die "missing packages: ${need_pkgs[*]} (LOCAL_SLURM_NO_INSTALL=1)"
  log "installing: ${need_pkgs[*]}"
  t0=$(date +%s)
  # Without a policy-rc.d, the Debian postinst scripts run 'invoke-rc.d <svc> start || exit 1';
  # slurmctld/slurmd cannot start without a slurm.conf, which would fail the install. Block it.
  tmp_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1
  fi
  rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      munge slurmctld slurmd slurm-client openssh-server openssh-client; } >"/tmp/local-slurm-apt.log" 2>&1 || rc=$?
  [ $tmp_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ $rc = 0 ] || { tail -20 /tmp/local-slurm-apt.log >&2; die "apt-get install failed (rc=$rc), see /tmp/local-slurm-apt.log"; }
  log "packages installed in $(( $(date +%s) - t0 ))s"
fi
id munge >/dev/null 2>&1 || die "user 'munge' missing after install"
id slurm >/dev/null 2>&1 || die "user 'slurm' missing after install"

mkdir -p "$RUN" "$LOG" "$SSHD" "$BASE/state" "$BASE/spool"
chmod 755 "$BASE" "$RUN" "$LOG"
chown slurm:slurm "$BASE/state" "$LOG"
chmod 700 "$SSHD"

# ---------------------------------------------------------------- 2. munge
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if alive "$RUN/munged.pid" munged && munge_ok; then
  log "munged already running (ours, pid $(cat "$RUN/munged.pid"))"
elif munge_ok; then
  log "reusing an already-running munged that this script did not start (will not stop it)"
  rm -f "$RUN/munged.pid"
else
  rm -f "$RUN/munged.pid"
  install -d -m 0700 -o munge -g munge /etc/munge
  if [ ! -s /etc/munge/munge.key ]; then
    log "creating /etc/munge/munge.key"
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown munge:munge /etc/munge/munge.key; chmod 0600 /etc/munge/munge.key
  install -d -m 0755 -o munge -g munge /run/munge          # socket dir; must not be group/world-writable
  install -d -m 0700 -o munge -g munge /var/log/munge
  install -d -m 0711 -o munge -g munge /var/lib/munge
  # a stale socket/lock from a killed munged makes the new one fail; remove only if nothing answers
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid \
     --log-file=/var/log/munge/munged.log 9>&- || die "munged failed to start; see /var/log/munge/munged.log"
  wait_for 10 munged munge_ok || die "munged started but 'munge -n | unmunge' fails; see /var/log/munge/munged.log"
  cp /run/munge/munged.pid "$RUN/munged.pid"
  log "munged started (pid $(cat "$RUN/munged.pid"))"
fi

# ---------------------------------------------------------------- 3. slurm.conf
NODE=${SLURM_NODE_NAME:-$(hostname -s)}
[ -n "$NODE" ] || die "cannot determine short hostname (hostname -s is empty)"
MEM=$(awk '/MemTotal/ {printf "%d", $2/1024 - 512}' /proc/meminfo)
[ "$MEM" -gt 256 ] 2>/dev/null || MEM=1024
mkdir -p "$(dirname "$CONF")"
if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
  [ "${LOCAL_SLURM_OVERWRITE_CONF:-0}" = 1 ] || die "$CONF exists and was not written by this script; set LOCAL_SLURM_OVERWRITE_CONF=1 to overwrite it (a backup is kept)"
  cp -a "$CONF" "$CONF.bak.$(date +%s)"
fi
NEWCONF=$(mktemp)
cat > "$NEWCONF" <<EOF
$MARKER
ClusterName=localcluster
SlurmctldHost=${NODE}(127.0.0.1)
SlurmctldPort=${CTLD_PORT}
SlurmdPort=${SLURMD_PORT}
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# no cgroups anywhere: works in containers / gVisor / no systemd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# no slurmdbd => sacct does not work; finished jobs are appended here instead
JobCompType=jobcomp/filetxt
JobCompLoc=${LOG}/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# schedule newly submitted batch jobs on the next 1 s tick of slurmctld's background loop (default 3 s)
SchedulerParameters=batch_sched_delay=0
# slurm.conf node definition wins over detected hardware (allows CPUs > real cores)
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=2
OverTimeLimit=0
MinJobAge=300
MailProg=/bin/true
StateSaveLocation=${BASE}/state
SlurmdSpoolDir=${BASE}/spool
SlurmctldPidFile=${RUN}/slurmctld.pid
SlurmdPidFile=${RUN}/slurmd.pid
SlurmctldLogFile=${LOG}/slurmctld.log
SlurmdLogFile=${LOG}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=${NODE} NodeAddr=127.0.0.1 NodeHostname=${NODE} CPUs=${NODE_CPUS} Sockets=1 CoresPerSocket=${NODE_CPUS} ThreadsPerCore=1 RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
EOF
if ! cmp -s "$NEWCONF" "$CONF"; then
  conf_changed=1
  install -m 0644 "$NEWCONF" "$CONF"
else
  conf_changed=0
fi
rm -f "$NEWCONF"

# ---------------------------------------------------------------- 4. slurmctld + slurmd
if [ "$conf_changed" = 1 ] && { alive "$RUN/slurmctld.pid" slurmctld || alive "$RUN/slurmd.pid" slurmd; }; then
  log "slurm.conf changed; restarting our slurm daemons"
  for p in slurmd slurmctld; do
    if alive "$RUN/$p.pid" $p; then kill "$(cat "$RUN/$p.pid")"; fi
  done
  for p in slurmd slurmctld; do wait_for 15 "$p exit" bash -c "! kill -0 \$(cat '$RUN/$p.pid') 2>/dev/null" || true; done
fi
if alive "$RUN/slurmctld.pid" slurmctld; then
  log "slurmctld already running (pid $(cat "$RUN/slurmctld.pid"))"
else
  rm -f "$RUN/slurmctld.pid"
  port_busy "$CTLD_PORT" && die "port $CTLD_PORT already in use (another slurmctld?); set SLURMCTLD_PORT"
  /usr/sbin/slurmctld -f "$CONF" 9>&- || die "slurmctld failed to start; see $LOG/slurmctld.log"
  wait_for 15 slurmctld scontrol ping || { tail -20 "$LOG/slurmctld.log" >&2; die "slurmctld does not answer 'scontrol ping'"; }
  log "slurmctld started (pid $(cat "$RUN/slurmctld.pid"))"
fi
if alive "$RUN/slurmd.pid" slurmd; then
  log "slurmd already running (pid $(cat "$RUN/slurmd.pid"))"
else
  rm -f "$RUN/slurmd.pid"
  port_busy "$SLURMD_PORT" && die "port $SLURMD_PORT already in use (another slurmd?); set SLURMD_PORT"
  /usr/sbin/slurmd -f "$CONF" -N "$NODE" 9>&- || die "slurmd failed to start; see $LOG/slurmd.log"
  wait_for 10 slurmd test -s "$RUN/slurmd.pid" || die "slurmd wrote no pid file; see $LOG/slurmd.log"
  log "slurmd started (pid $(cat "$RUN/slurmd.pid"))"
fi
node_idle() { sinfo -h -n "$NODE" -o %T | grep -Eq '^(idle|mixed|allocated)'; }
if ! wait_for 20 "node idle" node_idle; then
  # e.g. DOWN/DRAIN left over in saved state: try to resume once
  scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
  wait_for 10 "node idle" node_idle || { sinfo -N -l >&2; tail -20 "$LOG/slurmd.log" >&2; die "node $NODE is not idle: $(sinfo -h -n "$NODE" -o '%T %E')"; }
fi

# ---------------------------------------------------------------- 5. ssh test user + sshd
if ! id "$SSH_USER" >/dev/null 2>&1; then
  useradd -m -s /bin/bash "$SSH_USER" || die "cannot create user $SSH_USER"
fi
# useradd leaves the account locked ('!' in /etc/shadow); with UsePAM no, sshd then refuses even
# public-key logins ("User ... not allowed because account is locked"). '*' = no password, not locked.
if [ "$(getent shadow "$SSH_USER" | cut -d: -f2)" = "!" ] || getent shadow "$SSH_USER" | cut -d: -f2 | grep -q '^!'; then
  usermod -p '*' "$SSH_USER"
fi
HOME_DIR=$(getent passwd "$SSH_USER" | cut -d: -f6)
[ -d "$HOME_DIR" ] || { mkdir -p "$HOME_DIR"; chown "$SSH_USER:" "$HOME_DIR"; }
[ -s "$SSHD/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C local-slurm-sshd-host -f "$SSHD/ssh_host_ed25519_key"
[ -s "$SSHD/client_key" ]           || ssh-keygen -q -t ed25519 -N '' -C "$SSH_USER@local-slurm" -f "$SSHD/client_key"
chmod 600 "$SSHD/client_key" "$SSHD/ssh_host_ed25519_key"
install -d -m 700 -o "$SSH_USER" -g "$(id -gn "$SSH_USER")" "$HOME_DIR/.ssh"
AK=$HOME_DIR/.ssh/authorized_keys
touch "$AK"; grep -qxF "$(cat "$SSHD/client_key.pub")" "$AK" || cat "$SSHD/client_key.pub" >> "$AK"
chown "$SSH_USER:" "$AK"; chmod 600 "$AK"
echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$SSHD/ssh_host_ed25519_key.pub")" > "$SSHD/known_hosts"
cat > "$SSHD/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSHD/ssh_host_ed25519_key
PidFile $RUN/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $SSH_USER
UsePAM no
StrictModes yes
X11Forwarding no
PrintMotd no
MaxStartups 100:30:200
MaxSessions 50
Subsystem sftp internal-sftp
EOF
install -d -m 0755 /run/sshd    # privilege-separation dir; sshd refuses to start without it
/usr/sbin/sshd -t -f "$SSHD/sshd_config" || die "sshd config test failed ($SSHD/sshd_config)"
if alive "$RUN/sshd.pid" sshd; then
  log "sshd already running (pid $(cat "$RUN/sshd.pid"))"
else
  rm -f "$RUN/sshd.pid"
  port_busy "$SSH_PORT" && die "port $SSH_PORT already in use; set SSH_PORT"
  /usr/sbin/sshd -f "$SSHD/sshd_config" -E "$LOG/sshd.log" 9>&- || die "sshd failed to start; see $LOG/sshd.log"
  wait_for 10 sshd port_busy "$SSH_PORT" || die "sshd not listening on 127.0.0.1:$SSH_PORT; see $LOG/sshd.log"
  log "sshd started (pid $(cat "$RUN/sshd.pid"))"
fi

SSH_OPTS=(-p "$SSH_PORT" -i "$SSHD/client_key" -o BatchMode=yes -o IdentitiesOnly=yes
          -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$SSHD/known_hosts" -o LogLevel=ERROR)
HOST_KEY_FP=$(ssh-keygen -l -E sha256 -f "$SSHD/ssh_host_ed25519_key.pub" | awk '{print $2}')
cat > "$BASE/env.tmp" <<EOF
# source me: connection details for the local SLURM-over-SSH test cluster (written by test/cluster/start.sh)
export LOCAL_SLURM_SSH_HOST=127.0.0.1
export LOCAL_SLURM_SSH_PORT=$SSH_PORT
export LOCAL_SLURM_SSH_USER=$SSH_USER
export LOCAL_SLURM_SSH_KEY=$SSHD/client_key
export LOCAL_SLURM_SSH_KNOWN_HOSTS=$SSHD/known_hosts
export LOCAL_SLURM_SSH_HOST_KEY_PUB=$SSHD/ssh_host_ed25519_key.pub
export LOCAL_SLURM_SSH_HOST_KEY_FINGERPRINT=$HOST_KEY_FP
export LOCAL_SLURM_SSHD_PID_FILE=$RUN/sshd.pid
export LOCAL_SLURM_REMOTE_HOME=$HOME_DIR
export LOCAL_SLURM_PARTITION=debug
export LOCAL_SLURM_NODE=$NODE
export LOCAL_SLURM_CONF=$CONF
export LOCAL_SLURM_JOBCOMP_LOG=$LOG/jobcomp.log
export LOCAL_SLURM_DIR=$BASE
export LOCAL_SLURM_ENV_FILE=$BASE/env
EOF
chmod 644 "$BASE/env.tmp"

# ---------------------------------------------------------------- 6. smoke test
if [ "${LOCAL_SLURM_SKIP_SMOKE:-0}" != 1 ]; then
  out=$(ssh "${SSH_OPTS[@]}" "$SSH_USER@127.0.0.1" \
        "sbatch --parsable --time=1 -o $HOME_DIR/.local-slurm-smoke-%j.out --wrap 'echo smoke-ok'" 2>&1) ||
    die "smoke test 'ssh $SSH_USER@127.0.0.1 -p $SSH_PORT sbatch' failed: $out"
  [[ "$out" =~ ^[0-9]+$ ]] || die "smoke test: unexpected sbatch output: $out"
  log "smoke test: job $out submitted over ssh as $SSH_USER"
  if [ "${LOCAL_SLURM_SMOKE_WAIT:-1}" = 1 ]; then
    # the first scheduling pass of a fresh slurmctld happens ~3 s after it starts
    smoke_done() { [ "$(cat "$HOME_DIR/.local-slurm-smoke-$out.out" 2>/dev/null)" = smoke-ok ] &&
                   scontrol show job "$out" 2>/dev/null | grep -q 'JobState=COMPLETED'; }
    wait_for 30 "smoke job" smoke_done ||
      die "smoke job $out did not complete: $(scontrol show job "$out" 2>&1 | grep -Eo 'JobState=[A-Z]+ Reason=[^ ]+'); see $LOG/slurmd.log"
    rm -f "$HOME_DIR/.local-slurm-smoke-$out.out"
    log "smoke test ok: job $out ran as $SSH_USER and COMPLETED"
  fi
fi

mv -f "$BASE/env.tmp" "$BASE/env"
log "ready in $(( ($(date +%s%N) - T_START) / 1000000 )) ms"
print_env
echo "# e.g.: ssh ${SSH_OPTS[*]} $SSH_USER@127.0.0.1 sbatch --wrap hostname"
