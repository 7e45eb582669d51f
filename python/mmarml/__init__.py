"""mmarml: AutoML over real training jobs, from Python (docs/python.md).

A search space, an objective, a controller by name::

    import mmarml

    space = mmarml.SearchSpace()
    space.add_float("lr", 1e-4, 1e-1, log=True)
    space.add_int("depth", 2, 8)
    space.add_enum("model", ["unet", "segresnet"])

    def objective(values, job):
        return train(values["lr"], values["depth"], values["model"])

    study = mmarml.optimize(objective, space, n_trials=100, workers=4)
    print(study.best.score, study.best.values)

The engine, the controllers (TPEController, RandomController, GridController,
ReinforcementController...), the pruners and the handlers are libmmarml's own, in C; the
objective runs in the engine's job threads, holding Python's GIL only while it runs.
"""
from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _mmarml
from ._mmarml import Job, MmarmlError

__all__ = ["SearchSpace", "Job", "Outcome", "Study", "MmarmlError", "optimize", "run_mmar",
           "version"]

Value = Union[float, int, Any]


def version() -> str:
    """The version of the libmmarml library in use."""
    return _mmarml.version()


class SearchSpace:
    """The params a search may set: floats and ints (linear or log scale) and enums.

    Each param has a name, which is its key in the values an objective gets; Clara's
    PRLs (``lr.float.$0:learning_rate``) are names too.
    """

    def __init__(self, name: str = "python") -> None:
        self._space = _mmarml.Space(name)
        self._names: List[str] = []
        self._kinds: List[str] = []
        self._choices: List[Optional[List[Any]]] = []

    def _added(self, name: str, kind: str, choices: Optional[List[Any]] = None) -> None:
        self._names.append(name)
        self._kinds.append(kind)
        self._choices.append(choices)

    def add_float(self, name: str, low: float, high: float, *, log: bool = False,
                  domain: str = "python") -> "SearchSpace":
        """A float in [low, high]; on a log scale with ``log=True`` (then low > 0)."""
        self._space.add_float(name, domain, float(low), float(high), log)
        self._added(name, "float")
        return self

    def add_int(self, name: str, low: int, high: int, *, log: bool = False,
                domain: str = "python") -> "SearchSpace":
        """An int in [low, high], both included."""
        self._space.add_int(name, domain, float(low), float(high), log)
        self._added(name, "int")
        return self

    def add_enum(self, name: str, choices: Sequence[Any], *,
                 domain: str = "python") -> "SearchSpace":
        """One of ``choices`` (any JSON values); the objective gets the choice itself."""
        choices = list(choices)
        self._space.add_enum(name, domain, json.dumps(choices))
        self._added(name, "enum", choices)
        return self

    @property
    def names(self) -> List[str]:
        """The params' names, in the order they were added."""
        return list(self._names)

    def to_json(self) -> Dict[str, Any]:
        """The space as libmmarml describes it (prl, domain, type, bounds or choices)."""
        return json.loads(self._space.to_json())

    def __len__(self) -> int:
        return len(self._names)

    def values(self, raw: Sequence[float]) -> Dict[str, Value]:
        """The engine's numbers for one recommendation, as the objective sees them: ints as
        int, enums as the choice."""
        out: Dict[str, Value] = {}
        for name, kind, choices, x in zip(self._names, self._kinds, self._choices, raw):
            if kind == "int":
                out[name] = int(x)
            elif kind == "enum":
                out[name] = choices[int(x)] if choices is not None and not math.isnan(x) else None
            else:
                out[name] = x
        return out


@dataclass(frozen=True)
class Outcome:
    """How one job ended."""

    job: str
    """The job's name (``W1_3_J7``)."""
    status: str
    """ok, failed, no_score, aborted, timeout, error or pruned."""
    score: Optional[float]
    """The score of an ok job, the value a pruned job was judged by, else None."""
    values: Dict[str, Value] = field(default_factory=dict)
    """The values it ran with."""
    rec_id: int = -1
    """The controller's recommendation id."""
    error: Optional[str] = None
    """For a job whose objective raised: the Python traceback."""
    reports: List[Tuple[float, float]] = field(default_factory=list)
    """Its progress reports the engine accepted, (step, value) in the order they were made
    (step order, unless report_steps="unique"; Optuna's intermediate_values); empty for a
    job replayed from a journal."""


