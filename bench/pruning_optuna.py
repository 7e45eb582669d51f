"""Optuna 3.1 (python3-optuna) on the learning-curve workload of bench/pruning.c: the same
formula, noise and budgets (see that file). TPESampler(seed) alone and with
SuccessiveHalvingPruner, HyperbandPruner and MedianPruner; one JSON line per run and a
summary line per variant.

Usage: /usr/bin/python3 bench/pruning_optuna.py [n_jobs] [seeds]
"""
import json
import math
import statistics
import sys
import threading

import optuna

T = 27
UNPRUNED_TRIALS = 60
BUDGET = UNPRUNED_TRIALS * T // 3
MASK = (1 << 64) - 1


def F(x):
    return 0.9 - ((x[0] - 0.65) ** 2 + (x[1] - 0.35) ** 2) - 0.2 * x[2] ** 2


def curve(x, t):
    return F(x) * (1 - math.exp(-(0.2 + 0.2 * x[2]) * t))


def splitmix(z):
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def noise(seed, job, t):
    h = splitmix((seed * 1000003 + job * 1009 + t) & MASK)
    s = 0.0
    for _ in range(3):
        h = splitmix(h)
        s += (h >> 11) / 9007199254740992.0
    return (s / 3 - 0.5) * 2


def f_star():
    return max(curve((0.65, 0.35, i / 100000.0), T) for i in range(100001))


PRUNERS = {
    "unpruned": lambda: optuna.pruners.NopPruner(),
    "unpruned_at_budget": lambda: optuna.pruners.NopPruner(),
    "successive_halving": lambda: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3),
    "hyperband": lambda: optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=T, reduction_factor=3),
    "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5),
}


def run(variant, seed, n_jobs):
    budget = 0 if variant == "unpruned" else BUDGET
    state = {"epochs": 0, "best": -math.inf, "pruned": 0}
    lock = threading.Lock()

    def objective(trial):
        x = (trial.suggest_float("a", 0, 1), trial.suggest_float("b", 0, 1),
             trial.suggest_float("c", 0, 1))
        for t in range(1, T + 1):
            with lock:
                if budget and state["epochs"] >= budget:
                    trial.study.stop()
                    raise optuna.TrialPruned()
                state["epochs"] += 1
            trial.report(curve(x, t) + 0.02 * noise(seed, trial.number, t), t)
            if trial.should_prune():
                with lock:
                    state["pruned"] += 1
                raise optuna.TrialPruned()
        with lock:
            state["best"] = max(state["best"], curve(x, T))
        return curve(x, T)

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=PRUNERS[variant]())
    study.optimize(objective, n_trials=UNPRUNED_TRIALS if variant == "unpruned" else 100000,
                   n_jobs=n_jobs)
    return state


def main():
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fs = f_star()
    for variant in PRUNERS:
        regrets, epochs = [], []
        for seed in range(seeds):
            st = run(variant, seed, n_jobs)
            regrets.append(fs - st["best"])
            epochs.append(st["epochs"])
            print(json.dumps({"optuna_variant": variant, "n_jobs": n_jobs, "seed": seed,
                              "epochs": st["epochs"], "pruned": st["pruned"],
                              "regret": regrets[-1]}))
        print(json.dumps({"optuna_summary": variant, "n_jobs": n_jobs, "seeds": seeds,
                          "median_epochs": statistics.median(epochs),
                          "median_regret": statistics.median(regrets)}), flush=True)


if __name__ == "__main__":
    main()
