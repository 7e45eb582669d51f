"""Clara's Executor base class, for reference: libmmarml runs executors in C
(MMARExecutor, SlurmExecutor, NGCExecutor, or mmarml.optimize's objective); a Python
executor class is not loaded from config_automl.json (docs/python.md says why)."""
from automl.defs import Context, SearchSpace


class Executor:
    def determine_search_space(self, ctx: Context) -> SearchSpace:
        raise NotImplementedError

    def execute(self, recommendation, ctx: Context):
        raise NotImplementedError

    def abort(self, ctx: Context) -> None:
        pass
