"""When a run process cannot write to the store (disk full, a read-only or unreachable database), it leaves
its end in a note in its log directory, ``unrecorded-end-<pid>.json``, and the supervisor records the run
with that reason instead of "killed or crashed".

The note's space is reserved when the run starts (``posix_fallocate``), so writing it needs no new disk
space: it works on the full disk that made the store fail.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

NOTE = "unrecorded-end-{pid}.json"  # one per process: a second process for the run keeps off it
SIZE = 16384
_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)


class StoreUnwritable(BaseException):
    """gluelab's own write to the store failed: the run cannot record its state (a BaseException, so
    ``except Exception`` in the run's code paths does not take it for a failure of the user's code)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def store_failure(exc: BaseException) -> str | None:
    """Why ``exc`` means the store (or the disk under it) cannot be written, or None when it does not."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        detail = str(exc.orig if exc.orig is not None else exc).strip()
        return (detail.splitlines() or [type(exc).__name__])[0][:300]
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return exc.strerror or str(exc)
    return None


class EndNote:
    """The note's reserved file, opened when the run starts; ``discard`` once the end is recorded."""

    def __init__(self, log_dir: Path):
        self.path = log_dir / NOTE.format(pid=os.getpid())
        self.fd: int | None = None
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            os.posix_fallocate(self.fd, 0, SIZE)
        except (OSError, AttributeError):  # a file system without fallocate: plain zeros reserve it
            if self.fd is not None:
                try:
                    os.pwrite(self.fd, b"\0" * SIZE, 0)
                except OSError:
                    pass

    def write(self, state: str, error: str | None, reason: str, stage: str) -> bool:
        """Leave the run's end for the supervisor; False when even the reserved note could not be written."""
        if self.fd is None:
            return False
        note: dict[str, Any] = {"State": state, "Error": error, "Reason": reason, "Stage": stage}
        data = json.dumps(note).encode()
        while len(data) >= SIZE and note["Error"]:
            note["Error"] = note["Error"][: len(note["Error"]) // 2] + " ..."
            data = json.dumps(note).encode()
        try:
            os.pwrite(self.fd, data[: SIZE - 1], 0)
            os.fsync(self.fd)
        except OSError:
            return False
        return True

    def discard(self) -> None:
        if self.fd is None:
            return
        os.close(self.fd)
        self.fd = None
        self.path.unlink(missing_ok=True)


def read_end_note(log_dir: str | Path | None) -> dict[str, Any] | None:
    """The note a run left in ``log_dir``, or None (no note, or only its reserved space)."""
    if not log_dir:
        return None
    for path in sorted(Path(log_dir).glob(NOTE.format(pid="*"))):
        try:
            data = path.read_bytes().rstrip(b"\0")
            if data:
                return json.loads(data)
        except (OSError, ValueError):
            continue
    return None


def unrecorded_verdict(note: dict[str, Any], timed_out: bool) -> tuple[str, str]:
    """The state and ErrorMessage the supervisor records for a run that left ``note``."""
    reason, error = note.get("Reason") or "unknown", note.get("Error")
    state = note.get("State")
    message = f"The run could not write to the store ({reason})"
    if note.get("Stage") != "end":
        message += " before its code ran"
    elif error:
        message += f" when it ended; it had failed: {error}"
    else:
        message += f" when it ended, so its end ({state}) was not recorded"
    if timed_out:
        return "TIMEOUT", message
    return ("STOPPED" if state == "STOPPED" else "FAILED"), message
