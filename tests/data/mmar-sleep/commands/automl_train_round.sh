#!/bin/sh
# Test trainer: sleeps MMARML_TEST_SLEEP seconds (a marker for the process table), then
# reports the searched score.
cd "$MMAR_ROOT" || exit 99
echo "training $MMARML_JOB_NAME"
sleep "${MMARML_TEST_SLEEP:-0}"
mkdir -p models
score=$(sed -n 's/^  "score": \(.*\),$/\1/p' config/config_train.json)
printf '{"best_validation_metric": %s}\n' "$score" > models/train_stats.json
