"""A stand-in for Clara's medl.apps.train, for tests: it takes Clara's arguments, checks what
Clara's commands/automl_train_round.sh and set_env.sh set up, trains nothing, and writes the
training stats the AutoML reads (models/train_stats.json) and what it saw
(models/clara_probe.json)."""
import argparse
import json
import math
import os
import sys


def main():
    p = argparse.ArgumentParser(prog="medl.apps.train")
    p.add_argument("-m", dest="mmar", required=True)
    p.add_argument("-c", dest="config", required=True)
    p.add_argument("-e", dest="environment", required=True)
    p.add_argument("--write_train_stats", action="store_true")
    p.add_argument("--set", nargs="*", default=[])
    a = p.parse_args()
    mmar = os.path.realpath(a.mmar)
    with open(os.path.join(mmar, a.config)) as f:
        config = json.load(f)
    with open(os.path.join(mmar, a.environment)) as f:
        json.load(f)
    import byoc_probe  # from the job's BYOC folder, through set_env.sh's PYTHONPATH
    lr = float(config["learning_rate"])
    probe = {
        "mmar_root": mmar,
        "byoc": os.path.realpath(os.path.dirname(byoc_probe.LOADED_FROM)),
        "cwd": os.getcwd(),
        "set": a.set,
        "learning_rate": lr,
    }
    os.makedirs(os.path.join(mmar, "models"), exist_ok=True)
    with open(os.path.join(mmar, "models", "clara_probe.json"), "w") as f:
        json.dump(probe, f)
    if a.write_train_stats:
        # best near lr = 3e-4: a score the search can improve
        score = 1.0 / (1.0 + abs(math.log10(lr) - math.log10(3e-4)))
        with open(os.path.join(mmar, "models", "train_stats.json"), "w") as f:
            json.dump({"best_validation_metric": score}, f)
    print("stand-in medl.apps.train: lr %g" % lr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
