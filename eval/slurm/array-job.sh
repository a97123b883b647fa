#!/usr/bin/env bash
# A real Slurm array job on this machine: starts a one-node cluster (munge, slurmctld, slurmd;
# Debian's slurm-wlm, as root), submits `entente pipeline --shard auto` as an array of N tasks,
# merges the shards with `entente merge`, and checks the result equals a single run byte for
# byte. Stops the daemons it started.
#
# Usage: eval/slurm/array-job.sh [INPUT_DIR (default corpora/)] [N (default 3)] [MODEL]
# Needs: apt-get install slurm-wlm; a built target/release/entente.
set -euo pipefail
cd "$(dirname "$0")/../.."
input="$(realpath "${1:-corpora}")"
n="${2:-3}"
model="$(realpath -m "${3:-models/test/tiny-selfcontained}")"
entente="$(realpath target/release/entente)"
work="$(mktemp -d /tmp/entente-slurm.XXXXXX)"
host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))

# munge: a key, then the daemon.
mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge
[[ -f /etc/munge/munge.key ]] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1k count=1 status=none
chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

mkdir -p "$work/spool/ctld" "$work/spool/d" "$work/log"
conf="$work/slurm.conf"
cat >"$conf" <<CONF
ClusterName=entente
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$conf"
/usr/sbin/slurmctld -f "$conf"
/usr/sbin/slurmd -f "$conf"
cleanup() {
  kill "$(cat "$work/slurmd.pid" 2>/dev/null)" "$(cat "$work/slurmctld.pid" 2>/dev/null)" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed' && break; sleep 1; done
sinfo

jid=$(sbatch --parsable --array=0-$((n - 1)) --chdir="$work" --output="$work/log/task-%a.out" \
  --wrap "$entente pipeline $input -o $work/shard-\$SLURM_ARRAY_TASK_ID --shard auto --model $model --quiet")
echo "submitted array job $jid ($n tasks)"
for _ in $(seq 600); do [[ -z "$(squeue -h -j "$jid" 2>/dev/null)" ]] && break; sleep 1; done
sacct -j "$jid" 2>/dev/null || true
cat "$work"/log/task-*.out
"$entente" merge -o "$work/merged" "$work"/shard-*
"$entente" pipeline "$input" -o "$work/single" --model "$model" --quiet
if diff -r -x run.json "$work/merged" "$work/single" >/dev/null; then
  echo "OK: $n Slurm array tasks merged == one run, byte for byte ($work)"
else
  diff -r -x run.json "$work/merged" "$work/single" | head; echo "MISMATCH"; exit 1
fi
