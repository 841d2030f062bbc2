"""Metrics of a job run from its Spark event log: the JSON-lines file Spark writes per application when
``spark.eventLog.enabled=true`` (``<dir>/<app-id>``, or ``<dir>/<app-id>.inprogress`` while it runs).

Only plain single files are read. Spark 4 compresses (zstd) and rolls (``eventlog_v2_<app-id>/``) event
logs by default, so runs must set ``spark.eventLog.compress=false`` and
``spark.eventLog.rolling.enabled=false``; compressed files (``<app-id>.zstd`` ...), rolling directories and
hidden files are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

INPROGRESS = ".inprogress"
# Spark jobs a warm spare runs to warm itself up, in this job group, are not the run's: left out.
WARMUP_GROUP = "gluelab-warmup"
_LOG_NAME = re.compile(r"^[^.]+(\.inprogress)?$")  # app ids have no dots; codecs add one (.zstd, .lz4)
_TOTALS = (
    "RecordsRead",
    "BytesRead",
    "RecordsWritten",
    "BytesWritten",
    "ShuffleBytesRead",
    "ShuffleBytesWritten",
    "ExecutorRunTimeMs",
    "ExecutorCpuTimeMs",
    "JvmGcTimeMs",
    "Tasks",
    "FailedTasks",
    "Jobs",
)
_IO = ("RecordsRead", "RecordsWritten", "BytesRead", "BytesWritten")


def event_log_files(event_log_dir: Path) -> list[Path]:
    """The plain event-log files in event_log_dir, by name; ``x.inprogress`` is skipped when ``x`` exists."""
    directory = Path(event_log_dir)
    if not directory.is_dir():
        return []
    names = {p.name for p in directory.iterdir() if p.is_file() and _LOG_NAME.match(p.name)}
    return [p for n in sorted(names) if (p := directory / n).suffix != INPROGRESS or p.stem not in names]


def _events(path: Path) -> Iterator[dict[str, Any]]:
    """The events of one log; undecodable lines (a half-written last line) are skipped."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event


def _task_io(metrics: dict[str, Any]) -> dict[str, int]:
    read, written = metrics.get("Input Metrics") or {}, metrics.get("Output Metrics") or {}
    return {
        "RecordsRead": read.get("Records Read", 0),
        "BytesRead": read.get("Bytes Read", 0),
        "RecordsWritten": written.get("Records Written", 0),
        "BytesWritten": written.get("Bytes Written", 0),
    }


def read_metrics(event_log_dir: Path) -> dict[str, Any]:
    """Metrics of the application(s) whose event logs are in event_log_dir (in-progress files included)."""
    totals = dict.fromkeys(_TOTALS, 0)
    cpu_ns = 0
    stage_io: dict[tuple[str, int, int], dict[str, int]] = {}
    stages: list[tuple[Path, dict[str, Any]]] = []
    app_id: str | None = None
    starts: list[int] = []
    ends: list[int] = []
    files = event_log_files(event_log_dir)
    warmup: set[tuple[str, int]] = set()
    for path in files:
        for event in _events(path):
            kind = event.get("Event")
            if (path.name, event.get("Stage ID", (event.get("Stage Info") or {}).get("Stage ID"))) in warmup:
                continue
            if kind == "SparkListenerTaskEnd":
                metrics = event.get("Task Metrics") or {}
                io = _task_io(metrics)
                shuffle_read = metrics.get("Shuffle Read Metrics") or {}
                totals["Tasks"] += 1
                totals["FailedTasks"] += int((event.get("Task End Reason") or {}).get("Reason") != "Success")
                for key, value in io.items():
                    totals[key] += value
                totals["ShuffleBytesRead"] += shuffle_read.get("Remote Bytes Read", 0)
                totals["ShuffleBytesRead"] += shuffle_read.get("Local Bytes Read", 0)
                totals["ShuffleBytesWritten"] += (metrics.get("Shuffle Write Metrics") or {}).get(
                    "Shuffle Bytes Written", 0
                )
                totals["ExecutorRunTimeMs"] += metrics.get("Executor Run Time", 0)
                totals["JvmGcTimeMs"] += metrics.get("JVM GC Time", 0)
                cpu_ns += metrics.get("Executor CPU Time", 0)
                per_stage = stage_io.setdefault(_stage_key(path, event), dict.fromkeys(_IO, 0))
                for name in _IO:
                    per_stage[name] += io[name]
            elif kind == "SparkListenerStageCompleted":
                info = event.get("Stage Info") or {}
                stages.append((path, info))  # its IO is summed once all task ends are read
            elif kind == "SparkListenerJobStart":
                if (event.get("Properties") or {}).get("spark.jobGroup.id") == WARMUP_GROUP:
                    warmup.update((path.name, stage) for stage in event.get("Stage IDs") or [])
                    continue
                totals["Jobs"] += 1
            elif kind == "SparkListenerApplicationStart":
                app_id = app_id or event.get("App ID")
                if "Timestamp" in event:
                    starts.append(event["Timestamp"])
            elif kind == "SparkListenerApplicationEnd" and "Timestamp" in event:
                ends.append(event["Timestamp"])
    totals["ExecutorCpuTimeMs"] = cpu_ns // 1_000_000
    return {
        **totals,
        "Stages": sorted(
            (_stage(info, stage_io.get(_stage_key(path, info))) for path, info in stages),
            key=lambda s: (s["StageId"], s["Attempt"]),
        ),
        "ApplicationId": app_id,
        "StartTime": min(starts, default=None),
        "EndTime": max(ends, default=None),
        "InProgress": any(p.name.endswith(INPROGRESS) for p in files),
    }


def _stage_key(path: Path, event: dict[str, Any]) -> tuple[str, int, int]:
    """A stage attempt, in one log: task ends and stage infos both name it by these two fields."""
    return path.name, event.get("Stage ID", -1), event.get("Stage Attempt ID", 0)


def _stage(info: dict[str, Any], io: dict[str, int] | None) -> dict[str, Any]:
    submitted, completed = info.get("Submission Time"), info.get("Completion Time")
    return {
        "StageId": info.get("Stage ID", -1),
        "Attempt": info.get("Stage Attempt ID", 0),
        "Name": info.get("Stage Name", ""),
        "Tasks": info.get("Number of Tasks", 0),
        "DurationMs": completed - submitted if submitted is not None and completed is not None else 0,
        "Status": "FAILED" if "Failure Reason" in info else "SUCCEEDED",
        **(io or dict.fromkeys(_IO, 0)),
    }
