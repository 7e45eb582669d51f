#!/bin/sh
# Test trainer that reports progress (commands/progress_trainer.py).
cd "$MMAR_ROOT" || exit 99
exec python3 commands/progress_trainer.py
