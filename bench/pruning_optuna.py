"""Optuna 3.1 (python3-optuna) on the learning-curve workload of bench/pruning.c: the same
formulas, noise and budgets (see that file). TPESampler(seed) (or RandomSampler(seed))
alone and with SuccessiveHalvingPruner, HyperbandPruner and MedianPruner, and the
clairvoyant, oracle and known bounds of bench/pruning.c (a NopPruner, the objective prunes
by the true final value, or for `known` by the formula; ORACLE_MARGIN and KNOWN_Z in the
environment as there); one JSON line per run and a summary line per variant.
`regret_started`: over every trial started, pruned ones too; `regret_picked`: of the trial
that ended with the highest final value reported, the one the study hands you.

Usage: /usr/bin/python3 bench/pruning_optuna.py [n_jobs] [seeds] [partial|adversarial] [tpe|random]
       [exp|power2|power1] [min_resource]
(min_resource: SuccessiveHalving's and Hyperband's, 1..9, default 1, as bench/pruning's)
EPOCH_CURVE=1 in the environment: every variant runs to the unpruned search's epochs and a
`curve` line per variant gives the regret at a sixth, a third, a half, two thirds and all of
them, and the epochs each seed needed to reach its unpruned search's final regret, as
bench/pruning does.
"""
import json
import math
import os
import statistics
import sys
import threading

import optuna

T = 27
UNPRUNED_TRIALS = 60
BUDGET = UNPRUNED_TRIALS * T // 3
CLAIRVOYANT_STARTUP = 5
CLAIRVOYANT_TOP = 0.9
MASK = (1 << 64) - 1


ADVERSARIAL = False
POWER = 0  # the curves' shape: 0 exponential, else (1 + k t) ** -POWER (bench/pruning.c)
MIN_RESOURCE = 1  # SuccessiveHalving's and Hyperband's first rung
EPOCH_CURVE = os.environ.get("EPOCH_CURVE") == "1"
# bench/pruning.c's oracle: final values closer than this to the best are not told apart
ORACLE_MARGIN = float(os.environ.get("ORACLE_MARGIN", "0"))
# bench/pruning.c's known bound: standard errors of benefit of doubt
KNOWN_Z = float(os.environ.get("KNOWN_Z", "1"))
NOISE_SD = 0.02 / 3  # the noise's standard deviation, as in bench/pruning.c
CURVE_SIXTHS = (1, 2, 3, 4, 6)  # EPOCH_CURVE: the budgets, in sixths of the unpruned epochs


def F(x):
    d2 = (x[0] - 0.65) ** 2 + (x[1] - 0.35) ** 2
    if ADVERSARIAL:
        return 0.9 - d2 - 0.2 * x[2] ** 2
    return 0.9 - d2 - 0.5 * max(0.0, x[2] - 0.7) ** 2


def progress(x, t):
    """The share of F(x) a config has reached after t epochs."""
    k = 0.2 + 0.2 * x[2] if ADVERSARIAL else 0.08 + 0.4 * x[2]
    return 1 - ((1 + k * t) ** -POWER if POWER else math.exp(-k * t))


def curve(x, t):
    return F(x) * progress(x, t)


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


SAMPLERS = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}

PRUNERS = {
    "unpruned": lambda: optuna.pruners.NopPruner(),
    "unpruned_at_budget": lambda: optuna.pruners.NopPruner(),
    "successive_halving": lambda: optuna.pruners.SuccessiveHalvingPruner(
        min_resource=MIN_RESOURCE, reduction_factor=3),
    "hyperband": lambda: optuna.pruners.HyperbandPruner(
        min_resource=MIN_RESOURCE, max_resource=T, reduction_factor=3),
    "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5),
    "clairvoyant": lambda: optuna.pruners.NopPruner(),
    "oracle": lambda: optuna.pruners.NopPruner(),
    "known": lambda: optuna.pruners.NopPruner(),
}


def clairvoyant_stops(final, finals):
    """bench/pruning.c's bound: after 5 trials ended, stop a trial after its first epoch
    unless its true final value reaches the top tenth of theirs."""
    if len(finals) < CLAIRVOYANT_STARTUP:
        return False
    ranked = sorted(finals)
    return final < ranked[int(CLAIRVOYANT_TOP * (len(ranked) - 1) + 0.5)]


