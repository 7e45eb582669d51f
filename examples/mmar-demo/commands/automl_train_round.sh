#!/bin/sh
# One AutoML round: train with this job MMAR's config/config_train.json.
# MMARML_DEMO_TRAINER names the trainer binary (scripts/demo.sh sets it); otherwise it is
# looked up on PATH.
exec "${MMARML_DEMO_TRAINER:-mmarml-demo-trainer}" "$MMAR_ROOT"
