"""Jobs: definitions, runs, the executor and its launchers (one per job type)."""

from .definitions import JobDefinitions


class JobService(JobDefinitions):
    """Every job operation, one method each (see ``gluelab.operations``)."""


__all__ = ["JobService"]
