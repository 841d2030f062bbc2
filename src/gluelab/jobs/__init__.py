"""Jobs: definitions, runs, the executor and its launchers (one per job type)."""

from ..config import Settings
from ..store import Store
from .definitions import JobDefinitions
from .executor import Executor
from .runs import JobRuns


class JobService(JobDefinitions, JobRuns):
    """Every job and job-run operation, one method each (see ``gluelab.operations``)."""

    def __init__(self, store: Store, settings: Settings):
        super().__init__(store, settings)
        self.executor = Executor(self, settings)


__all__ = ["JobService"]
