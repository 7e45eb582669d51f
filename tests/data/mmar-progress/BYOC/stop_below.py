"""A pruner of one's own, in Python (docs/python.md), as config_automl_python_pruner.json
names it: "pruner": {"path": "stop_below.StopBelow", "args": {...}}. It stops a job whose
value at `step` or later is below `below`, and writes what it was told to `log`, one JSON
object per line (the tests read it; the config takes the file from `--set pruner_log=...`)."""
import json


class StopBelow:
    def __init__(self, step, below, log=None):
        self.step, self.below, self.log = step, below, log

    def _write(self, record):
        if self.log:
            with open(self.log, "a") as f:
                f.write(json.dumps(record) + "\n")

    def report(self, job, job_number, step, value, ctx):
        q = ctx.get_prop("_recommendation").result.values["test.float.$0:score"]
        stop = step >= self.step and value < self.below
        self._write({"job": job, "number": job_number, "step": step, "value": value, "q": q,
                     "stop": stop})
        return stop

    def job_ended(self, job, job_number, status):
        self._write({"job": job, "number": job_number, "status": status})
