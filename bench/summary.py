"""One table over every benchmark's results: each ``bench/results/<name>.json`` (written by
``bench/bench_<name>.py``, shapes differ) read into rows of the same shape, rendered with rich, as JSON and
as markdown.

Convention for the columns:

* **value**: the measure (the subject); **baseline**: what it is compared with, measured in the same run;
* **ratio** = value / baseline, or ``-`` when the measure has no baseline;
* **target**, from the benchmark's own constants as its JSON records them, in one of three forms:
  ``<= 0.10x`` applies to the ratio; ``<= 50 ms`` (a unit) applies to the value itself, an absolute
  target; ``<= +1.5 s`` applies to value - baseline. No target: the measure is reported only.
* **verdict**: PASS or MISSED against the target; empty without a target.

A benchmark without results shows one row saying so: ``CRASHED`` when its last run by ``bench/run.py``
failed (``<name>.run.json`` records it), ``NO RESULTS`` when it has not run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

BENCHMARKS = ["catalog", "runtime", "crawler", "jobs", "orchestration", "sessions", "notebooks", "lake"]
MB = 1e6  # the benchmarks' MB: 10^6 bytes

CONVENTION = (
    "ratio = value / baseline, both measured in the same run ('-': no baseline). A target ending in 'x' "
    "applies to the ratio; a target with a unit (ms, s, MB, %) is absolute and applies to the value; "
    "'<= +N s' applies to value - baseline. No target: reported only."
)


@dataclass
class Row:
    benchmark: str
    measure: str  # "subject / baseline" when there is a baseline
    value: float | None
    unit: str  # "s", "ms", "MB", "%"
    baseline: float | None = None
    target: float | None = None
    target_on: str | None = None  # "ratio", "value" or "extra" (value - baseline)
    status: str | None = None  # set instead of a verdict when there are no numbers (CRASHED, NO RESULTS)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.status:
            return self.status
        if self.target is None or self.value is None:
            return ""
        measured = {
            "ratio": self.ratio,
            "value": self.value,
            "extra": None if self.baseline is None else self.value - self.baseline,
        }[self.target_on or "value"]
        if measured is None:
            return ""
        return "PASS" if measured <= self.target else "MISSED"

    def cells(self) -> list[str]:
        """value, baseline, ratio, target, verdict as text."""
        return [
            _quantity(self.value, self.unit),
            _quantity(self.baseline, self.unit),
            _ratio(self.ratio),
            self.target_text(),
            self.verdict,
        ]

    def target_text(self) -> str:
        if self.target is None:
            return ""
        if self.target_on == "ratio":
            return f"<= {self.target:.2f}x"
        if self.target_on == "extra":
            return f"<= +{_number(self.target)} {self.unit}"
        return f"<= {_number(self.target)} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "ratio": self.ratio,
            "verdict": self.verdict,
            "target_text": self.target_text(),
        }


def _number(x: float) -> str:
    if x == int(x):
        return f"{int(x):,}"
    size = abs(x)
    return f"{x:.3f}" if size < 1 else f"{x:.2f}" if size < 10 else f"{x:.1f}" if size < 100 else f"{x:.0f}"


def _quantity(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "MB":
        return f"{x:.0f} MB" if x >= 100 else f"{x:.1f} MB"
    size = abs(x)
    text = f"{x:.3f}" if size < 1 else f"{x:.2f}" if size < 10 else f"{x:.1f}" if size < 100 else f"{x:.0f}"
    return f"{text} {unit}"


def _ratio(r: float | None) -> str:
    if r is None:
        return "-"
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


# -- one extractor per benchmark: its JSON -> rows, and a line saying what size it ran at ------------------
def _catalog(data: dict[str, Any]) -> tuple[list[Row], str]:
    rows = []
    targets = data["targets"]
    tornado_mb = data["baseline"]["tornado_hello"]["rss"] / MB
    for backend in data["backends"]:
        db = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend["backend"], backend["backend"])
        # The target applies to both ways of calling: boto3 (what a user sees, botocore's parsing included)
        # and raw signed HTTP (the server's answer, read but not parsed).
        for call in backend["calls"].values():
            for way, how in (("boto3", "boto3"), ("http", "raw HTTP")):
                if call["gated"]:
                    rows.append(
                        Row(
                            "catalog",
                            f"{call['label']}, p95 via {how} ({db}): large / small catalog",
                            call["large"][way]["p95"],
                            "ms",
                            call["small"][way]["p95"],
                            targets["p95_ms"],
                            "value",
                        )
                    )
        rows.append(
            Row(
                "catalog",
                f"idle gluelab serve RSS ({db}, large catalog) / bare tornado server",
                backend["memory"]["large_idle"]["rss"] / MB,
                "MB",
                tornado_mb,
                targets["idle_rss_mb"],
                "value",
            )
        )
    config = data["config"]
    large = config["large"]
    tables = large["databases"] * large["tables_per_db"]
    partitions = large["databases"] * large["partitioned_per_db"] * large["partitions_per_table"]
    context = (
        f"{'quick: ' if config['quick'] else ''}{tables:,} tables, {partitions:,} partitions; "
        f"{config['calls']} calls per measure"
    )
    return rows, context


def _runtime(data: dict[str, Any]) -> tuple[list[Row], str]:
    rows = [
        Row(
            "runtime",
            f"{r['benchmark']}: {r['subject']} / {r['baseline']}",
            r["subject_median_s"],
            "s",
            r["baseline_median_s"],
            r["target"],
            "ratio",
        )
        for r in data["results"]
        if "ratio" in r
    ]
    return rows, f"{data['rows']:,} rows, {data['files']:,} files; medians of {data['repeat']}"


def _crawler(data: dict[str, Any]) -> tuple[list[Row], str]:
    row = Row(
        "crawler",
        f"{data['subject']} / {data['baseline']}",
        data["crawl_median_s"],
        "s",
        data["spark_median_s"],
        data["target"],
        "ratio",
    )
    return [row], f"{data['files']:,} files in {data['partitions']} folders; medians of {data['repeat']}"


def _jobs(data: dict[str, Any]) -> tuple[list[Row], str]:
    rows = [
        Row("jobs", f"{name} script", r["gluelab"], "s", r["bare"], r["target"], "ratio")
        for name, r in data.items()
        if isinstance(r, dict) and "ratio" in r
    ]
    targets = data["targets"]
    rows.append(
        Row(
            "jobs",
            "RSS of a ready warm spare (Python + Spark's JVM)",
            data["spare_rss_bytes"] / MB,
            "MB",
            target=targets["spare_rss_mb"],
            target_on="value",
        )
    )
    rows.append(
        Row(
            "jobs",
            "RSS of the idle supervisor (gluelab serve)",
            data["supervisor_rss_bytes"] / MB,
            "MB",
            target=targets["supervisor_rss_mb"],
            target_on="value",
        )
    )
    return rows, f"one warm spare; medians of {data['repeat']}"


def _orchestration(data: dict[str, Any]) -> tuple[list[Row], str]:
    targets = data["targets"]
    c, idle = data["conditional"], data["idle"]
    rows = [
        Row(
            "orchestration",
            "job A SUCCEEDED -> job B STARTING via a conditional trigger, p50 / the scheduler poll interval",
            c["p50_s"] * 1000,
            "ms",
            c["baseline_s"] * 1000,
            targets["conditional_p50_ms"],
            "value",
        ),
        Row(
            "orchestration",
            "idle scheduler CPU (% of a core), 1,000 activated scheduled triggers / none",
            idle["cpu_share"] * 100,
            "%",
            idle["baseline_share"] * 100,
            targets["idle_cpu_share"] * 100,
            "value",
        ),
    ]
    for key, db in (("get_job_runs_sqlite", "SQLite"), ("get_job_runs_postgresql", "PostgreSQL")):
        if key in data:
            rows.append(
                Row(
                    "orchestration",
                    f"GetJobRuns page of 100, p95 ({db}): 100,000 / 100 runs stored",
                    data[key]["p95_ms"],
                    "ms",
                    data[key]["baseline_p95_ms"],
                    targets["get_job_runs_p95_ms"],
                    "value",
                )
            )
    config = data["config"]
    return rows, (
        f"{config['chains']} chains, {config['idle_seconds']:g} s idle, {config['calls']} GetJobRuns calls"
    )


def _sessions(data: dict[str, Any]) -> tuple[list[Row], str]:
    targets = data["targets"]
    cold = data["cold_getorcreate_s"]
    rows = [
        Row(
            "sessions",
            "trivial statement round trip via Livy REST, p50",
            data["livy_round_trip_p50_ms"],
            "ms",
            target=targets["livy_round_trip_p50_ms"],
            target_on="value",
        ),
        Row(
            "sessions",
            "trivial statement via the Glue API (boto3), p50",
            data["glue_round_trip_p50_ms"],
            "ms",
        ),
        Row("sessions", "trivial cell of the local kernel, p50", data["kernel_round_trip_p50_ms"], "ms"),
        Row(
            "sessions",
            "new session ready from a warm spare / cold getOrCreate in a fresh interpreter",
            data["warm_ready_s"],
            "s",
            cold,
            targets["warm_vs_cold_getorcreate"],
            "ratio",
        ),
        Row(
            "sessions", "new session ready, cold / cold getOrCreate", data["cold_session_ready_s"], "s", cold
        ),
        Row(
            "sessions",
            "local kernel's first Spark cell / cold getOrCreate",
            data["kernel_first_spark_cell_s"],
            "s",
            cold,
        ),
        Row(
            "sessions",
            "gluelab serve RSS without sessions",
            data["server_rss_mb"],
            "MB",
            target=targets["server_rss_mb"],
            target_on="value",
        ),
        Row("sessions", "idle session RSS (Python + Spark's JVM)", data["idle_session_rss_mb"], "MB"),
        Row("sessions", "idle local kernel RSS (Python + Spark's JVM)", data["kernel_idle_rss_mb"], "MB"),
    ]
    return rows, f"{data['statements']} statements per round trip"


def _notebooks(data: dict[str, Any]) -> tuple[list[Row], str]:
    row = Row(
        "notebooks",
        "StartJobRun -> SUCCEEDED on a warm spare: notebook job (papermill) / the same code as a script job",
        data["notebook_run_s"],
        "s",
        data["script_run_s"],
        data["target_extra_s"],
        "extra",
    )
    return [row], f"medians of {data['repeat']} alternating runs"


def _lake(data: dict[str, Any]) -> tuple[list[Row], str]:
    targets = data["targets"]
    size = data["arguments"]["object_mb"]
    copy = data["copy_s"]
    rows = [
        Row(
            "lake",
            "Spark parquet write+read: s3:// (the lake) / file://",
            data["spark_s3_s"],
            "s",
            data["spark_file_s"],
            targets["spark_s3_vs_file"],
            "ratio",
        ),
    ]
    for key, label in (
        ("put_s", "PutObject"),
        ("get_s", "GetObject"),
        ("upload_file_s", "upload_file (multipart)"),
        ("download_file_s", "download_file (ranged, threads)"),
    ):
        rows.append(
            Row(
                "lake",
                f"{size} MB {label} / local file copy",
                data[key],
                "s",
                copy,
                targets["transfer_vs_copy"],
                "ratio",
            )
        )
    rows += [
        Row(
            "lake",
            f"ListObjectsV2 page of 1,000 over {data['arguments']['keys']:,} keys, p95 (signed HTTP)",
            data["list_http_p95_ms"],
            "ms",
            target=targets["list_p95_ms"],
            target_on="value",
        ),
        Row(
            "lake", "the same through boto3 (its XML parsing included), p95", data["list_boto3_p95_ms"], "ms"
        ),
        Row(
            "lake",
            f"gluelab serve RSS growth during a {data['arguments']['upload_mb']} MB PutObject",
            data["upload_growth_mb"],
            "MB",
            target=targets["upload_growth_mb"],
            target_on="value",
        ),
    ]
    arguments = data["arguments"]
    return (
        rows,
        f"{arguments['rows']:,} rows, medians of {arguments.get('spark_repeat', arguments['repeat'])}; "
        f"{size} MB objects, medians of {arguments['repeat']}",
    )


EXTRACTORS: dict[str, Callable[[dict[str, Any]], tuple[list[Row], str]]] = {
    "catalog": _catalog,
    "runtime": _runtime,
    "crawler": _crawler,
    "jobs": _jobs,
    "orchestration": _orchestration,
    "sessions": _sessions,
    "notebooks": _notebooks,
    "lake": _lake,
}


# -- collecting -------------------------------------------------------------------------------------------
@dataclass
class Result:
    """One benchmark's rows, with its last run by ``bench/run.py`` (if any) and the results file's time."""

    name: str
    rows: list[Row]
    context: str = ""
    run: dict[str, Any] | None = None
    written: str | None = None  # the results file's modification time
    problem: str | None = None  # why there are no rows of numbers

    @property
    def crashed(self) -> bool:
        return bool(self.run and self.run.get("exit_code") not in (0, None))


def run_record_path(results_dir: Path, name: str) -> Path:
    return results_dir / f"{name}.run.json"


def load(results_dir: Path, name: str) -> Result:
    """The rows of one benchmark from ``<results_dir>/<name>.json``."""
    record = run_record_path(results_dir, name)
    run = json.loads(record.read_text()) if record.exists() else None
    path = results_dir / f"{name}.json"
    result = Result(name, [], run=run)
    if run and run.get("exit_code") not in (0, None):
        log = run.get("log", "")
        result.problem = f"crashed (exit {run['exit_code']}), see {log}"
        result.rows = [Row(name, result.problem, None, "", status="CRASHED")]
        return result
    if not path.exists():
        result.problem = "no results: not run yet"
        result.rows = [Row(name, result.problem, None, "", status="NO RESULTS")]
        return result
    result.written = dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
    try:
        result.rows, result.context = EXTRACTORS[name](json.loads(path.read_text()))
    except (KeyError, TypeError, ValueError) as e:
        result.problem = f"{path.name} lacks {e} (written by an older version? re-run it)"
        result.rows = [Row(name, result.problem, None, "", status="UNREADABLE")]
    return result


def collect(results_dir: Path, names: list[str] | None = None) -> list[Result]:
    return [load(results_dir, name) for name in names or BENCHMARKS]


# -- output ----------------------------------------------------------------------------------------------
COLUMNS = ["benchmark", "measure (subject / baseline)", "value", "baseline", "ratio", "target", "verdict"]
VERDICT_STYLE = {"PASS": "green", "MISSED": "bold red", "CRASHED": "bold red", "UNREADABLE": "yellow"}


def rich_table(results: list[Result], title: str = "benchmarks") -> Table:
    table = Table(title=title, caption=CONVENTION, title_justify="left", caption_justify="left")
    for column in COLUMNS:
        numeric = column in ("value", "baseline", "ratio")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != COLUMNS[1])
    for result in results:
        for i, row in enumerate(result.rows):
            *numbers, verdict = row.cells()
            style = VERDICT_STYLE.get(verdict)
            table.add_row(
                result.name if i == 0 else "",
                row.measure,
                *numbers,
                f"[{style}]{verdict}[/]" if style else verdict,
                end_section=i == len(result.rows) - 1,
            )
    return table


RUN_COLUMNS = ["benchmark", "size", "mode", "started", "took", "load avg start -> end", "exit"]


def runs_table(results: list[Result]) -> Table:
    table = Table(title="runs", title_justify="left")
    for column in RUN_COLUMNS:
        table.add_column(column)
    for result in results:
        table.add_row(result.name, *_run_cells(result))
    return table


def _run_cells(result: Result) -> list[str]:
    run = result.run or {}
    load = ""
    if run.get("load_average_start") and run.get("load_average_end"):
        load = f"{run['load_average_start'][0]:.2f} -> {run['load_average_end'][0]:.2f}"
    took = f"{run['seconds'] / 60:.1f} min" if run.get("seconds") is not None else ""
    if run:
        mode = " ".join([run["mode"], *run.get("arguments", [])])
    else:
        mode = "not run by bench/run.py" if result.written else ""
    started = run.get("started", result.written or "")
    exit_code = "" if run.get("exit_code") is None else str(run["exit_code"])
    return [result.context, mode, started, took, load, exit_code]


def markdown(results: list[Result], heading: str) -> str:
    lines = [heading, "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for result in results:
        for i, row in enumerate(result.rows):
            cells = [result.name if i == 0 else "", row.measure, *row.cells()]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    lines += ["", CONVENTION, "", "| " + " | ".join(RUN_COLUMNS) + " |", "|" + "---|" * len(RUN_COLUMNS)]
    for result in results:
        lines.append("| " + " | ".join(_md(c) for c in [result.name, *_run_cells(result)]) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """A table cell's text, its markdown characters escaped (``*_0*`` is a Glue expression, not emphasis)."""
    for char in "\\|*_`":
        text = text.replace(char, "\\" + char)
    return text


def summary(results: list[Result]) -> dict[str, Any]:
    return {
        "written": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_average_now": os.getloadavg()},
        "convention": CONVENTION,
        "benchmarks": [
            {
                "name": r.name,
                "context": r.context,
                "results_written": r.written,
                "run": r.run,
                "problem": r.problem,
                "rows": [row.as_dict() for row in r.rows],
            }
            for r in results
        ],
    }


def write(results: list[Result], results_dir: Path, heading: str) -> tuple[Path, Path]:
    """``summary.json`` and ``summary.md`` in ``results_dir``."""
    results_dir.mkdir(parents=True, exist_ok=True)
    as_json, as_md = results_dir / "summary.json", results_dir / "summary.md"
    as_json.write_text(json.dumps(summary(results), indent=2) + "\n")
    as_md.write_text(markdown(results, heading))
    return as_json, as_md
