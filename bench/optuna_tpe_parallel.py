"""Optuna 3.1's TPE with constant_liar=True on n threads (n_jobs), each trial sleeping 10 ms
(JOB_MS=t in the environment: t ms),
on the functions of ../shared/bench/optuna/optuna_anchor.py: the counterpart of
`WORKERS=n bench/controllers`. One 100-trial run per (function, seed); the regret at budget b
is the best f among the first b trials to complete minus f*. Prints one JSON object like
bench/controllers: {"workers", "order", "mean_in_flight", "results": [{"function",
"controller", "budget", "median_regret", "q1", "q3"}]}. mean_in_flight is how many other
trials were running with their parameters drawn, on average, when a trial began to draw its
own: those are the ones the constant liar sees. A trial whose thread is still in the sampler
has none yet, and with threads Python's lock serialises the sampler's work: at 10 ms per
trial, which is less than a suggestion takes, few trials really overlap.

With ORDER=fifo in the environment there are no threads and no sleep: n trials are asked,
then the oldest is told and one more asked, as `WORKERS=n ORDER=fifo bench/controllers`
calls our controllers (n - 1 others running at every suggestion; deterministic).

Usage: [ORDER=fifo | JOB_MS=t] /usr/bin/python3 bench/optuna_tpe_parallel.py [n_jobs] [seeds]
       [anchor dir] [first seed]
"""
import json
import os
import sys
import threading
import time
import warnings

import numpy
import optuna

here = os.path.dirname(os.path.abspath(__file__))
anchor_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(here, "..", "..", "shared",
                                                                "bench", "optuna")
sys.path.insert(0, anchor_dir)
from optuna_anchor import FUNCTIONS  # noqa: E402  (the anchor's functions, bounds and f*)

BUDGET = 100
JOB_MS = float(os.environ.get("JOB_MS", "10"))


RUNNING = (optuna.trial.TrialState.RUNNING,)


def sampler(seed):
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def run(fn, bounds, seed, n_jobs, in_flight):
    done = []
    lock = threading.Lock()

    def objective(trial):
        others = sum(1 for t in trial.study.get_trials(deepcopy=False, states=RUNNING)
                     if t.number != trial.number and len(t.params) == len(bounds))
        x = [trial.suggest_float("x%d" % i, lo, hi) for i, (lo, hi) in enumerate(bounds)]
        in_flight.append(others)
        f = fn(x)
        time.sleep(JOB_MS / 1000)
        with lock:
            done.append(f)
        return f

    study = optuna.create_study(direction="minimize", sampler=sampler(seed))
    study.optimize(objective, n_trials=BUDGET, n_jobs=n_jobs)
    return done


def run_fifo(fn, bounds, seed, n_jobs, in_flight):
    """n_jobs trials in flight, the oldest told first."""
    study = optuna.create_study(direction="minimize", sampler=sampler(seed))
    dists = {"x%d" % i: optuna.distributions.FloatDistribution(lo, hi)
             for i, (lo, hi) in enumerate(bounds)}
    queue, done = [], []

    def ask():
        in_flight.append(len(queue))
        trial = study.ask(dists)
        queue.append((trial, fn([trial.params["x%d" % i] for i in range(len(bounds))])))

    for _ in range(n_jobs):
        ask()
    while len(done) < BUDGET:
        trial, f = queue.pop(0)
        study.tell(trial, f)
        done.append(f)
        if len(done) + len(queue) < BUDGET:
            ask()
    return done


def main():
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    first_seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    fifo = os.environ.get("ORDER") == "fifo"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    results, in_flight = [], []
    for name, spec in FUNCTIONS.items():
        fn, bounds, fstar = spec[0], spec[1], spec[2]
        regrets = {50: [], 100: []}
        for seed in range(first_seed, first_seed + seeds):
            done = (run_fifo if fifo else run)(fn, bounds, seed, n_jobs, in_flight)
            for b in regrets:
                regrets[b].append(min(done[:b]) - fstar)
        for b, v in regrets.items():
            q1, med, q3 = numpy.percentile(v, [25, 50, 75])
            results.append({"function": name, "controller": "optuna_tpe_constant_liar",
                            "budget": b, "median_regret": med, "q1": q1, "q3": q3})
        print(json.dumps(results[-2:]), file=sys.stderr, flush=True)
    print(json.dumps({"workers": n_jobs, "order": "fifo" if fifo else "threads",
                      "job_ms": None if fifo else JOB_MS,
                      "mean_in_flight": sum(in_flight) / len(in_flight), "results": results}))


if __name__ == "__main__":
    main()
