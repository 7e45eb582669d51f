#!/usr/bin/env bash
# The newcomer's first command: install what is missing, build, and run the demo AutoML:
# examples/mmar-demo, a real MMAR whose round script trains a small neural network
# (examples/mmar_trainer.c) on a synthetic dataset. It trains once with the unsearched
# default config, then runs `mmarml run` (RandomController, 20 jobs, 2 workers), then the
# same search with ASHAPruner (config_automl_asha.json), and prints the scores and epochs. Everything it writes stays under the build directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
bash "$top/scripts/deps.sh"
bash "$top/scripts/build.sh"
export MMARML_DEMO_TRAINER="$build/examples/mmarml-demo-trainer"
score() { sed -n 's/.*"best_validation_metric": *\([0-9.eE+-]*\).*/\1/p' "$1"; }

demo="$build/mmar-demo"
rm -rf "$demo" "$build/mmar-baseline"
cp -r "$top/examples/mmar-demo" "$demo"

echo "== the default config, unsearched"
cp -r "$top/examples/mmar-demo" "$build/mmar-baseline"
MMAR_ROOT="$build/mmar-baseline" "$top/examples/mmar-demo/commands/automl_train_round.sh" |
    tail -1
baseline=$(score "$build/mmar-baseline/models/train_stats.json")

echo "== mmarml run -m $demo"
"$build/tools/mmarml" run -m "$demo" --set run_id=demo | tee "$build/demo-run.txt"
best=$(score "$demo/automl/demo/best/models/train_stats.json")

echo "== the same search with early stopping: mmarml run -a config/config_automl_asha.json"
"$build/tools/mmarml" run -m "$demo" -a "$demo/config/config_automl_asha.json" \
    --set run_id=demo-asha | tee "$build/demo-run-asha.txt" | grep -v '^|'
best_asha=$(score "$demo/automl/demo-asha/best/models/train_stats.json")
epochs() { sed -n 's/.* trained \([0-9]*\) steps in all/\1/p' "$1"; }
echo
printf "default config: validation accuracy %.4f\n" "$baseline"
printf "best AutoML job (%s): validation accuracy %.4f\n" "$(readlink "$demo/automl/demo/best")" "$best"
printf "with ASHAPruner (%s): validation accuracy %.4f, %s epochs in all instead of %s\n" \
    "$(readlink "$demo/automl/demo-asha/best")" "$best_asha" "$(epochs "$build/demo-run-asha.txt")" \
    "$(epochs "$build/demo-run.txt")"
echo "the runs' pages (mmarml report): $demo/automl/demo/report.html"
echo "                                 $demo/automl/demo-asha/report.html"
