"""A warm spare: ``python -m gluelab.jobs.spare DIR SPEC_JSON``, started by the supervisor's pool.

It starts Spark (the pool's sizing), imports the Glue library and connects to the store; then it writes
in DIR its Spark ``key``, its ``pid``, a ``handoff`` FIFO and, last, ``ready``. Any process on this host
that starts a run (the server, the CLI, a finishing run) may take it: renaming ``ready`` to ``taken``
(atomic: one taker wins) and writing the run id into the FIFO. The spare then runs that run as a cold run
process would, with Spark already up. One spare serves one run only. A spare nobody took ends when its
supervisor goes away or closes the pool (``ready`` renamed to ``closing``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..config import Settings
from .logs import RunLogs
from .metrics import WARMUP_GROUP


class WarmSpark:
    """What a run process takes over from the spare: the session, its event log and its logs."""

    def __init__(self, session: Any, spare_dir: Path):
        self.session = session
        self.spare_dir = spare_dir
        self.event_log_dir = spare_dir / "spark-events"

    def adopt_logs(self, logs: RunLogs) -> None:
        """Move the spare's Spark and process logs into the run's folder; Spark keeps writing to them
        (it holds the files open, and a rename keeps them)."""
        for name in ("spark.log", "process.log"):
            source = self.spare_dir / name
            if source.exists():
                source.rename(logs.dir / name)
        (self.spare_dir / "run").write_text(str(logs.dir))


def _warm_up(session: Any) -> None:
    """One small query through Spark's planner, code generation and a shuffle, so that a run's first
    query does not pay for loading them (left out of the run's metrics by its job group)."""
    context = session.sparkContext
    context.setJobGroup(WARMUP_GROUP, "gluelab warm-up", False)
    try:
        session.range(100).selectExpr("id % 7 AS k", "id * 2 AS v").groupBy("k").sum("v").collect()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
        context.setLocalProperty("spark.job.description", None)
        context.setLocalProperty("spark.job.interruptOnCancel", None)
    session._jvm.System.gc()  # give back the warm-up's garbage: a spare waits small


def _watch(spare_dir: Path, received: threading.Event, parent: int) -> None:
    """End an untaken spare whose supervisor (``parent``, read when the process began: it may be gone
    before Spark is up) is gone or closed the pool (and one whose taker vanished)."""
    taken_at: float | None = None
    while not received.wait(0.5):
        ready, taken = (spare_dir / "ready"), (spare_dir / "taken")
        if os.getppid() != parent:
            try:
                ready.rename(spare_dir / "closing")
            except OSError:
                pass
        if taken.exists():
            taken_at = taken_at or time.monotonic()
            if time.monotonic() - taken_at > 30:
                os._exit(1)
        elif not ready.exists():
            os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parent = os.getppid()
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m gluelab.jobs.spare DIR SPEC_JSON", file=sys.stderr)
        return 2
    spare_dir = Path(args[0])
    spec_fields = json.loads(args[1])
    spare_dir.mkdir(parents=True, exist_ok=True)
    process_log = os.open(spare_dir / "process.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    spark_log = os.open(spare_dir / "spark.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(spark_log, 1)
    os.dup2(spark_log, 2)  # Spark's JVM inherits these: its log is spark.log
    settings = Settings.load()
    from ..runtime.spark import SparkSpec, build_session, install_context_hooks
    from .launchers import spark_key

    spec = SparkSpec(**spec_fields, event_log_dir=spare_dir / "spark-events")
    session = build_session(settings, spec)
    install_context_hooks(settings)
    _warm_up(session)
    os.dup2(process_log, 1)
    os.dup2(process_log, 2)
    from sqlalchemy import text

    import awsglue.context  # noqa: F401 - the Glue library, imported before a run needs it
    import awsglue.job  # noqa: F401
    import awsglue.transforms  # noqa: F401
    import awsglue.utils  # noqa: F401

    from ..services import open_services
    from .run import RunProcess

    services = open_services(settings)
    with services.store.read() as db:  # connect now, not when the run comes
        db.execute(text("SELECT 1"))
    (spare_dir / "key").write_text(spark_key(settings, spec))
    (spare_dir / "pid").write_text(str(os.getpid()))
    os.mkfifo(spare_dir / "handoff")
    received = threading.Event()
    threading.Thread(target=_watch, args=(spare_dir, received, parent), daemon=True).start()
    (spare_dir / "ready").touch()
    with open(spare_dir / "handoff", encoding="utf-8") as handoff:  # blocks until a taker opens it
        run_id = handoff.readline().strip()
    received.set()
    if not run_id:
        session.stop()
        return 0
    try:
        state = RunProcess(services, run_id, WarmSpark(session, spare_dir)).execute()
        return 0 if state == "SUCCEEDED" else 1
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
