#!/bin/sh
# Test trainer: does what the job config's first-level "mode" says.
cd "$MMAR_ROOT" || exit 99
mode=$(sed -n 's/^  "mode": "\(.*\)",$/\1/p' config/config_train.json)
score=$(sed -n 's/^  "score": \(.*\),$/\1/p' config/config_train.json)
mkdir -p models
printf '%s\n' "$CUDA_VISIBLE_DEVICES" > gpus.txt
printf '%s\n%s\n%s\n' "$MMAR_ROOT" "$MMARML_JOB_NAME" "$MMARML_RUN_ROOT" > env.txt
case "$mode" in
ok) printf '{"best_validation_metric": %s}\n' "$score" > models/train_stats.json ;;
slow) sleep 4; printf '{"best_validation_metric": %s}\n' "$score" > models/train_stats.json ;;
fail) echo "failing on purpose" >&2; exit 3 ;;
signal) kill -9 $$ ;;
hang) sleep 1234.5 ;;
hang_hard) trap '' TERM; sleep 1234.5; sleep 1234.5 ;;
no_stats) ;;
bad_stats) printf '{"best_validation_metric": 0.7,,,' > models/train_stats.json ;;
nan) printf '{"best_validation_metric": "NaN"}\n' > models/train_stats.json ;;
fds) ls -l "/proc/$$/fd/" > fds.txt # the shell's descriptors, seen from a child
     printf '{"best_validation_metric": %s}\n' "$score" > models/train_stats.json ;;
*) echo "unknown mode '$mode'" >&2; exit 98 ;;
esac
