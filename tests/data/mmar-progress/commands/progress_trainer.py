"""Test trainer for the progress protocol (tests/check_progress.c).

The searched "score" q is the job's quality; value(epoch) = q * (1 - exp(-epoch / 3)).
MMARML_TEST_PROGRESS says how it reports:
  curve   one line per epoch in $MMARML_PROGRESS_FILE, with the time $MMARML_TEST_T0 +
          epoch (epoch 2: a time that is not a time; epoch 3: 2100-01-01, a clock far
          ahead; epoch 4: 250 s ahead of now, a clock a little ahead; epochs 5 and 6 as
          ISO 8601 dates, with an offset and in local time); leaves when $MMARML_STOP_FILE
          appears
  hostile malformed, torn, huge, NaN, negative, non-monotone and NUL-holding lines among
          good ones, then 100,000 lines in a burst
  regex   prints "epoch <e> val_acc=<v>" to its log only (progress_regex collects them)
  regex_time  prints Python logging's lines, "<local time $MMARML_TEST_T0 + epoch> - INFO -
          epoch <e>/<epochs> val_acc: <v>", to its log only (epoch 2: a time that is not
          one)
  ignore  ignores SIGTERM and the stop marker, and reports slowly until killed
"""
import datetime
import json
import math
import os
import re
import signal
import sys
import time

mode = os.environ.get("MMARML_TEST_PROGRESS", "curve")
epochs = int(os.environ.get("MMARML_TEST_EPOCHS", "10"))
with open("config/config_train.json") as f:
    q = json.load(f)["score"]
progress = os.environ.get("MMARML_PROGRESS_FILE")
stop_file = os.environ.get("MMARML_STOP_FILE")
t0 = float(os.environ.get("MMARML_TEST_T0", time.time()))
east2 = datetime.timezone(datetime.timedelta(hours=2))


def value(e):
    return q * (1 - math.exp(-e / 3))


def append(text):
    with open(progress, "a") as f:
        f.write(text)


def finish(best):
    os.makedirs("models", exist_ok=True)
    with open("models/train_stats.json", "w") as f:
        json.dump({"best_validation_metric": best}, f)


if mode == "curve":
    best = 0
    for e in range(1, epochs + 1):
        when = ("yesterday" if e == 2 else 4102444800 if e == 3 else
                time.time() + 250 if e == 4 else
                datetime.datetime.fromtimestamp(t0 + e, east2).isoformat() if e == 5 else
                datetime.datetime.fromtimestamp(t0 + e).isoformat(" ") if e == 6 else t0 + e)
        append(json.dumps({"step": e, "value": value(e), "metric": "val", "time": when}) + "\n")
        best = max(best, value(e))
        time.sleep(0.05)
        if os.path.exists(stop_file):
            print("stop marker seen at epoch %d" % e, flush=True)
            finish(best)
            sys.exit(0)
    finish(best)
elif mode == "hostile":
    append("not json\n")
    append('{"step": 1}\n')
    append('{"step": NaN, "value": 1}\n')
    append('{"step": -1, "value": 0.5}\n')
    append('{"step": 1, "value": 1e999}\n')
    append('{"step": 1, "value": 0.5, "metric": 7}\n')
    append("[" * 100000 + "\n")
    append('{"step": 1, "value": 0.25}\x00\n')
    append(json.dumps({"step": 1, "value": q / 2}) + "\n")
    append(json.dumps({"step": 0.5, "value": 9}) + "\n")  # steps go back: dropped
    append(json.dumps({"step": 2, "value": q}) + "\n")
    with open(progress, "a") as f:
        for e in range(3, 100003):
            f.write('{"step": %d, "value": %r}\n' % (e, q))
    append('{"step": 200000, "val')  # torn: the trainer dies in the middle of a line
    finish(q)
elif mode == "regex":
    for e in range(1, epochs + 1):
        print("epoch %d loss 0.1 val_acc=%.4f" % (e, value(e)), flush=True)
        print("epoch %d val_acc=not-a-number" % e, flush=True) if e == 1 else None
    finish(value(epochs))
elif mode == "regex_time":
    for e in range(1, epochs + 1):
        asctime = ("2026-13-45 99:99:99,000" if e == 2 else
                   time.strftime("%Y-%m-%d %H:%M:%S,000", time.localtime(t0 + e)))
        print("%s - INFO - epoch %d/%d val_acc: %.4f" % (asctime, e, epochs, value(e)),
              flush=True)
    finish(value(epochs))
elif mode == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for e in range(1, 600):
        append(json.dumps({"step": e, "value": value(e)}) + "\n")
        time.sleep(0.05)
    finish(value(599))
