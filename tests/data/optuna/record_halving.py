#!/usr/bin/env python3
"""Record Optuna's SuccessiveHalvingPruner deciding on random report sequences.

tests/check_pruner_optuna.c replays every trace through our SuccessiveHalvingPruner and
requires the same decision at every report. Run by hand, with Debian's python3-optuna
(3.1), when the traces must change:

    /usr/bin/python3 tests/data/optuna/record_halving.py > tests/data/optuna/halving.jsonl

One JSON line per trace: {"args": the pruner's args (Optuna's names), "events": [...]},
each event ["report", job number, step, value, stopped (0/1)] or ["end", job number,
status], status "ok", "pruned" or "failed". Jobs run interleaved, several at once, as an
engine with several workers runs them; a stopped job reports no more and ends "pruned".
Values come from a small set, so ties are common; steps grow by 1 to 3 at a time.
"""
import json
import random
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)

CONFIGS = [
    {"min_resource": 1, "reduction_factor": 3},
    {"min_resource": 1, "reduction_factor": 2, "min_early_stopping_rate": 1},
    {"min_resource": 2, "reduction_factor": 3, "bootstrap_count": 2},
    {"min_resource": 1, "reduction_factor": 4, "min_early_stopping_rate": 2,
     "bootstrap_count": 1},
    {},  # Optuna's defaults: min_resource "auto", reduction_factor 4
    {"reduction_factor": 2, "min_early_stopping_rate": 1},
]
TRACES_PER_CONFIG = 5
JOBS = 40
CONCURRENT = 4


def trace(args, rng):
    # Optuna's "auto" min_resource is max(1, last step // 100): long jobs make it above 1
    last_steps = [300, 420] if args.get("min_resource", "auto") == "auto" else [9, 27]
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.SuccessiveHalvingPruner(**args))
    events, running, started = [], [], 0
    while started < JOBS or running:
        while started < JOBS and len(running) < CONCURRENT:
            trial = study.ask()
            scale = 100 if last_steps[0] >= 100 else 1
            running.append({"trial": trial, "step": 0, "scale": scale,
                            "last": rng.choice(last_steps),
                            "fails": rng.random() < 0.1})
            started += 1
        job = rng.choice(running)
        trial = job["trial"]
        job["step"] += job["scale"] * rng.randint(1, 3)
        if job["fails"] and job["step"] > job["last"] // 3:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            events.append(["end", trial.number, "failed"])
            running.remove(job)
            continue
        step = min(job["step"], job["last"])
        value = rng.choice([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
        trial.report(value, step)
        stop = trial.should_prune()
        events.append(["report", trial.number, step, value, int(stop)])
        if stop:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            events.append(["end", trial.number, "pruned"])
            running.remove(job)
        elif step == job["last"]:
            study.tell(trial, value)
            events.append(["end", trial.number, "ok"])
            running.remove(job)
    return {"args": args, "events": events}


def main():
    rng = random.Random(20261207)
    for args in CONFIGS:
        for _ in range(TRACES_PER_CONFIG):
            sys.stdout.write(json.dumps(trace(args, rng)) + "\n")


if __name__ == "__main__":
    main()
