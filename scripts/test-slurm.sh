#!/bin/bash
# make test-slurm: a one-node Slurm cluster on this machine (loopback only),
# the deploy/slurm scripts submitted to it, their outputs checked against
# single-process runs. Needs root (the daemons run as root, with every
# file in a temporary directory). Every wait is bounded; the daemons are
# stopped on exit, whatever happens.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "test-slurm: needs root (it starts munged, slurmctld and slurmd)" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
SCENARIO=${SCENARIO:-quadratic-2d}
TIMEOUT=${TIMEOUT:-600} # seconds for all jobs together
T=$(mktemp -d /tmp/grd-slurm.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	echo "test-slurm: daemons stopped; logs and outputs in $T"
}
trap cleanup EXIT
fail() { echo "test-slurm: FAIL: $*" >&2; exit 1; }

# --- grd builds: the MPI one if the tree has it, else plain grd (-np 1).
go build -o "$T/grd" ./cmd/grd
MPI_GRD=""
if grep -q '^build-mpi:' Makefile && make -s build-mpi >"$T/build-mpi.log" 2>&1 && [ -x bin/grd-mpi ]; then
	MPI_GRD=$repo/bin/grd-mpi
	echo "test-slurm: MPI script with bin/grd-mpi, 2 ranks"
else
	echo "test-slurm: no bin/grd-mpi on this branch: the MPI script runs plain grd as one task (-np 1 equivalent)"
fi

# --- munge, on its own socket and key.
mkdir -p "$T/munge" && chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged -f -F --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
	--pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" --seed-file="$T/munge/seed" >"$T/munge/stdout.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$T/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$T/munge/munge.sock" ] || fail "munged did not start (see $T/munge/munged.log)"

# --- Slurm, loopback only.
mkdir -p "$T/state" "$T/spool"
cat >"$T/slurm.conf" <<CONF
ClusterName=grdtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$T/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$T/slurmctld.stdout" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost >"$T/slurmd.stdout" 2>&1 &
pids+=($!)
for _ in $(seq 150); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
sinfo -h -o %T | grep -q idle || fail "the node did not come up (see $T/slurmctld.log, $T/slurmd.log)"
echo "test-slurm: cluster up: $(sinfo -h -o '%P %D %T %c')"

# wait_jobs ID… waits (bounded) until the jobs leave the queue, then
# requires each to have COMPLETED.
deadline=$((SECONDS + TIMEOUT))
wait_jobs() {
	for j in "$@"; do
		while squeue -h -j "$j" 2>/dev/null | grep -q .; do
			[ $SECONDS -lt $deadline ] || { scancel "$j" || true; fail "job $j still running after ${TIMEOUT}s"; }
			sleep 1
		done
		for st in $(scontrol show job "$j" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2); do
			[ "$st" = COMPLETED ] || fail "job $j ended $st (outputs in $T)"
		done
	done
}

cd "$T"
D=$repo/deploy/slurm
# 1. The MPI batch script.
if [ -n "$MPI_GRD" ]; then
	# Two ranks on the one node: --ntasks-per-node overrides the script's 1.
	# The script's own launcher, srun --mpi=pmix (Slurm's PMIx plugin
	# serves Open MPI's ranks); Open MPI's TCP on loopback only.
	mpi=$(OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
		sbatch --parsable --nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=1 \
		--export=ALL,GRD="$MPI_GRD",SCENARIO="$SCENARIO",OUT="$T/mpi",SRUN_MPI=pmix "$D/grd-mpi.sbatch")
else
	mpi=$(sbatch --parsable --nodes=1 --ntasks=1 --cpus-per-task=1 \
		--export=ALL,GRD="$T/grd",SCENARIO="$SCENARIO",OUT="$T/mpi",LAUNCH=srun "$D/grd-mpi.sbatch")
fi
# 2. The ε sweep: array + collect.
SAFETIES="0.05 0.1 0.2 0.4"
sweep_out=$(SCENARIO=$SCENARIO OUT=$T/sweep GRD=$T/grd SAFETIES=$SAFETIES "$D/submit-sweep.sh" --cpus-per-task=1)
echo "test-slurm: $sweep_out"
read -r sweep_array sweep_collect < <(echo "$sweep_out" | sed -E 's/.*array job ([0-9]+).*collect job ([0-9]+).*/\1 \2/')
# 3. The ensemble: array + fold.
ens_out=$(SCENARIO=$SCENARIO OUT=$T/ens GRD=$T/grd TASKS=3 RUNS=4 SEED0=7 "$D/submit-ensemble.sh" --cpus-per-task=1)
echo "test-slurm: $ens_out"
read -r ens_array ens_fold < <(echo "$ens_out" | sed -E 's/.*array job ([0-9]+).*fold job ([0-9]+).*/\1 \2/')
wait_jobs "$mpi" "$sweep_array" "$sweep_collect" "$ens_array" "$ens_fold"
echo "test-slurm: all jobs COMPLETED"

