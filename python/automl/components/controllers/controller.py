"""Clara's Controller base class."""
from typing import List

from automl.defs import Context, Outcome, Recommendation, SearchSpace


class Controller:
    """Proposes recommendations and learns from outcomes. libmmarml calls the methods one
    at a time, from the engine's thread."""

    def __init__(self) -> None:
        pass

    def set_search_space(self, space: SearchSpace, ctx: Context) -> None:
        """The run's space; raise (or ctx.stop_work) when it is unacceptable."""
        raise NotImplementedError

    def initial_recommendation(self, ctx: Context) -> List[Recommendation]:
        """The first recommendations."""
        raise NotImplementedError

    def refine_recommendation(self, outcome: Outcome, ctx: Context) -> List[Recommendation]:
        """More recommendations, after one job's outcome (none: wait for the next)."""
        raise NotImplementedError
