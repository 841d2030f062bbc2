"""What a job's sources read and its sinks wrote, said in the run's log through the GlueLogger that
``glueContext.get_logger()`` gives scripts: the rows each source read (and, when a job bookmark skipped
files, how many), source paths that do not exist, and the rows each write wrote. Without a Job
(``job.init``), as in a notebook, the lines go to the runtime's own logger instead (not to the cells),
and no row is counted for them.

Rows are counted without reading the data twice where that can be avoided: a source that read no file
read 0 rows, and parquet and orc files carry their row counts in their footers. csv, json and xml files
do not say how many records they hold: a read of up to ``TEXT_COUNT_LIMIT`` bytes of them is counted with
one Spark count (a small read, as a bookmarked increment usually is); a larger one is reported by files
and bytes only."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .paths import to_local

TEXT_COUNT_LIMIT = 64 * 1024 * 1024
log = logging.getLogger("gluelab.runtime")


class _RuntimeLog:
    """The runtime's logger with GlueLogger's ``info`` and ``warn``."""

    def info(self, message: str) -> None:
        log.info(message)

    def warn(self, message: str) -> None:
        log.warning(message)


def run_log(glue_ctx: Any) -> Any:
    """Where a GlueContext's reports go: its GlueLogger (the run's log) once a Job is initialised on it,
    else the runtime's logger."""
    return glue_ctx.get_logger() if glue_ctx._job is not None else _RuntimeLog()


def missing_paths(paths: list[str], warehouse: Path) -> list[str]:
    """The ``paths`` that name neither a file nor a folder (an S3 prefix holding no object)."""
    return [p for p in paths if not to_local(p, warehouse).exists()]


def footer_rows(files: list[Any], fmt: str) -> int | None:
    """The rows in parquet or orc ``files`` from their footers (no data is read); None for other formats
    or a footer that cannot be read."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return sum(pq.ParquetFile(f.local).metadata.num_rows for f in files)
        if fmt == "orc":
            import pyarrow.orc as po

            return sum(po.ORCFile(f.local).nrows for f in files)
    except Exception:  # a file pyarrow cannot open: Spark will say what is wrong with it when it reads
        return None
    return None


def rows_read(frame: Any, files: list[Any], fmt: str, scan: bool = True) -> int | None:
    """How many rows ``frame`` (read from ``files`` as ``fmt``) holds, when that is cheap to know; with
    ``scan`` False, only when no file was read."""
    if not files:
        return 0
    if not scan:
        return None
    fmt = fmt.lower()
    rows = footer_rows(files, fmt)
    if rows is not None or fmt in ("parquet", "orc"):
        return rows
    if sum(f.size for f in files) > TEXT_COUNT_LIMIT:
        return None
    data = frame._raw if frame._raw is not None else frame._df  # csv: the strings, before typing
    return data.count()


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def read_line(
    source: str, fmt: str, rows: int | None, files: list[Any], listed: int | None, scanned: bool = True
) -> str:
    """The log line of one source's read; ``listed`` is how many files there were before the job's
    bookmark kept the new ones (None without a bookmark)."""
    size = _size(sum(f.size for f in files))
    if rows is None:
        if not scanned:
            why = "counted in a job's runs only"
        elif fmt.lower() in ("parquet", "orc"):
            why = "a footer could not be read"
        else:
            why = f"over {_size(TEXT_COUNT_LIMIT)} of {fmt}: counting would read it a second time"
        said = f"{_plural(len(files), 'file')} ({size}) read; rows not counted ({why})"
    else:
        said = f"{_plural(rows, 'row')} read from {_plural(len(files), 'file')} ({size})"
    if listed is not None and listed > len(files):
        said += f"; the job bookmark skipped {_plural(listed - len(files), 'file')} read by earlier runs"
    return f"source {source} ({fmt}): {said}"


def report_read(
    glue_ctx: Any,
    source: str,
    fmt: str,
    frame: Any,
    files: list[Any],
    listed: int | None = None,
    missing: list[str] | None = None,
) -> None:
    """Say in the run's log what ``source`` read, and warn of each of its paths that does not exist."""
    logger, in_job = run_log(glue_ctx), glue_ctx._job is not None
    for path in missing or []:
        logger.warn(f"source {source}: {path} does not exist; nothing was read from it")
    rows = rows_read(frame, files, fmt, scan=in_job)
    logger.info(read_line(source, fmt, rows, files, listed, scanned=in_job))


def report_write(glue_ctx: Any, sink: str, fmt: str, path: str, rows: int | None) -> None:
    """Say in the run's log what a write wrote (``rows`` None: Spark did not report them)."""
    logger = run_log(glue_ctx)
    if rows == 0:
        logger.info(f"sink {sink} ({fmt}): the frame is empty; nothing was written to {path}")
    elif rows is None:
        logger.info(f"sink {sink} ({fmt}): written to {path}")
    else:
        logger.info(f"sink {sink} ({fmt}): {_plural(rows, 'row')} written to {path}")
