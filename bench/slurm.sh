#!/usr/bin/env bash
# bench/slurm on a single-node Slurm started for it (tests/slurm/cluster.sh), stopped after.
# Usage: bash bench/slurm.sh [jobs] [poll_interval_s] [max_concurrent]   (root; Slurm installed:
# bash scripts/deps.sh --slurm). Prints bench/slurm's JSON line.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
# shellcheck source=tests/slurm/cluster.sh
. "$top/tests/slurm/cluster.sh"
dir=$(mktemp -d /tmp/mmarml-bench-slurm.XXXXXX)
trap 'slurm_cluster_stop "$dir"; rm -rf "$dir"' EXIT
slurm_cluster_start "$dir" || exit 1
# the job MMARs must be where the node can read them: here, the same machine
TMPDIR=$dir "$build/bench/slurm" "$@"
