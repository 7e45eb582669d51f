#!/usr/bin/env bash
# The newcomer's first command: install what is missing, build, and run the demo AutoML.
# Until the MMAR demo exists this is the engine example: a search over an in-process
# objective (the Branin function) by RandomController on two workers.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/deps.sh"
bash "$top/scripts/build.sh"
cd "${BUILD_DIR:-$top/build}"
make examples/custom_executor >/dev/null
./examples/custom_executor 300 0:1
