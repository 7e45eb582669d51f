#!/usr/bin/env bash
# The engine's own cost per job against Optuna's RandomSampler cost per trial, measured in
# one run, both sequential (one worker; Optuna's n_jobs=1): on the machine as it is, then
# with two busy loops per core (a training machine whose data loaders saturate the CPUs).
# Prints one JSON line per load:
#   {"load", "busy_loops", "engine_us_per_job", "optuna_us_per_trial", "ratio"}
# Usage: bench/engine_vs_optuna.sh [build dir]   (needs /usr/bin/python3 with python3-optuna)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
overhead=$build/bench/engine_overhead
[ -x "$overhead" ] || { echo "no $overhead: build first" >&2; exit 1; }
/usr/bin/python3 -c "import optuna" 2>/dev/null ||
    { echo "Optuna is missing: apt-get install python3-optuna" >&2; exit 1; }
loops=()
stop_loops() { [ ${#loops[@]} -gt 0 ] && kill "${loops[@]}" 2>/dev/null; loops=(); }
trap stop_loops EXIT
measure() { # measure <load> <busy loops> <engine jobs>
    local ours theirs
    ours=$(WORKERS=0 "$overhead" "$3" | sed -n 's/.*"us_per_job": \([0-9.]*\), "peak.*/\1/p' | tail -1)
    theirs=$(/usr/bin/python3 "$here/optuna_random.py" 1000 3 |
        sed -n 's/.*"us_per_trial": \([0-9.]*\).*/\1/p')
    printf '{"load": "%s", "busy_loops": %d, "engine_us_per_job": %s, "optuna_us_per_trial": %s, "ratio": %.0f}\n' \
        "$1" "$2" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
}
measure quiet 0 100000
n=$((2 * $(nproc)))
for _ in $(seq "$n"); do
    (while :; do :; done) &
    loops+=($!)
done
sleep 1
measure saturated "$n" 20000
