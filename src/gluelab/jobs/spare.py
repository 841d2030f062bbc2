"""A warm spare: ``python -m gluelab.jobs.spare DIR KEY_SPEC``, started by the supervisor's pool.

It starts Spark (the pool's sizing), imports the Glue library, connects to the store, says ``READY`` on
its standard output, then waits for one run id on its standard input and runs that run as a cold run
process would, with Spark already up. End of input (the supervisor went away, or the pool shrank) ends
it. One spare serves one run only.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..config import Settings
from .logs import RunLogs


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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m gluelab.jobs.spare DIR SPEC_JSON", file=sys.stderr)
        return 2
    spare_dir = Path(args[0])
    spec_fields = json.loads(args[1])
    ready = os.fdopen(os.dup(1), "w")  # the supervisor reads READY here
    spare_dir.mkdir(parents=True, exist_ok=True)
    process_log = os.open(spare_dir / "process.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    spark_log = os.open(spare_dir / "spark.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(spark_log, 1)
    os.dup2(spark_log, 2)  # Spark's JVM inherits these: its log is spark.log
    settings = Settings.load()
    from ..runtime.spark import SparkSpec, build_session, install_context_hooks

    spec = SparkSpec(**spec_fields, event_log_dir=spare_dir / "spark-events")
    session = build_session(settings, spec)
    install_context_hooks(settings)
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
    (spare_dir / "ready").touch()  # for people and tests looking at the pool
    ready.write("READY\n")
    ready.close()
    line = sys.stdin.readline().strip()
    if not line:
        session.stop()
        return 0
    try:
        state = RunProcess(services, line, WarmSpark(session, spare_dir)).execute()
        return 0 if state == "SUCCEEDED" else 1
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
