"""mmarml from Python (bench/README.md, "Python"), in one run:

1. overhead: the cost per trial of a trivial objective (it returns one of its values)
   through mmarml.optimize and through optuna.study.optimize (Optuna 3.1, Debian's
   python3-optuna) with the same kind of sampler: RandomController / RandomSampler, and
   TPEController / TPESampler; one worker / n_jobs=1, seed 0; wall time over the whole run
   divided by the trials. Optuna's TPE at 10,000 trials takes about an hour: it runs only
   with --optuna-tpe-10000.
2. quality: the search-quality rows of bench/controllers (Branin, Hartmann6, Rosenbrock-10,
   Levy-10; TPE and random; seeds 0-19; median regret at 50 and 100 jobs) reproduced
   through the Python package: the same seeds must give the same figures.
3. with --reports-only: the cost per progress report, with no pruner, a C MedianPruner and
   a Python pruner, against Optuna's trial.report() + should_prune() (report_cost).

Prints JSON lines. Usage (a built tree; tests/python.sh shows the PYTHONPATH it needs):
    python3 bench/python.py [--quick] [--optuna-tpe-10000] [--overhead-only | --reports-only]
"""
import json
import math
import statistics
import sys
import time

import mmarml

PI = math.pi


def branin(x):
    b, c, t = 5.1 / (4 * PI * PI), 5 / PI, 1 / (8 * PI)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8],
     [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - 1e-4 * P[i][j]) ** 2
                                         for j in range(6))) for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(9))


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    f = math.sin(PI * w[0]) ** 2
    for i in range(9):
        f += (w[i] - 1) ** 2 * (1 + 10 * math.sin(PI * w[i] + 1) ** 2)
    return f + (w[9] - 1) ** 2 * (1 + math.sin(2 * PI * w[9]) ** 2)


# as bench/controllers.c: name, dimensions, bounds per dimension, f*, f
FUNCTIONS = [
    ("branin_2d", [(-5, 10), (0, 15)], 0.397887357729738, branin),
    ("hartmann6_6d", [(0, 1)] * 6, -3.32236801141551, hartmann6),
    ("rosenbrock_10d", [(-5, 10)] * 10, 0.0, rosenbrock),
    ("levy_10d", [(-10, 10)] * 10, 0.0, levy),
]


def quality(seeds):
    for name, bounds, fstar, f in FUNCTIONS:
        space = mmarml.SearchSpace(name)
        for i, (lo, hi) in enumerate(bounds):
            space.add_float("x.float.$%d:x%d" % (i, i), lo, hi, domain="x")
        keys = space.names
        for controller in ("RandomController", "TPEController"):
            regrets = {50: [], 100: []}
            for seed in range(seeds):
                found = []

                def objective(values, job):
                    v = f([values[k] for k in keys])
                    found.append(v)
                    return -v

                args = {"max_rounds": 100, "seed": seed}
                if controller == "TPEController":
                    args["n_startup"] = 10
                mmarml.optimize(objective, space, controller=controller,
                                controller_args=args)
                for b in regrets:
                    regrets[b].append(min(found[:b]) - fstar)
            for b, r in regrets.items():
                print(json.dumps({"function": name, "controller": controller, "budget": b,
                                  "median_regret": statistics.median(r)}), flush=True)


def overhead(trials, optuna_tpe_10000):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = mmarml.SearchSpace().add_float("x", 0, 1).add_float("y", -5, 5)
    for n in trials:
        for ours, theirs in (("RandomController", "random"), ("TPEController", "tpe")):
            t = time.perf_counter()
            study = mmarml.optimize(lambda v, job: v["x"], space, controller=ours,
                                    n_trials=n)
            ours_us = (time.perf_counter() - t) / n * 1e6
            assert len(study) == n
            row = {"trials": n, "ours": ours, "ours_us_per_trial": round(ours_us, 2)}
            if theirs == "tpe" and n > 1000 and not optuna_tpe_10000:
                row["optuna_us_per_trial"] = None
            else:
                sampler = (optuna.samplers.RandomSampler(seed=0) if theirs == "random"
                           else optuna.samplers.TPESampler(seed=0))
                s = optuna.create_study(direction="maximize", sampler=sampler)
                t = time.perf_counter()
                s.optimize(lambda tr: tr.suggest_float("x", 0, 1) + 0 * tr.suggest_float(
                    "y", -5, 5), n_trials=n, n_jobs=1)
                theirs_us = (time.perf_counter() - t) / n * 1e6
                row["optuna_us_per_trial"] = round(theirs_us, 1)
                row["ratio"] = round(theirs_us / ours_us, 1)
            row["optuna"] = theirs
            print(json.dumps(row), flush=True)


class NeverStops:
    """A Python pruner that judges nothing: what a Python pruner's call costs."""

    def report(self, job, job_number, step, value, ctx):
        return False


def report_cost(trials, steps):
    """The cost per report of job.report() with no pruner, a C MedianPruner and a Python
    pruner, against Optuna's trial.report() + should_prune() with its MedianPruner: random
    search, one worker, every job reports `steps` rising values; the time of the run less
    the same run without reports, over the reports."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = mmarml.SearchSpace().add_float("x", 0, 1)

    def ours(pruner):
        made = [0]

        def objective(values, job):
            for step in range(steps):
                made[0] += 1
                if job.report(step, values["x"] * step):
                    break
            return values["x"]
        t = time.perf_counter()
        mmarml.optimize(objective, space, controller="RandomController", n_trials=trials,
                        pruner=pruner, pruner_args={"n_startup_trials": 5}
                        if pruner == "MedianPruner" else None)
        return time.perf_counter() - t, made[0]

    def theirs(report):
        made = [0]

        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            for step in range(steps if report else 0):
                made[0] += 1
                trial.report(x * step, step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
            return x
        s = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=5))
        t = time.perf_counter()
        s.optimize(objective, n_trials=trials, n_jobs=1)
        return time.perf_counter() - t, made[0]

    def best_of(runs, f, *args):  # the least disturbed of a few runs (same reports each)
        return min((f(*args) for _ in range(runs)), key=lambda r: r[0])

    def no_reports():
        t = time.perf_counter()
        mmarml.optimize(lambda v, job: v["x"], space, controller="RandomController",
                        n_trials=trials)
        return time.perf_counter() - t, 0

    base, _ = best_of(5, no_reports)
    row = {"trials": trials, "steps": steps}
    for name, pruner in (("none", None), ("median_c", "MedianPruner"),
                         ("python_pruner", NeverStops())):
        took, made = best_of(3, ours, pruner)
        row["ours_us_per_report_" + name] = round((took - base) / made * 1e6, 2)
    optuna_base, _ = best_of(3, theirs, False)
    took, made = best_of(3, theirs, True)
    row["optuna_us_per_report_median"] = round((took - optuna_base) / made * 1e6, 1)
    print(json.dumps(row), flush=True)


def main():
    quick = "--quick" in sys.argv
    print(json.dumps({"mmarml": mmarml.version(), "python": sys.version.split()[0]}))
    if "--reports-only" in sys.argv:
        report_cost(200 if quick else 1000, 50)
        return
    overhead([1000] if quick else [1000, 10000], "--optuna-tpe-10000" in sys.argv)
    if "--overhead-only" not in sys.argv:
        quality(3 if quick else 20)


if __name__ == "__main__":
    main()
