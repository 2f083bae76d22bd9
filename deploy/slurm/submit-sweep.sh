#!/bin/bash
# Submit an ε sweep: the job array (one task per safety factor) and the
# collect job, which starts only when every task succeeded.
#     SCENARIO=my.yaml SAFETIES="0.05 0.1 0.2 0.4" OUT=out/sweep deploy/slurm/submit-sweep.sh
# Extra arguments go to both sbatch calls (e.g. --partition=short).
set -euo pipefail
here=$(dirname "$0")
export SCENARIO=${SCENARIO:-two-layer-iris} OUT=${OUT:-out/sweep} GRD=${GRD:-bin/grd}
export SAFETIES=${SAFETIES:-0.05 0.1 0.2 0.4}
read -r -a s <<<"$SAFETIES"
array=$(sbatch --parsable --export=ALL --array=0-$((${#s[@]} - 1)) "$@" "$here/sweep-array.sbatch")
collect=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$@" "$here/sweep-collect.sbatch")
echo "sweep: array job $array (${#s[@]} tasks), collect job $collect; results in $OUT/sweep"
