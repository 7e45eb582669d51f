"""Clara's Handler base class: every event method does nothing unless overridden."""
from automl.defs import Context


class Handler:
    """Observes the run. start_job and end_job are called from job threads, several at
    once; the other events one at a time."""

    def __init__(self) -> None:
        pass

    def startup(self, ctx: Context) -> None:
        pass

    def shutdown(self, ctx: Context) -> None:
        pass

    def start_automl(self, ctx: Context) -> None:
        pass

    def end_automl(self, ctx: Context) -> None:
        pass

    def search_space_available(self, ctx: Context) -> None:
        pass

    def recommendations_available(self, ctx: Context) -> None:
        pass

    def start_job(self, ctx: Context) -> None:
        pass

    def end_job(self, ctx: Context) -> None:
        pass

    def round_ended(self, ctx: Context) -> None:
        pass
