"""Optuna 3.1's TPE with constant_liar=True on n threads (n_jobs), each trial sleeping 10 ms,
on the functions of ../shared/bench/optuna/optuna_anchor.py: the counterpart of
`WORKERS=n bench/controllers`. One 100-trial run per (function, seed); the regret at budget b
is the best f among the first b trials to complete minus f*. Prints one JSON object like
bench/controllers: {"workers", "results": [{"function", "controller", "budget",
"median_regret", "q1", "q3"}]}.

Usage: /usr/bin/python3 bench/optuna_tpe_parallel.py [n_jobs] [seeds] [anchor dir]
"""
import json
import os
import sys
import threading
import time

import numpy
import optuna

here = os.path.dirname(os.path.abspath(__file__))
anchor_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "..", "shared",
                                                                "bench", "optuna")
sys.path.insert(0, anchor_dir)
from optuna_anchor import FUNCTIONS  # noqa: E402  (the anchor's functions, bounds and f*)

BUDGET = 100


def run(fn, bounds, seed, n_jobs):
    done = []
    lock = threading.Lock()

    def objective(trial):
        x = [trial.suggest_float("x%d" % i, lo, hi) for i, (lo, hi) in enumerate(bounds)]
        f = fn(x)
        time.sleep(0.010)
        with lock:
            done.append(f)
        return f

    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True))
    study.optimize(objective, n_trials=BUDGET, n_jobs=n_jobs)
    return done


def main():
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    results = []
    for name, spec in FUNCTIONS.items():
        fn, bounds, fstar = spec[0], spec[1], spec[2]
        regrets = {50: [], 100: []}
        for seed in range(seeds):
            done = run(fn, bounds, seed, n_jobs)
            for b in regrets:
                regrets[b].append(min(done[:b]) - fstar)
        for b, v in regrets.items():
            q1, med, q3 = numpy.percentile(v, [25, 50, 75])
            results.append({"function": name, "controller": "optuna_tpe_constant_liar",
                            "budget": b, "median_regret": med, "q1": q1, "q3": q3})
        print(json.dumps(results[-2:]), file=sys.stderr, flush=True)
    print(json.dumps({"workers": n_jobs, "results": results}))


if __name__ == "__main__":
    main()
