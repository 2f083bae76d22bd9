#!/bin/bash
# Submit a replicate ensemble: TASKS array tasks of RUNS runs each (seeds
# SEED0 … SEED0+TASKS−1), then the fold job once all have succeeded.
#     SCENARIO=two-layer-iris TASKS=16 RUNS=64 OUT=out/ens deploy/slurm/submit-ensemble.sh
# Extra arguments go to both sbatch calls (e.g. --partition=short).
set -euo pipefail
here=$(dirname "$0")
export SCENARIO=${SCENARIO:-two-layer-iris} OUT=${OUT:-out/ensemble} GRD=${GRD:-bin/grd}
export TASKS=${TASKS:-4} RUNS=${RUNS:-32} SEED0=${SEED0:-1} FLOW=${FLOW:-sgd}
array=$(sbatch --parsable --export=ALL --array=0-$((TASKS - 1)) "$@" "$here/ensemble-array.sbatch")
fold=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" "$@" "$here/ensemble-fold.sbatch")
echo "ensemble: array job $array ($TASKS tasks × $RUNS runs), fold job $fold; result in $OUT/pooled.txt"
