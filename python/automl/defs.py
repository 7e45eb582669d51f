"""Clara's automl.defs on libmmarml: Context, ContextKey, Status, the search-space classes,
Recommendation and Outcome, with the attributes Clara's examples use."""
from typing import Any, Dict, List, Optional


class ContextKey:
    """Clara's standard property keys (their exact strings)."""
    CONCRETE_SEARCH_VALUE = "_concreteSearchValue"
    GPUS = "_gpus"
    JOB_NAME = "_jobName"
    JOB_STATUS = "_jobStatus"
    NUM_WORKERS = "_numWorkers"
    PROCESS_EXIT_STATUS = "_processExitStatus"
    RECOMMENDATION = "_recommendation"
    RECOMMENDATIONS = "_recommendations"
    SCORE = "_score"
    SEARCH_SPACE = "_searchSpace"
    TRACE_DEST_FILE = "_traceDestFile"
    TRACE_DEST_TYPE = "_traceDestType"


class Status:
    """Job statuses, as `_jobStatus` holds them (libmmarml's names)."""
    OK = "ok"
    FAILED = "failed"
    NO_SCORE = "no_score"
    ABORTED = "aborted"
    TIMEOUT = "timeout"
    ERROR = "error"
    PRUNED = "pruned"


class SearchRange:
    """One range of a param: [min, max] for a float or int; min = max = the choice index
    for each choice of an enum."""

    def __init__(self, min: float, max: float) -> None:  # noqa: A002 (Clara's names)
        self.min = min
        self.max = max

    def __repr__(self) -> str:
        return "SearchRange(%r, %r)" % (self.min, self.max)


class SearchSpace:
    """`targets`: PRL -> list of SearchRange (one for a number, one per choice for an
    enum)."""

    def __init__(self, name: str, targets: Dict[str, List[SearchRange]]) -> None:
        self.name = name
        self.targets = targets

    @classmethod
    def from_json(cls, raw: Dict[str, Any]) -> "SearchSpace":
        targets: Dict[str, List[SearchRange]] = {}
        for p in raw.get("params", []):
            if p["type"] == "enum":
                targets[p["prl"]] = [SearchRange(i, i) for i in range(len(p["choices"]))]
            else:
                targets[p["prl"]] = [SearchRange(p["min"], p["max"])]
        return cls(raw.get("name", ""), targets)


class SearchResult:
    """Values a search chose: PRL -> value (an enum's value is its choice index)."""

    def __init__(self, space: Optional[SearchSpace], values: Dict[str, Any]) -> None:
        self.space = space
        self.values = values

    def dump(self) -> None:
        for prl, value in self.values.items():
            print("%s => %r" % (prl, value))


class Recommendation:
    """`Recommendation(rec_id, result)`."""

    def __init__(self, rec_id: int, result: SearchResult) -> None:
        self.rec_id = rec_id
        self.result = result

    def __repr__(self) -> str:
        return "Recommendation(%r, %r)" % (self.rec_id, self.result.values)


class Outcome:
    """How a job ended: `recommendation_id`, `score` (None unless ok, or a pruned job's
    value), `status`, `job_name`, `values` (PRL -> value)."""

    def __init__(self, recommendation_id: int, score: Optional[float], status: str = "ok",
                 job_name: str = "", values: Optional[Dict[str, Any]] = None) -> None:
        self.recommendation_id = recommendation_id
        self.score = score
        self.status = status
        self.job_name = job_name
        self.values = values or {}


class Context:
    """A run's or a job's properties (Clara's Context), over libmmarml's context. The
    recommendation keys read as Recommendation objects, the space key as a SearchSpace."""

    def __init__(self, raw) -> None:
        self._raw = raw

    def get_prop(self, key: str, default: Any = None) -> Any:
        value = self._raw.get_prop(key, default)
        if value is default:
            return value
        if key == ContextKey.RECOMMENDATIONS:
            return [Recommendation(i, SearchResult(None, v)) for i, v in value]
        if key == ContextKey.RECOMMENDATION:
            return Recommendation(value[0], SearchResult(None, value[1]))
        if key == ContextKey.SEARCH_SPACE:
            return SearchSpace.from_json(value)
        return value

    def set_prop(self, key: str, value: Any) -> None:
        self._raw.set_prop(key, value)

    def stop_work(self, issuer: Any, msg: str = "") -> None:
        self._raw.stop_work(issuer, msg)

    def stop_work_asked(self) -> bool:
        return self._raw.stop_work_asked()

    def get_stop_message(self) -> Optional[str]:
        return self._raw.get_stop_message()

    def trace(self, issuer: Any, msg: str, print_to_console: bool = False) -> None:
        self._raw.trace(issuer, msg, print_to_console)

    def exception_occurred(self, issuer: Any, msg: Optional[str] = None) -> None:
        self._raw.exception_occurred(issuer, msg)
