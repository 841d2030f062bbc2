"""Live Spark progress in the cell that started the jobs: a display the kernel updates while the cell's
Spark job group runs, and a one-line summary when the cell ends."""

from __future__ import annotations

import html
import threading
import time
from typing import Any

POLL_SECONDS = 0.5


def _counts(tracker: Any, group: str) -> tuple[int, int, int, list[str]]:
    """(jobs, completed tasks, all tasks, running stage names) of one job group."""
    jobs = list(tracker.getJobIdsForGroup(group))
    done = total = 0
    running: list[str] = []
    for job_id in jobs:
        job = tracker.getJobInfo(job_id)
        for stage_id in job.stageIds if job else []:
            stage = tracker.getStageInfo(stage_id)
            if stage is None:
                continue
            done += stage.numCompletedTasks
            total += stage.numTasks
            if stage.numActiveTasks:
                running.append(f"stage {stage_id}")
    return len(jobs), done, total, running


def _bundle(jobs: int, done: int, total: int, running: list[str], final: str | None) -> dict[str, str]:
    share = done / total if total else 0.0
    what = f"{jobs} Spark job{'s' if jobs != 1 else ''}, {done}/{total} tasks"
    if final:  # skipped stages never complete their tasks: the summary counts what ran
        text = f"{jobs} Spark job{'s' if jobs != 1 else ''} ({done} tasks) {final}"
        return {"text/plain": text, "text/html": f'<div class="gluelab-progress">{html.escape(text)}</div>'}
    where = f" ({', '.join(running)})" if running else ""
    bar = "#" * int(share * 30)
    text = f"[{bar:<30}] {share:4.0%} {what}{where}"
    markup = (
        f'<div class="gluelab-progress"><progress value="{done}" max="{max(total, 1)}"></progress> '
        f"{share:.0%} &middot; {html.escape(what + where)}</div>"
    )
    return {"text/plain": text, "text/html": markup}


class SparkProgress:
    """Watches one cell's job group from a thread; sends display_data, then update_display_data, on the
    kernel's IOPub channel with the cell's request as parent."""

    def __init__(self, kernel: Any, group: str, parent: dict[str, Any]):
        self.kernel = kernel
        self.group = group
        self.parent = parent
        self.display_id = f"gluelab-progress-{group}"
        self.started = time.monotonic()
        self.shown = False
        self.last: tuple[int, int, int, list[str]] | None = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="spark-progress", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def finish(self, interrupted: bool = False) -> None:
        self.done.set()
        self.thread.join(5)
        spark = self.kernel.local_session.spark
        if self.shown and spark is not None:
            try:
                self.last = _counts(spark.sparkContext.statusTracker(), self.group)
            except Exception:  # noqa: BLE001 - the last poll's counts stand
                pass
        if self.shown and self.last is not None:
            jobs, done, total, _ = self.last
            outcome = "cancelled" if interrupted else "done"
            self._send(
                _bundle(jobs, done, total, [], f"{outcome} in {time.monotonic() - self.started:.1f} s")
            )

    def _watch(self) -> None:
        while not self.done.wait(POLL_SECONDS):
            spark = self.kernel.local_session.spark
            if spark is None:
                continue
            try:
                counts = _counts(spark.sparkContext.statusTracker(), self.group)
            except Exception:  # noqa: BLE001 - Spark may be stopping under us; progress is best effort
                continue
            if counts[0] and counts != self.last:
                self.last = counts
                self._send(_bundle(*counts, final=None))

    def _send(self, data: dict[str, str]) -> None:
        msg_type = "update_display_data" if self.shown else "display_data"
        content = {"data": data, "metadata": {}, "transient": {"display_id": self.display_id}}
        kernel = self.kernel
        kernel.session.send(
            kernel.iopub_socket, msg_type, content, parent=self.parent, ident=kernel._topic(msg_type)
        )
        self.shown = True
