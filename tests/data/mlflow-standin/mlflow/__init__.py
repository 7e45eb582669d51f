"""A stand-in for MLflow (not in Debian) for the BYOC tests: records what is logged as one
JSON line per run in $MLFLOW_STANDIN_LOG, so a test can check what Clara's MyHandler logged.
Only the calls Clara's example makes: set_tracking_uri, start_run (a context manager),
log_param, log_metric."""
import json
import os
import threading

_lock = threading.Lock()
_local = threading.local()
tracking_uri = None


def set_tracking_uri(uri):
    global tracking_uri
    tracking_uri = uri


class _Run:
    def __init__(self):
        self.params, self.metrics = {}, {}

    def __enter__(self):
        _local.run = self
        return self

    def __exit__(self, *exc):
        _local.run = None
        with _lock, open(os.environ["MLFLOW_STANDIN_LOG"], "a") as f:
            f.write(json.dumps({"uri": tracking_uri, "params": self.params,
                                "metrics": self.metrics}) + "\n")
        return False


def start_run():
    return _Run()


def log_param(key, value):
    _local.run.params[key] = value


def log_metric(key, value):
    _local.run.metrics[key] = value
