# Sourced: start and stop a real single-node Slurm (munged, slurmctld, slurmd) inside one
# directory, as root, without systemd, on loopback ports only. Used by tests/slurm-live.sh
# and bench/slurm.sh. Follows the tested recipe in shared/slurm/ (its notes explain each
# setting); this is the project's own, smaller version: no accounting, no fake GPUs.
#
#   slurm_cluster_start DIR   -> 0 when the node is idle and a warm-up job completed
#   slurm_cluster_stop DIR    cancel every job, stop the daemons by their PIDs
#   slurm_cluster_restart_ctld DIR [SECONDS]   slurmctld down for SECONDS, then back
#   export SLURM_CONF=DIR/etc/slurm.conf   for every client (the library's too)
#
# Knobs: MMARML_SLURM_CTLD_PORT / MMARML_SLURM_SLURMD_PORT (16817 / 16818),
# MMARML_SLURM_MINJOBAGE (300).

_sc_log() { printf '[slurm] %s\n' "$*" >&2; }

# alive and not a zombie (PID 1 here reaps lazily; kill -0 succeeds on a zombie)
_sc_alive() {
    [ -e "/proc/$1" ] || return 1
    case "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" in Z|X|"") return 1 ;; esac
}

_sc_pid() { awk -v n="$2" '$1 == n { print $2 }' "$1/daemons.pids" 2>/dev/null; }

# _sc_until DIR DAEMON SECONDS CMD...: poll CMD while DAEMON lives
_sc_until() {
    local d=$1 name=$2 tenths=$(($3 * 10)) pid
    shift 3
    pid=$(_sc_pid "$d" "$name")
    until "$@" >/dev/null 2>&1; do
        tenths=$((tenths - 1))
        if [ $tenths -le 0 ] || ! _sc_alive "$pid"; then
            _sc_log "$name did not come up:"
            tail -n 10 "$d/log/$name"* >&2 2>/dev/null
            return 1
        fi
        sleep 0.1
    done
}

_sc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
_sc_munge_ok() { munge -n -S "$1/munge/munge.socket" | unmunge -S "$1/munge/munge.socket"; }
_sc_ctld_up() { scontrol ping | grep -q 'is UP'; }
_sc_idle() { [ "$(sinfo -h -n "$1" -o %t)" = idle ]; }
_sc_state() { scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2; }

slurm_cluster_start() {
    local d=$1 host cport=${MMARML_SLURM_CTLD_PORT:-16817} dport=${MMARML_SLURM_SLURMD_PORT:-16818}
    local p job n
    [ "$(id -u)" = 0 ] || { _sc_log "needs root: slurmd runs jobs as their owner"; return 1; }
    for p in munged slurmctld slurmd sbatch scontrol; do
        command -v $p >/dev/null || { _sc_log "$p is not installed"; return 1; }
    done
    for p in $cport $dport; do
        ! _sc_port_busy "$p" || { _sc_log "port $p is in use on 127.0.0.1"; return 1; }
    done
    host=$(hostname -s)
    # munged wants an o+x socket directory and private key/log directories
    mkdir -p "$d"/{munge,munge-priv,etc,state,spool,log,run} || return 1
    chmod 755 "$d" "$d/munge"
    chmod 700 "$d/munge-priv"
    dd if=/dev/urandom of="$d/munge-priv/munge.key" bs=128 count=1 status=none || return 1
    chmod 600 "$d/munge-priv/munge.key"
    cat > "$d/etc/slurm.conf" <<CONF
ClusterName=mmarml
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MinJobAge=${MMARML_SLURM_MINJOBAGE:-300}
KillWait=5
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$(nproc) RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$d/etc/slurm.conf"
    : > "$d/daemons.pids"
    # foreground daemons (-F/-D) in their own sessions: $! is the daemon itself
    setsid munged -F --socket="$d/munge/munge.socket" --key-file="$d/munge-priv/munge.key" \
        --log-file="$d/munge-priv/munged.log" --pid-file="$d/munge/munged.pid" \
        --seed-file="$d/munge-priv/munged.seed" </dev/null >>"$d/log/munged.err" 2>&1 &
    echo "munged $!" >> "$d/daemons.pids"
    _sc_until "$d" munged 30 _sc_munge_ok "$d" || return 1
    setsid slurmctld -D -f "$SLURM_CONF" </dev/null >>"$d/log/slurmctld.err" 2>&1 &
    echo "slurmctld $!" >> "$d/daemons.pids"
    _sc_until "$d" slurmctld 60 _sc_ctld_up || return 1
    setsid slurmd -D -f "$SLURM_CONF" -N "$host" </dev/null >>"$d/log/slurmd.err" 2>&1 &
    echo "slurmd $!" >> "$d/daemons.pids"
    _sc_until "$d" slurmd 60 _sc_idle "$host" || return 1
    # the scheduler's first pass comes ~3 s after slurmctld starts: a warm-up job absorbs it
    job=$(cd "$d" && sbatch --parsable -J warmup -o /dev/null --wrap true) || return 1
    for n in $(seq 600); do
        case "$(_sc_state "$job")" in
        COMPLETED) _sc_log "up: $d (warm-up job $job done)"; return 0 ;;
        FAILED|CANCELLED|TIMEOUT|NODE_FAIL) break ;;
        esac
        sleep 0.1
    done
    _sc_log "the warm-up job did not complete"
    tail -n 10 "$d/log/slurmd.log" >&2
    return 1
}

# Stop slurmctld (SIGTERM, as an admin's restart would), wait `$2` seconds, start it again on
# the same state directory: jobs keep running on the node and keep their ids.
slurm_cluster_restart_ctld() {
    local d=$1 pid n
    export SLURM_CONF="$d/etc/slurm.conf"
    pid=$(_sc_pid "$d" slurmctld)
    kill -TERM "$pid" 2>/dev/null
    for n in $(seq 150); do _sc_alive "$pid" || break; sleep 0.1; done
    sleep "${2:-2}"
    sed -i '/^slurmctld /d' "$d/daemons.pids"
    setsid slurmctld -D -f "$SLURM_CONF" </dev/null >>"$d/log/slurmctld.err" 2>&1 &
    echo "slurmctld $!" >> "$d/daemons.pids"
    _sc_until "$d" slurmctld 60 _sc_ctld_up
}

slurm_cluster_stop() {
    local d=$1 name pid n ids
    [ -f "$d/daemons.pids" ] || return 0
    export SLURM_CONF="$d/etc/slurm.conf"
    if _sc_alive "$(_sc_pid "$d" slurmctld)"; then
        ids=$(squeue -h -o %i 2>/dev/null)
        if [ -n "$ids" ]; then
            # shellcheck disable=SC2086
            scancel $ids 2>/dev/null
            for n in $(seq 100); do
                [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
                sleep 0.1
            done
        fi
    fi
    for name in slurmd slurmctld munged; do
        pid=$(_sc_pid "$d" "$name")
        [ -n "$pid" ] && _sc_alive "$pid" || continue
        kill -TERM "$pid" 2>/dev/null
        for n in $(seq 150); do _sc_alive "$pid" || break; sleep 0.1; done
        _sc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    # a slurmstepd of this cluster carries our SLURM_CONF: end exactly those
    for pid in $(ps -eo pid=,comm= | awk '$2 == "slurmstepd" { print $1 }'); do
        tr '\0' '\n' 2>/dev/null < "/proc/$pid/environ" | grep -qxF "SLURM_CONF=$d/etc/slurm.conf" &&
            kill -KILL "$pid" 2>/dev/null
    done
    mv -f "$d/daemons.pids" "$d/daemons.pids.stopped"
}
