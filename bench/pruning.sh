#!/usr/bin/env bash
# Early stopping on the learning-curve workloads (bench/pruning.c): ours and Optuna's, same
# curves, seeds 0..19, 1 and 4 workers, in one run. Prints the summary lines of both.
# Usage: bench/pruning.sh [build dir] [workloads] [controllers]
#        (defaults: "partial adversarial" and "tpe random"; needs /usr/bin/python3 with
#        python3-optuna)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
workloads=${2:-partial adversarial}
controllers=${3:-tpe random}
[ -x "$build/bench/pruning" ] || { echo "no $build/bench/pruning: build first" >&2; exit 1; }
/usr/bin/python3 -c "import optuna" 2>/dev/null ||
    { echo "Optuna is missing: apt-get install python3-optuna" >&2; exit 1; }
for workload in $workloads; do
    for controller in $controllers; do
        for w in 1 4; do
            "$build/bench/pruning" "$w" 20 "$workload" "$controller" | grep summary
            /usr/bin/python3 "$here/pruning_optuna.py" "$w" 20 "$workload" "$controller" |
                grep summary
        done
    done
done
