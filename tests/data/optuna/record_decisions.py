#!/usr/bin/env python3
"""Record Optuna's pruners deciding on random report sequences.

tests/check_pruner_optuna.c replays every trace through our pruner of the same name and
args and requires the same decision at every report. Hyperband's traces are Optuna's with
our choice of bracket per job (HyperbandByJobNumber). Run by hand, with Debian's
python3-optuna (3.1), when the traces must change:

    /usr/bin/python3 tests/data/optuna/record_decisions.py > tests/data/optuna/decisions.jsonl

One JSON line per trace: {"name": the pruner, "args": its args (Optuna's names; a wrapped
pruner as our spec), "events": [...]}, each event ["report", job number, step, value,
stopped (0/1)] or ["end", job number, status], status "ok", "pruned" or "failed". Jobs run
interleaved, several at once, as an engine with several workers runs them; a stopped job
reports no more and ends "pruned". Values come from a small set, so ties are common; steps
grow by 1 to 3 at a time, so jobs report at different steps.
"""
import json
import random
import sys
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.simplefilter("ignore")  # PatientPruner is "experimental" in 3.1

P = optuna.pruners


class HyperbandByJobNumber(P.HyperbandPruner):
    """Optuna's Hyperband with our bracket choice: Optuna hashes the study name and the trial
    number (crc32), ours the job number alone (lib/pruners/asha.c, bracket_of), with the
    same budgets. Everything else is Optuna's."""

    def _get_bracket_id(self, study, trial):
        if len(self._pruners) == 0:
            return 0
        h = ((trial.number + 1) * 0x9E3779B97F4A7C15) % 2**64
        h ^= h >> 31
        pick = h % self._total_trial_allocation_budget
        for bracket_id in range(self._n_brackets):
            pick -= self._trial_allocation_budgets[bracket_id]
            if pick < 0:
                return bracket_id
        raise AssertionError("unreachable")


def median_spec(args):
    return {"name": "MedianPruner", "args": args}


# (our name, args, Optuna's pruner, the steps a job runs to)
CONFIGS = [
    ("SuccessiveHalvingPruner", {"min_resource": 1, "reduction_factor": 3},
     lambda: P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), [9, 27]),
    ("SuccessiveHalvingPruner",
     {"min_resource": 1, "reduction_factor": 2, "min_early_stopping_rate": 1},
     lambda: P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2,
                                       min_early_stopping_rate=1), [9, 27]),
    ("SuccessiveHalvingPruner",
     {"min_resource": 2, "reduction_factor": 3, "bootstrap_count": 2},
     lambda: P.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3,
                                       bootstrap_count=2), [9, 27]),
    ("SuccessiveHalvingPruner",
     {"min_resource": 1, "reduction_factor": 4, "min_early_stopping_rate": 2,
      "bootstrap_count": 1},
     lambda: P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4,
                                       min_early_stopping_rate=2, bootstrap_count=1), [9, 27]),
    # Optuna's defaults: min_resource "auto" (max(1, last step // 100)), reduction_factor 4
    ("SuccessiveHalvingPruner", {}, lambda: P.SuccessiveHalvingPruner(), [300, 420]),
    ("SuccessiveHalvingPruner", {"reduction_factor": 2, "min_early_stopping_rate": 1},
     lambda: P.SuccessiveHalvingPruner(reduction_factor=2, min_early_stopping_rate=1),
     [300, 420]),
    ("MedianPruner", {}, lambda: P.MedianPruner(), [9, 15]),
    ("MedianPruner",
     {"n_startup_trials": 2, "n_warmup_steps": 3, "interval_steps": 4, "n_min_trials": 3},
     lambda: P.MedianPruner(n_startup_trials=2, n_warmup_steps=3, interval_steps=4,
                            n_min_trials=3), [9, 15]),
    ("PercentilePruner", {"percentile": 25.0, "n_startup_trials": 3},
     lambda: P.PercentilePruner(25.0, n_startup_trials=3), [9, 15]),
    ("PercentilePruner", {"percentile": 80.0, "n_startup_trials": 1, "n_warmup_steps": 2,
                          "interval_steps": 2, "n_min_trials": 2},
     lambda: P.PercentilePruner(80.0, n_startup_trials=1, n_warmup_steps=2, interval_steps=2,
                                n_min_trials=2), [9, 15]),
    ("ThresholdPruner", {"lower": 0.25, "upper": 0.85, "n_warmup_steps": 2,
                         "interval_steps": 3},
     lambda: P.ThresholdPruner(lower=0.25, upper=0.85, n_warmup_steps=2, interval_steps=3),
     [9, 15]),
    ("PatientPruner", {"patience": 2, "min_delta": 0.05, "wrapped_pruner": None},
     lambda: P.PatientPruner(None, patience=2, min_delta=0.05), [9, 15]),
    ("PatientPruner", {"patience": 1, "wrapped_pruner": median_spec({"n_startup_trials": 3})},
     lambda: P.PatientPruner(P.MedianPruner(n_startup_trials=3), patience=1), [9, 15]),
    ("PatientPruner", {"patience": 0, "wrapped_pruner": {"name": "NopPruner"}},
     lambda: P.PatientPruner(P.NopPruner(), patience=0), [9, 15]),
    # Hyperband where the rules agree: no job reaches max_resource (Optuna judges a rung
    # there, ours has none), and an auto max_resource L is not one below a power of eta
    # (Optuna takes L + 1, which can add a bracket)
    ("HyperbandPruner", {"min_resource": 1, "max_resource": 27, "reduction_factor": 3},
     lambda: HyperbandByJobNumber(min_resource=1, max_resource=27, reduction_factor=3),
     [9, 20]),
    ("HyperbandPruner", {"min_resource": 1, "max_resource": 16, "reduction_factor": 2,
                         "bootstrap_count": 1},
     lambda: HyperbandByJobNumber(min_resource=1, max_resource=16, reduction_factor=2,
                                  bootstrap_count=1), [9, 15]),
    ("HyperbandPruner", {}, lambda: HyperbandByJobNumber(), [14, 20]),
]
TRACES_PER_CONFIG = 3
JOBS = 40
CONCURRENT = 4
VALUES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def trace(name, args, make, last_steps, rng):
    study = optuna.create_study(direction="maximize", pruner=make())
    events, running, started = [], [], 0
    scale = 100 if last_steps[0] >= 100 else 1
    while started < JOBS or running:
        while started < JOBS and len(running) < CONCURRENT:
            running.append({"trial": study.ask(), "step": -scale * rng.randint(0, 1),
                            "last": rng.choice(last_steps), "fails": rng.random() < 0.1})
            started += 1
        job = rng.choice(running)
        trial = job["trial"]
        job["step"] += scale * rng.randint(1, 3)
        if job["fails"] and job["step"] > job["last"] // 3:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            events.append(["end", trial.number, "failed"])
            running.remove(job)
            continue
        step = min(job["step"], job["last"])
        value = rng.choice(VALUES)
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
    return {"name": name, "args": args, "events": events}


def main():
    rng = random.Random(20261207)
    for name, args, make, last_steps in CONFIGS:
        for _ in range(TRACES_PER_CONFIG):
            sys.stdout.write(json.dumps(trace(name, args, make, last_steps, rng)) + "\n")


if __name__ == "__main__":
    main()
