"""The warm pool: spares (``gluelab.jobs.spare``) with Spark started, kept by the supervisor so that a
Spark run's user code starts well under a second after StartJobRun, whichever process starts it
(``take_spare``). ``warm_pool_size`` spares are kept; one starts at a time, and not while runs this
supervisor started are going (starting Spark takes the machine's cores for several seconds, which a run
would feel) unless the pool has been short for a minute."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from . import processes

log = logging.getLogger("gluelab.jobs")

REFILL_AFTER_SECONDS = 60.0  # start a spare even while runs go on, once the pool has been short this long
# The spares' Spark: the sizing of a job with Glue's defaults (G.1X workers).
SPARE_SPEC = {"app_name": "gluelab-warm", "worker_type": "G.1X", "number_of_workers": 10}


def spares_dir(settings: Settings) -> Path:
    return settings.logs_dir / "spares"


def claim_spare(root: Path, key: str | None) -> Path | None:
    """Claim a ready spare under ``root`` whose Spark matches ``key`` (renaming ``ready`` to ``taken`` is
    atomic: one taker wins); returns its folder, or None."""
    if key is None or not root.is_dir():
        return None
    for folder in sorted(root.iterdir()):
        try:
            if (folder / "key").read_text() != key:
                continue
            (folder / "ready").rename(folder / "taken")
        except OSError:
            continue
        return folder
    return None


def take_spare(settings: Settings, key: str | None, run_id: str) -> int | None:
    """Hand ``run_id`` to a ready spare whose Spark matches ``key``; returns its pid, or None."""
    folder = claim_spare(spares_dir(settings), key)
    if folder is None:
        return None
    try:
        fd = os.open(folder / "handoff", os.O_WRONLY | os.O_NONBLOCK)  # ENXIO: the spare is gone
        pid = int((folder / "pid").read_text())
    except (OSError, ValueError):
        return None
    with os.fdopen(fd, "w") as handoff:
        handoff.write(run_id + "\n")
    return pid


@dataclass
class Spare:
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def ready(self) -> bool:
        return (self.directory / "ready").exists()

    @property
    def taken(self) -> bool:
        return (self.directory / "taken").exists()


class WarmPool:
    """Keeps ``size`` spares: processes ``python -m MODULE DIR SPEC_JSON`` under ``root`` (the job run
    spares by default; interactive sessions keep their own)."""

    def __init__(
        self,
        settings: Settings,
        size: int,
        module: str = "gluelab.jobs.spare",
        root: Path | None = None,
        spec: dict[str, object] | None = None,
    ):
        self.settings = settings
        self.size = size
        self.module = module
        self.root = root or spares_dir(settings)
        self.spec = SPARE_SPEC if spec is None else spec
        self.spares: list[Spare] = []
        self.short_since: float | None = None

    def maintain(self, busy: bool = False) -> list[subprocess.Popen[bytes]]:
        """Drop spares that died or were taken (returned: their processes now run runs, for reaping);
        start one when the pool is short, none is starting and the machine is not ``busy`` with runs
        (or the pool has been short for REFILL_AFTER_SECONDS)."""
        handed: list[subprocess.Popen[bytes]] = []
        for spare in list(self.spares):
            if spare.taken:
                self.spares.remove(spare)
                handed.append(spare.process)
            elif spare.process.poll() is not None:
                log.warning(
                    "warm spare %s ended (status %s); see %s",
                    spare.process.pid,
                    spare.process.returncode,
                    spare.directory,
                )
                self.spares.remove(spare)
        if len(self.spares) >= self.size:
            self.short_since = None
            return handed
        now = time.monotonic()
        self.short_since = self.short_since or now
        starting = any(not s.ready for s in self.spares)
        if not starting and (not busy or now - self.short_since >= REFILL_AFTER_SECONDS):
            self.spares.append(self._start())
        return handed

    def ready_count(self) -> int:
        return sum(1 for s in self.spares if s.ready)

    def _start(self) -> Spare:
        directory = self.root / uuid.uuid4().hex[:12]
        directory.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.settings.child_env()}
        with open(directory / "process.log", "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", self.module, str(directory), json.dumps(self.spec)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Spare(process, directory)

    def close(self) -> list[subprocess.Popen[bytes]]:
        """Untaken spares end (``ready`` becomes ``closing``; a starting one is killed); returns the
        processes of spares taken meanwhile, which run runs."""
        handed = []
        for spare in self.spares:
            try:
                (spare.directory / "ready").rename(spare.directory / "closing")
            except OSError:
                if spare.taken:
                    handed.append(spare.process)
                    continue
                processes.signal_group(spare.process.pid, signal.SIGKILL)  # still starting
        for spare in self.spares:
            if spare.process in handed:
                continue
            try:
                spare.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                processes.signal_group(spare.process.pid, signal.SIGKILL)
                spare.process.wait()
            shutil.rmtree(spare.directory, ignore_errors=True)
        self.spares.clear()
        return handed
