"""A run's log files, in ``<home>/logs/runs/<run id>/``: ``run.log`` (gluelab's notes: arguments, what
each special parameter did, state changes), ``stdout.log`` and ``stderr.log`` (the user's code),
``spark.log`` (Spark's driver log) and ``process.log`` (anything the run process printed outside those).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STREAMS = ("run", "stdout", "stderr", "spark")


def log_path(log_dir: Path | str, stream: str) -> Path:
    return Path(log_dir) / f"{stream}.log"


class RunLogs:
    def __init__(self, log_dir: Path):
        self.dir = log_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self._notes = log_path(log_dir, "run").open("a", encoding="utf-8")

    def path(self, stream: str) -> Path:
        return log_path(self.dir, stream)

    def note(self, message: str) -> None:
        """A line of run.log; a full disk loses the line, not the run (its end goes to the store)."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        try:
            for line in message.rstrip("\n").splitlines() or [""]:
                self._notes.write(f"{stamp} {line}\n")
            self._notes.flush()
        except OSError:
            pass

    @contextmanager
    def redirected(self, stdout: str, stderr: str, line_buffered: bool = False) -> Iterator[None]:
        """Point file descriptors 1 and 2 (so also child processes started meanwhile, such as Spark's
        JVM) at two of the run's logs, then back."""
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        out = _append(self.path(stdout))
        err = out if stderr == stdout else _append(self.path(stderr))
        os.dup2(out, 1)
        os.dup2(err, 2)
        buffering = sys.stdout.line_buffering
        if line_buffered:
            sys.stdout.reconfigure(line_buffering=True)
        try:
            yield
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            if line_buffered:
                sys.stdout.reconfigure(line_buffering=buffering)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in {out, err, *saved}:
                os.close(fd)

    def close(self) -> None:
        try:
            self._notes.close()
        except OSError:
            pass


def _append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def read_lines(log_dir: Path | str, stream: str, tail: int | None = None) -> list[str]:
    path = log_path(log_dir, stream)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    return lines[-tail:] if tail else lines


CHUNK_BYTES = 256 * 1024  # the most one GetJobRunLog or GetCrawlLog answers


def chunk_window(request: dict[str, object]) -> tuple[int, int]:
    """``Offset`` (default 0) and ``MaxBytes`` (default and most CHUNK_BYTES) of a log request, checked."""
    from ..errors import InvalidInputException

    offset, limit = request.get("Offset", 0), request.get("MaxBytes", CHUNK_BYTES)
    for name, value, low in (("Offset", offset, 0), ("MaxBytes", limit, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InvalidInputException(f"{name} must be an integer of at least {low}")
    return offset, min(limit, CHUNK_BYTES)  # type: ignore[type-var,return-value]


def read_chunk(path: Path | str, offset: int, limit: int) -> tuple[list[str], int]:
    """Whole lines of the file at ``path`` from byte ``offset``, at most about ``limit`` bytes of them, and
    the offset to read from next (a line still being written is left for the next read)."""
    try:
        with Path(path).open("rb") as f:
            f.seek(offset)
            chunk = f.read(limit)
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n") + 1
    if end == 0 and len(chunk) == limit:  # one line longer than the limit: hand it over in pieces
        end = len(chunk)
    lines = chunk[:end].decode("utf-8", errors="replace").splitlines()
    return lines, offset + end


def follow(
    log_dir: Path | str, streams: tuple[str, ...], finished: callable, poll: float = 0.2
) -> Iterator[tuple[str, str]]:
    """(stream, line) pairs as the run writes them, until ``finished()`` is true and all is read."""
    offsets = dict.fromkeys(streams, 0)
    partial = dict.fromkeys(streams, "")
    while True:
        done = finished()
        for stream in streams:
            path = log_path(log_dir, stream)
            try:
                with path.open("rb") as f:
                    f.seek(offsets[stream])
                    chunk = f.read()
            except FileNotFoundError:
                continue
            offsets[stream] += len(chunk)
            text = partial[stream] + chunk.decode("utf-8", errors="replace")
            *lines, partial[stream] = text.split("\n")
            for line in lines:
                yield stream, line
        if done:
            for stream in streams:
                if partial[stream]:
                    yield stream, partial[stream]
            return
        time.sleep(poll)
