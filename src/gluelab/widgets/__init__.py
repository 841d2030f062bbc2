"""ipywidgets for authoring and watching gluelab's jobs and triggers from a notebook (our kernel or a
plain python3 kernel): thin faces over the same service methods as the API and the CLI."""

from .job_builder import JobBuilder
from .run_monitor import RunMonitor
from .trigger_builder import TriggerBuilder

__all__ = ["JobBuilder", "RunMonitor", "TriggerBuilder"]
