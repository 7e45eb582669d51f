#!/usr/bin/python3
"""Optuna's own cost per trial with its RandomSampler: the anchor's measurement 1 (trivial
objective over the 5-param space, in-memory storage), as bench/engine_vs_optuna.sh needs it
in the same run as our engine. Prints {"optuna": version, "us_per_trial": median, "runs": [...]}.

Usage: /usr/bin/python3 bench/optuna_random.py [n_trials] [repeats]   (default 1000 3)
Needs Debian's python3-optuna (Optuna 3.1).
"""
import json
import logging
import math
import statistics
import sys
import time

import optuna

CATS = ("a", "b", "c", "d")


def objective(trial):
    u1 = trial.suggest_float("u1", -5.0, 5.0)
    u2 = trial.suggest_float("u2", 0.0, 1.0)
    lg = trial.suggest_float("lg", 1e-5, 1.0, log=True)
    n = trial.suggest_int("n", 1, 10)
    c = trial.suggest_categorical("c", CATS)
    return u1 * u1 + u2 + abs(math.log10(lg)) + 0.1 * n + CATS.index(c)


def run(n_trials, seed):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed),
                                storage=optuna.storages.InMemoryStorage())
    t0 = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    return (time.perf_counter() - t0) * 1e6 / n_trials


def main():
    n_trials = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    run(30, 12345)  # warm-up
    runs = [round(run(n_trials, r), 1) for r in range(repeats)]
    print(json.dumps({"optuna": optuna.__version__, "n_trials": n_trials,
                      "us_per_trial": statistics.median(runs), "runs": runs}))


if __name__ == "__main__":
    main()
