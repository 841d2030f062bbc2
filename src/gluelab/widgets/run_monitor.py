"""RunMonitor: a job run's (or a workflow run's) live state: its state and what is done (Spark stages
finished and the time taken, for a job run; actions finished of all, with a progress bar, for a workflow
run), its error and the end of its log. ``refresh()`` reads once; ``watch()`` refreshes from a thread
until the run ends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import ipywidgets as w

from ..jobs.logs import read_lines
from .common import default_services, error_text

FINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED", "COMPLETED"}


class RunMonitor(w.VBox):
    def __init__(
        self, job: str | None = None, run_id: str | None = None, *, workflow: str | None = None,
        services: Any = None, log_lines: int = 12, **kwargs: Any,
    ):  # fmt: skip
        if (job is None) == (workflow is None) or run_id is None:
            raise ValueError("RunMonitor(job, run_id) or RunMonitor(workflow=..., run_id=...)")
        self.services = services or default_services()
        self.job, self.workflow, self.run_id, self.log_lines = job, workflow, run_id, log_lines
        self.title = w.HTML(f"<b>{job or workflow}</b> {run_id}")
        self.state = w.HTML()
        self.progress = w.FloatProgress(min=0.0, max=1.0, description="Progress")
        self.error = w.HTML()
        self.log_view = w.Textarea(layout=w.Layout(width="100%", height="12em"), disabled=True)
        self.final = False
        self.detail = ""
        self._stop = threading.Event()
        super().__init__([self.title, self.state, self.progress, self.error, self.log_view], **kwargs)
        self.refresh()

    def refresh(self) -> str:
        """Read the run once and show it; returns its state."""
        try:
            state = self._refresh_job() if self.job else self._refresh_workflow()
        except Exception as exc:  # noqa: BLE001 - shown, and watching stops
            self.error.value = f"<span style='color:#b00'>{error_text(exc)}</span>"
            self.final = True
            return "ERROR"
        self.final = state in FINAL
        colour = {"SUCCEEDED": "#080", "COMPLETED": "#080"}.get(state, "#b00" if self.final else "#555")
        self.state.value = f"<span style='color:{colour}'>{state}</span> {self.detail}"
        if self.final and state in ("SUCCEEDED", "COMPLETED"):
            self.progress.value = 1.0
        return state

    def _refresh_job(self) -> str:
        run = self.services.jobs.get_job_run({"JobName": self.job, "RunId": self.run_id})["JobRun"]
        if run.get("ErrorMessage"):
            self.error.value = f"<span style='color:#b00'>{run['ErrorMessage']}</span>"
        metrics = self.services.jobs.get_job_run_metrics({"JobName": self.job, "RunId": self.run_id})
        stages = (metrics.get("Metrics") or {}).get("Stages") or []
        self.detail = f"{len(stages)} Spark stage(s) done, {run.get('ExecutionTime', 0)} s"
        log_dir = Path(self.services.jobs.run_context(self.run_id)["LogDir"])
        lines = [*read_lines(log_dir, "run"), *read_lines(log_dir, "stdout")]
        self.log_view.value = "\n".join(lines[-self.log_lines :])
        return run["JobRunState"]

    def _refresh_workflow(self) -> str:
        run = self.services.workflows.get_workflow_run({"Name": self.workflow, "RunId": self.run_id})["Run"]
        stats = run.get("Statistics") or {}
        total = stats.get("TotalActions") or 0
        finished = sum(stats.get(k, 0) for k in ("SucceededActions", "FailedActions", "StoppedActions",
                                                   "TimeoutActions", "ErroredActions"))  # fmt: skip
        self.progress.value = finished / total if total else 0.0
        self.detail = f"{finished} of {total} action(s) finished"
        self.log_view.value = "\n".join(f"{k}: {v}" for k, v in stats.items())
        if run.get("ErrorMessage"):
            self.error.value = f"<span style='color:#b00'>{run['ErrorMessage']}</span>"
        return run["Status"]

    def watch(self, interval: float = 1.0) -> threading.Thread:
        """Refresh every ``interval`` seconds from a thread until the run ends (or ``stop()``)."""

        def loop() -> None:
            while not self.final and not self._stop.wait(interval):
                self.refresh()

        thread = threading.Thread(target=loop, name="gluelab-run-monitor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