class Study:
    """A run's outcomes: every job as it ended (also while the run goes on, and after
    Ctrl-C), the best one, why the run ended."""

    def __init__(self, space: Optional[SearchSpace] = None) -> None:
        self._space = space
        self._raw: List[tuple] = []
        self._box: List[Any] = []  # the run's context, once it runs
        self.end_reason: Optional[str] = None

    def stop(self, message: str = "stopped from Python") -> None:
        """Stop the run (from any thread): no new job starts, running jobs end (their
        ``job.aborted`` turns True), then optimize() returns. Nothing when it has ended."""
        if self._box:
            self._box[0].stop_work("Study.stop", message)

    @property
    def exception_count(self) -> int:
        """How many exceptions the run's components reported (a Python handler or pruner
        that raised, a handler that failed): each is logged and the run goes on."""
        return self._box[0].exception_count() if self._box else 0

    @property
    def last_exception(self) -> Optional[str]:
        """The last of them, as ``"[issuer] message"`` (a Python one with its traceback),
        or None."""
        return self._box[0].last_exception() if self._box else None

    def _outcome(self, raw: tuple) -> Outcome:
        job, status, score, values, rec_id, error, reports = raw
        named = (values if isinstance(values, dict) or self._space is None
                 else self._space.values(values))
        return Outcome(job, status, score, named, rec_id, error, list(reports))

    @property
    def outcomes(self) -> List[Outcome]:
        """Every job that ended, in the order they ended."""
        return [self._outcome(r) for r in list(self._raw)]

    @property
    def best(self) -> Optional[Outcome]:
        """The ok job with the highest score (the earliest of equal ones), or None."""
        best = None
        for r in list(self._raw):
            if r[1] == "ok" and r[2] is not None and (best is None or r[2] > best[2]):
                best = r
        return self._outcome(best) if best is not None else None

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        best = self.best
        return "<Study %d jobs, best %s, %s>" % (
            len(self), "%.6g" % best.score if best else None, self.end_reason or "running")


def _spec(name: str, args: Optional[Mapping[str, Any]]) -> str:
    return json.dumps({"name": name, "args": dict(args or {})})


# Optuna's pruners (3.1; WilcoxonPruner 3.6): the args of ours of the same name, which
# Optuna keeps as attributes with a leading underscore
_OPTUNA_PRUNER_ARGS = {
    "MedianPruner": ("n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"),
    "PercentilePruner": ("percentile", "n_startup_trials", "n_warmup_steps", "interval_steps",
                         "n_min_trials"),
    "SuccessiveHalvingPruner": ("min_resource", "reduction_factor", "min_early_stopping_rate",
                                "bootstrap_count"),
    "HyperbandPruner": ("min_resource", "max_resource", "reduction_factor", "bootstrap_count"),
    "ThresholdPruner": ("lower", "upper", "n_warmup_steps", "interval_steps"),
    "PatientPruner": ("wrapped_pruner", "patience", "min_delta"),
    "WilcoxonPruner": ("p_threshold", "n_startup_steps"),
    "NopPruner": (),
}


def _is_optuna_pruner(pruner: Any) -> bool:
    return type(pruner).__module__.startswith("optuna.pruners")


def _optuna_pruner_spec(pruner: Any) -> Optional[Dict[str, Any]]:
    """Our spec for an Optuna pruner object, read from its attributes; None for one we do
    not know (another class, or attributes not where Optuna 3.1 keeps them)."""
    name = type(pruner).__name__
    keys = _OPTUNA_PRUNER_ARGS.get(name) if _is_optuna_pruner(pruner) else None
    if keys is None:
        return None
    args: Dict[str, Any] = {}
    for key in keys:
        if not hasattr(pruner, "_" + key):
            return None
        value = getattr(pruner, "_" + key)
        if key == "wrapped_pruner" and value is not None:
            value = _optuna_pruner_spec(value)
            if value is None:
                return None
        elif key == "min_resource" and value is None:  # SuccessiveHalving's "auto", unset
            value = "auto"
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            if math.isinf(value):
                continue  # ThresholdPruner's open side: no bound
            # a numpy number too (JSON takes Python's only)
            value = int(value) if isinstance(value, numbers.Integral) else float(value)
        args[key] = value
    return {"name": name, "args": args}


# pruned_score by name: enum mmarml_pruned_score
_PRUNED_SCORES = {"best": 0, "last": 1, "mean": 2}
# report_steps by name: enum mmarml_report_steps
_REPORT_STEPS = {"increasing": 0, "unique": 1}


