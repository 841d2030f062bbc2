"""Run processes as the supervisor sees them: is a recorded pid still that run's process, and signalling
its whole process group (the Python driver, Spark's JVM and its Python workers)."""

from __future__ import annotations

import os
import signal


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22), which tells a
    reused pid from the process that was recorded; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def alive(pid: int | None, started: str | None = None) -> bool:
    """True while ``pid`` runs (a zombie child counts as ended) and, when known, started at ``started``."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child of this process is a zombie until reaped: not alive
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done != 0:
            return False
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return True
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields and fields[0] == "Z":
        return False
    return started is None or len(fields) <= 19 or fields[19] == started


def signal_group(pid: int, sig: int = signal.SIGTERM) -> bool:
    """Send ``sig`` to the process group led by ``pid`` (each run starts its own session)."""
    try:
        os.killpg(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
            return True
        except (ProcessLookupError, PermissionError):
            return False
