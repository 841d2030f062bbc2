"""Run every benchmark, one after another, and print one table of their measures against baselines and
targets.

    .venv/bin/python bench/run.py                   # all of them, full size (~30 min on 2 cores)
    .venv/bin/python bench/run.py --quick           # each with its smoke-run arguments
    .venv/bin/python bench/run.py --only crawler jobs
    .venv/bin/python bench/run.py --report          # only the table, from the results already there

Each benchmark runs as ``.venv/bin/python bench/bench_<name>.py [arguments]``; its output goes to
``bench/results/<name>.log`` (``--stream`` also shows it here), its record (arguments, time taken, load
average before and after, exit code) to ``<name>.run.json``, its results to ``<name>.json``. The table
(see ``summary.py`` for its columns) is also written to ``bench/results/summary.json`` and ``summary.md``.

Exit code: 0 when every benchmark ran, even if targets were missed (this is a report); 1 when one crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

import summary
from common import RESULTS_ENV

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

# The smoke-run arguments of each benchmark (as bench/README.md documents them), in the order they run.
QUICK_ARGS: dict[str, list[str]] = {
    "catalog": ["--quick"],
    "runtime": ["--rows", "100000", "--files", "200", "--repeat", "1"],
    "crawler": ["--files", "1000", "--partitions", "10", "--repeat", "1"],
    "jobs": ["--repeat", "1"],
    "orchestration": ["--chains", "5", "--idle-seconds", "10", "--calls", "50"],
    "sessions": ["--statements", "10"],
    "notebooks": ["--repeat", "1"],
    "lake": [
        "--rows",
        "200000",
        "--object-mb",
        "64",
        "--keys",
        "10000",
        "--upload-mb",
        "256",
        "--repeat",
        "1",
    ],
}
NO_POSTGRES = {"catalog", "orchestration"}  # the benchmarks that take --no-postgres
assert list(QUICK_ARGS) == summary.BENCHMARKS

console = Console()
if not console.is_terminal:  # a log or a pipe: wide enough for the table's rows
    console.width = 160


def arguments(name: str, quick: bool, no_postgres: bool) -> list[str]:
    args = list(QUICK_ARGS[name]) if quick else []
    if no_postgres and name in NO_POSTGRES:
        args.append("--no-postgres")
    return args


def run_one(
    name: str, args: list[str], mode: str, results_dir: Path, progress: Progress, stream: bool
) -> dict:
    """Run ``bench_<name>.py``, its output to ``<name>.log``; write and return its run record."""
    results = results_dir / f"{name}.json"
    if results.exists():  # a crash must not leave the previous run's numbers looking current
        results.replace(results_dir / f"{name}.previous.json")
    log_path = results_dir / f"{name}.log"
    command = [sys.executable, str(BENCH / f"bench_{name}.py"), *args]
    env = os.environ | {RESULTS_ENV: str(results_dir), "PYTHONUNBUFFERED": "1"}
    env.setdefault("COLUMNS", "160")  # rich's width in the log: the benchmarks' tables are wide
    record = {
        "name": name,
        "mode": mode,
        "arguments": args,
        "command": " ".join(command),
        "log": str(log_path),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average_start": os.getloadavg(),
    }
    task = progress.add_task(name, total=None, last="")
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=20)
    with log_path.open("w") as log:
        log.write(f"$ {record['command']}\n")
        log.flush()
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                text = line.rstrip()
                if text.strip():
                    tail.append(text)
                    progress.update(task, last=escape(text.strip()[:90]))
                    if stream:
                        progress.console.print(escape(text), highlight=False)
            code = proc.wait()
        except KeyboardInterrupt:
            # The benchmark got the SIGINT too (same process group): let it stop its servers.
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            record["interrupted"] = True
    record.update(
        seconds=round(time.monotonic() - started, 1),
        load_average_end=os.getloadavg(),
        exit_code=code,
    )
    summary.run_record_path(results_dir, name).write_text(json.dumps(record, indent=2) + "\n")
    progress.update(task, total=1, completed=1, last="done" if code == 0 else f"[red]exit {code}[/]")
    if code != 0 and not stream:
        progress.console.print(f"[red]{name} exited with {code}[/]; the end of {log_path}:")
        for text in tail:
            progress.console.print("  " + escape(text), highlight=False)
    if record.get("interrupted"):
        raise KeyboardInterrupt
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="each benchmark's smoke-run arguments")
    parser.add_argument(
        "--only", nargs="+", choices=summary.BENCHMARKS, metavar="NAME", help="run (and report) these only"
    )
    parser.add_argument("--report", action="store_true", help="run nothing: the table from existing results")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only (catalog, orchestration)")
    parser.add_argument("--stream", action="store_true", help="show the benchmarks' output as they run")
    parser.add_argument(
        "--list", action="store_true", help="list the benchmarks and their smoke-run arguments"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=BENCH / "results", help="where results go (default bench/results)"
    )
    args = parser.parse_args(argv)
    names = [n for n in summary.BENCHMARKS if not args.only or n in args.only]
    results_dir = args.results_dir.resolve()
    results_dir.mkdir(parents=True, exist_ok=True)

    if args.list:
        for name in summary.BENCHMARKS:
            console.print(f"{name:14} bench/bench_{name}.py   --quick: {' '.join(QUICK_ARGS[name])}")
        return 0

    crashed: list[dict] = []
    if not args.report:
        mode = "quick" if args.quick else "full"
        console.print(
            f"running {len(names)} benchmark(s), {mode}, on {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f}; logs in {results_dir}"
        )
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:14}"),
            BarColumn(bar_width=10),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=console,
        )
        overall = progress.add_task("all", total=len(names), last="")
        try:
            with progress:
                for i, name in enumerate(names):
                    progress.update(overall, last=f"{i + 1} of {len(names)}: {name}")
                    record = run_one(
                        name,
                        arguments(name, args.quick, args.no_postgres),
                        mode,
                        results_dir,
                        progress,
                        args.stream,
                    )
                    if record["exit_code"] != 0:
                        crashed.append(record)
                    progress.advance(overall)
                progress.update(overall, last="done")
        except KeyboardInterrupt:
            console.print("[red]interrupted[/]")
            return 130

    results = summary.collect(results_dir, names)
    modes = sorted({r.run["mode"] for r in results if r.run})
    title = (
        f"benchmarks ({', '.join(modes) or 'results'}; {os.cpu_count()} CPUs; "
        f"written {dt.datetime.now():%Y-%m-%d %H:%M})"
    )
    console.print(summary.rich_table(results, title))
    console.print(summary.runs_table(results))
    as_json, as_md = summary.write(results, results_dir, f"### {title}")
    console.print(f"table: {as_md} and {as_json}")
    if args.report:
        crashed = [r.run for r in results if r.crashed and r.run]
    if crashed:
        for record in crashed:
            console.print(
                f"[bold red]CRASHED[/] {record['name']}: exit {record['exit_code']}, log {record['log']}"
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
