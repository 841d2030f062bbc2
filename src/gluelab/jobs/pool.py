"""The warm pool: spares (``gluelab.jobs.spare``) with Spark started, kept by the supervisor so that a
Spark run's user code starts well under a second after StartJobRun. ``warm_pool_size`` spares are kept;
one starts at a time (starting Spark takes the machine's cores for a few seconds)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field

from ..config import Settings
from ..runtime.spark import SparkSpec
from . import processes
from .launchers import WARM_APP_NAME, spark_key

log = logging.getLogger("gluelab.jobs")

# The spares' Spark: the sizing of a job with Glue's defaults (G.1X workers).
SPARE_SPEC = {"app_name": WARM_APP_NAME, "worker_type": "G.1X", "number_of_workers": 10}


@dataclass
class Spare:
    process: subprocess.Popen[bytes]
    directory: str
    key: str
    ready: bool = False
    output: bytes = field(default=b"")

    def poll_ready(self) -> bool:
        if not self.ready and self.process.stdout is not None:
            try:
                chunk = os.read(self.process.stdout.fileno(), 4096)
            except BlockingIOError:
                chunk = b""
            self.output += chunk
            self.ready = b"READY\n" in self.output
        return self.ready

    def assign(self, run_id: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(run_id.encode() + b"\n")
        self.process.stdin.close()


class WarmPool:
    def __init__(self, settings: Settings, size: int):
        self.settings = settings
        self.size = size
        self.spares: list[Spare] = []
        self.key = spark_key(settings, SparkSpec(**SPARE_SPEC))
        self.root = settings.logs_dir / "spares"

    def maintain(self) -> None:
        """Drop spares that died; start one when the pool is short and none is starting."""
        for spare in list(self.spares):
            if spare.process.poll() is not None:
                log.warning(
                    "warm spare %s ended (status %s); see %s",
                    spare.process.pid,
                    spare.process.returncode,
                    spare.directory,
                )
                self.spares.remove(spare)
        starting = any(not s.poll_ready() for s in self.spares)
        if len(self.spares) < self.size and not starting:
            self.spares.append(self._start())

    def take(self, key: str | None) -> Spare | None:
        """A ready spare for a run whose Spark must match ``key``, taken out of the pool."""
        if key is None or key != self.key:
            return None
        for spare in self.spares:
            if spare.poll_ready() and spare.process.poll() is None:
                self.spares.remove(spare)
                return spare
        return None

    def ready_count(self) -> int:
        return sum(1 for s in self.spares if s.poll_ready())

    def _start(self) -> Spare:
        directory = self.root / uuid.uuid4().hex[:12]
        directory.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.settings.child_env()}
        with open(directory / "process.log", "ab") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "gluelab.jobs.spare", str(directory), json.dumps(SPARE_SPEC)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,
            )
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        return Spare(process, str(directory), self.key)

    def close(self) -> None:
        """Idle spares end (closing their input ends them; a stuck one is killed)."""
        for spare in self.spares:
            try:
                assert spare.process.stdin is not None
                spare.process.stdin.close()
            except OSError:
                pass
        for spare in self.spares:
            try:
                spare.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                processes.signal_group(spare.process.pid, 9)
                spare.process.wait()
            shutil.rmtree(spare.directory, ignore_errors=True)
        self.spares.clear()
