"""bench/run.py and bench/summary.py: the one table over every benchmark's results, built from a real (tiny)
run of the crawler benchmark, and a benchmark that crashes."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from rich.progress import Progress

BENCH = Path(__file__).resolve().parents[1] / "bench"
TINY_CRAWL = ["--files", "20", "--partitions", "2", "--repeat", "1"]


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """bench/run.py as a module (it imports its neighbours, summary and common, by their plain names)."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("run")
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.slow
def test_table_from_a_real_crawler_run(bench: ModuleType, tmp_path: Path) -> None:
    summary = bench.summary
    with Progress() as progress:
        record = bench.run_one("crawler", TINY_CRAWL, "quick", tmp_path, progress, stream=False)
    assert record["exit_code"] == 0, (tmp_path / "crawler.log").read_text()[-3000:]
    assert json.loads((tmp_path / "crawler.run.json").read_text())["arguments"] == TINY_CRAWL
    assert "crawl / spark.read.json inference" in (tmp_path / "crawler.log").read_text()

    written = json.loads((tmp_path / "crawler.json").read_text())
    crawler = importlib.import_module("bench_crawler")
    assert written["target"] == crawler.TARGET_RATIO  # the target comes from the benchmark's constant
    [result] = summary.collect(tmp_path, ["crawler"])
    [row] = result.rows
    assert (row.value, row.baseline, row.target, row.target_on) == (
        written["crawl_median_s"],
        written["spark_median_s"],
        crawler.TARGET_RATIO,
        "ratio",
    )
    assert row.ratio == pytest.approx(written["ratio"])
    assert row.verdict == written["verdict"]  # the table agrees with the benchmark's own verdict
    assert result.context == "20 files in 2 folders; medians of 1"

    # --report: the table from these results, written as JSON and markdown; exit 0
    assert bench.main(["--report", "--only", "crawler", "--results-dir", str(tmp_path)]) == 0
    table = json.loads((tmp_path / "summary.json").read_text())
    [entry] = table["benchmarks"]
    assert entry["name"] == "crawler" and entry["run"]["mode"] == "quick"
    [as_dict] = entry["rows"]
    assert as_dict["value"] == written["crawl_median_s"] and as_dict["target_text"] == "<= 0.50x"
    markdown = (tmp_path / "summary.md").read_text()
    line = next(x for x in markdown.splitlines() if x.startswith("| crawler | crawl"))
    assert line.endswith(f"| {_ratio(written['ratio'])} | <= 0.50x | {written['verdict']} |")


def _ratio(r: float) -> str:
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


def test_a_crashed_benchmark_is_named_and_fails_the_run(bench: ModuleType, tmp_path: Path) -> None:
    stale = {"ratio": 0.01}
    (tmp_path / "crawler.json").write_text(json.dumps(stale))
    with Progress() as progress:
        record = bench.run_one("crawler", ["--no-such-option"], "quick", tmp_path, progress, stream=False)
    assert record["exit_code"] == 2  # argparse's error
    assert "unrecognized arguments: --no-such-option" in (tmp_path / "crawler.log").read_text()
    # the previous numbers are kept aside, not reported as this run's
    assert not (tmp_path / "crawler.json").exists()
    assert json.loads((tmp_path / "crawler.previous.json").read_text()) == stale

    [result] = bench.summary.collect(tmp_path, ["crawler"])
    assert result.crashed and [row.verdict for row in result.rows] == ["CRASHED"]
    assert bench.main(["--report", "--only", "crawler", "--results-dir", str(tmp_path)]) == 1
    assert "crashed (exit 2)" in (tmp_path / "summary.md").read_text()


def test_targets_apply_to_the_ratio_the_value_or_the_difference(bench: ModuleType) -> None:
    row = bench.summary.Row
    assert row("b", "m", 2.0, "s", 10.0, 0.15, "ratio").verdict == "MISSED"  # 0.2x > 0.15x
    assert row("b", "m", 40.0, "ms", 10.0, 50, "value").verdict == "PASS"  # 40 ms <= 50 ms, ratio 4x
    assert row("b", "m", 40.0, "ms", 10.0, 50, "value").cells() == [
        "40.0 ms",
        "10.0 ms",
        "4.00x",
        "<= 50 ms",
        "PASS",
    ]
    assert row("b", "m", 3.0, "s", 1.0, 1.5, "extra").verdict == "MISSED"  # 2 s extra > 1.5 s
    assert row("b", "m", 700.0, "MB").cells() == ["700 MB", "-", "-", "", ""]  # reported only


def test_every_results_file_lacking_a_value_is_reported_not_guessed(
    bench: ModuleType, tmp_path: Path
) -> None:
    summary = bench.summary
    for name in summary.BENCHMARKS:
        (tmp_path / f"{name}.json").write_text("{}")
    results = summary.collect(tmp_path)
    assert [r.name for r in results] == summary.BENCHMARKS == list(bench.QUICK_ARGS)
    assert all([row.verdict for row in r.rows] == ["UNREADABLE"] for r in results)