def run(variant, seed, n_jobs, sampler):
    budget = 0 if variant == "unpruned" else UNPRUNED_TRIALS * T if EPOCH_CURVE else BUDGET
    # gains: each rise of best, as (epochs spent when that trial ended, the new best)
    state = {"epochs": 0, "best": -math.inf, "best_started": -math.inf, "pruned": 0,
             "finals": [], "gains": [], "best_score": -math.inf, "picked": -math.inf}
    lock = threading.Lock()

    def objective(trial):
        x = (trial.suggest_float("a", 0, 1), trial.suggest_float("b", 0, 1),
             trial.suggest_float("c", 0, 1))
        reported = 0.0
        sum_vp = sum_pp = 0.0  # the known bound's least-squares sums
        with lock:
            state["best_started"] = max(state["best_started"], curve(x, T))
        for t in range(1, T + 1):
            with lock:
                if budget and state["epochs"] >= budget:
                    trial.study.stop()
                    raise optuna.TrialPruned()
                state["epochs"] += 1
            reported = curve(x, t) + 0.02 * noise(seed, trial.number, t)
            trial.report(reported, t)
            bound_stops = False  # the clairvoyant and oracle bounds know the final value
            if variant == "clairvoyant" and t == 1:
                with lock:
                    bound_stops = clairvoyant_stops(curve(x, T), state["finals"])
            elif variant == "oracle" and t == 1:
                with lock:  # bench/pruning.c's oracle: on only to beat the best, less the margin
                    bound_stops = curve(x, T) <= state["best"] - ORACLE_MARGIN
            elif variant == "known":  # bench/pruning.c's known: F estimated from the reports
                sum_vp += reported * progress(x, t)
                sum_pp += progress(x, t) ** 2
                f_hat, f_se = sum_vp / sum_pp, NOISE_SD / math.sqrt(sum_pp)
                with lock:
                    bound_stops = (f_hat + KNOWN_Z * f_se) * progress(x, T) < state["best"]
            if bound_stops or trial.should_prune():
                with lock:
                    state["pruned"] += 1
                raise optuna.TrialPruned()
        with lock:
            if reported > state["best_score"]:  # study.best_trial's, by its reported value
                state["best_score"], state["picked"] = reported, curve(x, T)
            if curve(x, T) > state["best"]:
                state["best"] = curve(x, T)
                state["gains"].append((state["epochs"], state["best"]))
            state["finals"].append(curve(x, T))
        return reported

    study = optuna.create_study(direction="maximize",
                                sampler=SAMPLERS[sampler](seed=seed),
                                pruner=PRUNERS[variant]())
    study.optimize(objective, n_trials=UNPRUNED_TRIALS if variant == "unpruned" else 100000,
                   n_jobs=n_jobs)
    return state


def finite_or_none(v):
    """A JSON number, or null where the median seed found nothing or never got there."""
    return v if math.isfinite(v) else None


def main():
    global ADVERSARIAL, POWER, MIN_RESOURCE
    n_jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    workload = sys.argv[3] if len(sys.argv) > 3 else "partial"
    sampler = sys.argv[4] if len(sys.argv) > 4 else "tpe"
    shape = sys.argv[5] if len(sys.argv) > 5 else "exp"
    MIN_RESOURCE = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    if (workload not in ("partial", "adversarial") or sampler not in SAMPLERS
            or shape not in ("exp", "power2", "power1") or not 1 <= MIN_RESOURCE <= 9):
        sys.exit("usage: pruning_optuna.py [n_jobs] [seeds] [partial|adversarial] [tpe|random]"
                 " [exp|power2|power1] [min_resource 1..9]")
    ADVERSARIAL = workload == "adversarial"
    POWER = {"exp": 0, "power2": 2, "power1": 1}[shape]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fs = f_star()
    targets = []  # each seed's unpruned final best
    for variant in PRUNERS:
        regrets, started, picked, epochs = [], [], [], []
        at = [[] for _ in CURVE_SIXTHS]
        to_target = []
        for seed in range(seeds):
            st = run(variant, seed, n_jobs, sampler)
            if variant == "unpruned":
                targets.append(st["best"])
            for i, sixths in enumerate(CURVE_SIXTHS):
                within = [b for e, b in st["gains"] if e <= UNPRUNED_TRIALS * T * sixths // 6]
                at[i].append(fs - (within[-1] if within else -math.inf))
            to_target.append(next((e for e, b in st["gains"] if b >= targets[seed]), math.inf))
            regrets.append(fs - st["best"])
            started.append(fs - st["best_started"])
            picked.append(fs - st["picked"])
            epochs.append(st["epochs"])
            print(json.dumps({"workload": workload, "shape": shape, "sampler": sampler,
                              "optuna_variant": variant, "n_jobs": n_jobs, "seed": seed,
                              "epochs": st["epochs"], "pruned": st["pruned"],
                              "regret": regrets[-1], "regret_started": started[-1],
                              "regret_picked": picked[-1]}))
        print(json.dumps({"workload": workload, "shape": shape, "sampler": sampler,
                          "optuna_summary": variant, "n_jobs": n_jobs, "seeds": seeds,
                          "min_resource": MIN_RESOURCE,
                          "f_star": round(fs, 6),
                          "median_epochs": statistics.median(epochs),
                          "median_regret": statistics.median(regrets),
                          "median_regret_started": statistics.median(started),
                          "median_regret_picked": statistics.median(picked)}), flush=True)
        if EPOCH_CURVE:
            to = statistics.median(to_target)
            print(json.dumps({"workload": workload, "shape": shape, "sampler": sampler,
                              "optuna_curve": variant, "n_jobs": n_jobs, "seeds": seeds,
                              "min_resource": MIN_RESOURCE,
                              "median_regret_at": {
                                  str(UNPRUNED_TRIALS * T * sixths // 6): finite_or_none(
                                      statistics.median(a))
                                  for sixths, a in zip(CURVE_SIXTHS, at)},
                              "epochs_to_unpruned": finite_or_none(to),
                              "seeds_within_third": sum(e <= BUDGET for e in to_target)}),
                  flush=True)


if __name__ == "__main__":
    main()