# --- Checks against single-process runs.
"$T/grd" run "$SCENARIO" --out "$T/ref-run" --quiet --workers 1
for f in "$T"/ref-run/*.csv; do
	cmp -s "$f" "$T/mpi/$(basename "$f")" || fail "MPI script: $(basename "$f") differs from the single-process run"
done
if [ -n "$MPI_GRD" ]; then
	# srun must have started one world of 2 ranks, not 2 singletons.
	grep -q '"ranks": 2' "$T/mpi/summary.json" || fail "MPI script: summary.json does not record 2 ranks: $(grep '"ranks"' "$T/mpi/summary.json")"
fi
echo "test-slurm: MPI script: every CSV identical to the single-process run ($(ls "$T"/ref-run/*.csv | wc -l) files)"

"$T/grd" check "$SCENARIO" --sweep "${SAFETIES// /,}" --out "$T/ref-sweep" --workers 1 >"$T/ref-sweep.txt"
grep -v '^plot:\|^data:' "$T/ref-sweep.txt" >"$T/ref-sweep.cmp"
grep -v '^plot:\|^data:' "$T/grd-sweep-collect-$sweep_collect.out" >"$T/collect.cmp"
diff "$T/ref-sweep.cmp" "$T/collect.cmp" || fail "sweep: the collected table differs from grd check --sweep"
cmp -s "$T/ref-sweep/sweep.svg" "$T/sweep/sweep/sweep.svg" || fail "sweep: sweep.svg differs from grd check --sweep's"
echo "test-slurm: sweep: collect's table and plot identical to grd check --sweep's:"
sed 's/^/    /' "$T/collect.cmp"

for seed in 7 8 9; do
	"$T/grd" run "$SCENARIO" --set seed=$seed --set "flows=[sgd]" --set sgd.runs=4 --out "$T/ref-ens-$seed" --quiet --workers 1
	cmp -s "$T/ref-ens-$seed/sgd.csv" "$T/ens/seed$seed/sgd.csv" || fail "ensemble: seed $seed's sgd.csv differs from the single-process run"
done
grep -q 'tasks 3, runs per task 4, runs 12' "$T/ens/pooled.txt" || fail "ensemble: pooled.txt: $(cat "$T/ens/pooled.txt")"
echo "test-slurm: ensemble: every task's sgd.csv identical to the single-process run; pooled:"
sed 's/^/    /' "$T/ens/pooled.txt"
# --- A killed rank: the MPI script on a longer run (two-layer-digits), rank 1
# killed (SIGKILL) once both ranks run; the job must end, bounded, FAILED,
# with a message naming the task (srun --kill-on-bad-exit=1 in the script).
if [ -n "$MPI_GRD" ]; then
	kj=$(OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo \
		sbatch --parsable --nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=1 \
		--export=ALL,GRD="$MPI_GRD",SCENARIO=two-layer-digits,OUT="$T/kill",SRUN_MPI=pmix "$D/grd-mpi.sbatch")
	victim=""
	for _ in $(seq 300); do
		for p in $(pgrep -f "$MPI_GRD run two-layer-digits" || true); do
			env=$( { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null || true)
			if grep -qx "SLURM_JOB_ID=$kj" <<<"$env" && grep -qx "SLURM_PROCID=1" <<<"$env"; then
				victim=$p
			fi
		done
		[ -n "$victim" ] && break
		sleep 0.2
	done
	[ -n "$victim" ] || { scancel "$kj" || true; fail "killed rank: rank 1 of job $kj never started"; }
	sleep 3 # let the ranks get into their passes
	kill -KILL "$victim"
	kdeadline=$((SECONDS + 120))
	while squeue -h -j "$kj" 2>/dev/null | grep -q .; do
		[ $SECONDS -lt $kdeadline ] || { scancel "$kj" || true; fail "killed rank: job $kj still running 120 s after rank 1 was killed (hang)"; }
		sleep 1
	done
	kstate=$(scontrol show job "$kj" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
	[ "$kstate" = FAILED ] || fail "killed rank: job $kj ended $kstate, want FAILED"
	grep -q 'task 1' "$T/grd-mpi-$kj.out" || fail "killed rank: the job's output does not name task 1: $(cat "$T/grd-mpi-$kj.out")"
	echo "test-slurm: killed rank: job $kj ended FAILED $((SECONDS - kdeadline + 120)) s after rank 1 was killed (srun waits up to KillWait = 30 s for the other task); its output:"
	grep -v '^grd-mpi:' "$T/grd-mpi-$kj.out" | sed 's/^/    /'
fi
echo "test-slurm: PASS"
