#!/bin/sh
# Test trainer: sleeps MMARML_TEST_SLEEP seconds (a marker for the process table), then
# reports the searched score. With MMARML_TEST_STEPS=n it trains n steps instead, after
# MMARML_TEST_STARTUP seconds of start-up (loading data), each step sleeping
# MMARML_TEST_SLEEP and reporting the score as its value (the progress protocol), and leaves
# when the stop marker appears. With MMARML_TEST_CLOCK_AHEAD set, the lines from step 2 on
# carry a "time" in the year 2100 (a clock far ahead; step 1's has none: read now).
cd "$MMAR_ROOT" || exit 99
echo "training $MMARML_JOB_NAME"
score=$(sed -n 's/^  "score": \(.*\),$/\1/p' config/config_train.json)
[ -n "${MMARML_TEST_STEPS:-}" ] && sleep "${MMARML_TEST_STARTUP:-0}"
step=0
while [ "$step" -lt "${MMARML_TEST_STEPS:-0}" ]; do
    step=$((step + 1))
    sleep "${MMARML_TEST_SLEEP:-0}"
    when=
    [ -n "${MMARML_TEST_CLOCK_AHEAD:-}" ] && [ "$step" -ge 2 ] && when=", \"time\": 4102444800"
    printf '{"step": %d, "value": %s%s}\n' "$step" "$score" "$when" >>"$MMARML_PROGRESS_FILE"
    # the engine reads the line and may stop the job: give it the moment it takes
    [ -e "$MMARML_STOP_FILE" ] && exit 0
done
[ -n "${MMARML_TEST_STEPS:-}" ] || sleep "${MMARML_TEST_SLEEP:-0}"
mkdir -p models
printf '{"best_validation_metric": %s}\n' "$score" > models/train_stats.json