def optimize(objective: Callable[[Dict[str, Value], Job], Optional[float]],
             space: SearchSpace, *, n_trials: int = 100,
             controller: Union[str, Any] = "TPEController",
             controller_args: Optional[Mapping[str, Any]] = None, seed: int = 0,
             workers: Union[int, str] = 1, max_jobs: int = 0,
             pruner: Union[str, Any, None] = None,
             pruner_args: Optional[Mapping[str, Any]] = None,
             pruned_score: str = "best", report_steps: str = "increasing",
             handlers: Sequence[Union[str, Mapping[str, Any], Any]] = (),
             journal: Optional[str] = None, study: Optional[Study] = None) -> Study:
    """Search ``space`` for the values that maximise ``objective(values, job)``.

    The objective returns a score (higher is better), or None when the job has none; an
    exception makes the job's status ``error`` (its traceback in the outcome) and the run
    goes on. ``job.report(step, value)`` sends progress to the pruner and returns True when
    the job should stop: return then (any value); the job ends ``pruned``, scored by its
    best report (``pruned_score="last"``: its last; ``"mean"``: the mean of its reports, for
    a value per instance with WilcoxonPruner). A job's steps must increase; with
    ``report_steps="unique"`` each step is taken once in any order (instance ids visited in
    an order of the job's own, for WilcoxonPruner).

    ``controller`` is any libmmarml controller by name with ``controller_args`` (by default
    ``max_rounds=n_trials`` and ``seed``), or a Python controller object (Clara's
    Controller methods: set_search_space, initial_recommendation, refine_recommendation;
    docs/python.md); ``workers`` is a count or Clara's workers string (``"0:1"``,
    ``"0,1:2,3"``); ``pruner`` a pruner by name (MedianPruner, PercentilePruner,
    ThresholdPruner, PatientPruner, WilcoxonPruner, ASHAPruner, SuccessiveHalvingPruner,
    HyperbandPruner, LearnedCurvePruner, NopPruner) with ``pruner_args``, an Optuna pruner
    object (ours of its name runs, with the args it holds), or a Python pruner object (its
    ``report(job, job_number, step, value, ctx)`` returns True to stop the job; an optional
    ``job_ended(job, job_number, status)``; docs/python.md); ``handlers`` more handlers: a
    name, ``{"name": ..., "args": ...}``, or a Python handler object (Clara's Handler event
    methods); ``journal`` a journal file to keep the run in.

    ``study.stop()`` (any thread) or ``job.stop_run()`` stops the run; so does Ctrl-C, after
    which KeyboardInterrupt is raised and the ``study`` passed in holds every job that
    ended. Running jobs see ``job.aborted`` and should return soon.
    """
    if not callable(objective):
        raise TypeError("the objective must be callable")
    if isinstance(controller, str):
        args = dict(controller_args or {})
        args.setdefault("max_rounds", n_trials)
        if controller in ("TPEController", "RandomController", "ReinforcementController"):
            args.setdefault("seed", seed)
        controller_spec: Any = _spec(controller, args)
    else:
        if controller_args:
            raise ValueError("controller_args go to a controller by name; a Python "
                             "controller takes its own")
        controller_spec = controller
    if isinstance(workers, int):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        workers = ":".join(["-"] * workers)
    if pruner is not None and not isinstance(pruner, str):
        if pruner_args:
            raise ValueError("pruner_args go to a pruner by name; a Python pruner takes its "
                             "own")
        if _is_optuna_pruner(pruner):
            # ours has the same name and args (docs/early-stopping.md, "Coming from Optuna")
            spec = _optuna_pruner_spec(pruner)
            if spec is None:
                raise TypeError(f"an Optuna pruner object whose args cannot be read: name "
                                f"it instead, pruner={type(pruner).__name__!r}, "
                                f"pruner_args={{...}} with the same args")
            pruner, pruner_args = spec["name"], spec["args"]
        elif not callable(getattr(pruner, "report", None)):
            raise TypeError("a Python pruner needs a report(job, job_number, step, value, "
                            "ctx) method")
    if pruned_score not in _PRUNED_SCORES:
        raise ValueError("pruned_score is 'best', 'last' or 'mean'")
    if report_steps not in _REPORT_STEPS:
        raise ValueError("report_steps is 'increasing' or 'unique'")
    handler_specs = [_spec(h, None) if isinstance(h, str)
                     else json.dumps(dict(h)) if isinstance(h, Mapping) else h
                     for h in handlers]
    study = study if study is not None else Study(space)
    study._space = space

    def call(raw_values: tuple, job: Job) -> Optional[float]:
        return objective(space.values(raw_values), job)

    study.end_reason = _mmarml.optimize(
        space._space, call, study._raw, controller_spec, workers, max_jobs,
        _spec(pruner, pruner_args) if isinstance(pruner, str) else pruner, handler_specs,
        journal, _PRUNED_SCORES[pruned_score], study._box, _REPORT_STEPS[report_steps])
    return study


def run_mmar(mmar: str, automlconf: Optional[str] = None, *, study: Optional[Study] = None,
             **variables: str) -> Study:
    """Run the AutoML of an MMAR as ``mmarml run -m MMAR`` does: its config_automl.json (or
    ``automlconf``), with ``variables`` as ``--set key=value`` (run_id, workers, trainconf,
    traceout, ...). Returns the study; its outcomes' values are keyed by PRL (an enum's
    value is its choice index, as Clara's controllers see it). Stopped as optimize() is."""
    study = study if study is not None else Study()
    variables_json = json.dumps({k: str(v) for k, v in variables.items()}) if variables else None
    study.end_reason = _mmarml.run_mmar(mmar, automlconf, variables_json, study._raw,
                                        study._box)
    return study
