"""Crawler benchmark (issue: crawlers), a ratio measured in one run:

Crawl 10,000 small JSON files in 100 partition folders (a crawl: list, classify every file, group, write
the table and its 100 partitions to the catalog) vs ``spark.read.json`` schema inference over the same
folder (listing, partition discovery, one inference job). Target: crawl / Spark <= 0.5x.

    .venv/bin/python bench/bench_crawler.py [--files 10000] [--partitions 100] [--repeat 3]

Each variant runs ``--repeat`` times after one warm-up, alternating; the table shows the best and the
median. Results also go to bench/results/crawler.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from common import results_path

console = Console()
RESULTS = results_path("crawler")
CRAWL = "crawl (list, classify every file, group, write catalog)"
SPARK = "spark.read.json schema inference"
TARGET_RATIO = 0.5  # crawl / Spark inference, medians


def make_files(folder: Path, files: int, partitions: int) -> None:
    per = files // partitions
    for p in range(partitions):
        part = folder / f"dt=2024-{1 + p // 28:02d}-{1 + p % 28:02d}"
        part.mkdir(parents=True)
        for f in range(per):
            lines = "".join(
                json.dumps(
                    {"id": p * per * 10 + f * 10 + i, "user": f"u{i}", "amount": i * 1.25, "ok": i % 2 == 0}
                )
                + "\n"
                for i in range(10)
            )
            (part / f"part-{f:04d}.json").write_text(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--partitions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="gluelab-bench-"))
    os.environ["GLUELAB_HOME"] = str(home)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gluelab.config import Settings
    from gluelab.crawler.run import execute
    from gluelab.runtime.spark import SparkSpec, build_session
    from gluelab.services import open_services

    settings = Settings.load()
    settings.ensure_dirs()
    services = open_services(settings)
    services.catalog.create_database(DatabaseInput={"Name": "bench"})
    folder = settings.warehouse_dir / "bench" / "events"
    with console.status(f"writing {args.files:,} files in {args.partitions} folders"):
        make_files(folder, args.files, args.partitions)
    spark = build_session(settings, SparkSpec(app_name="gluelab-bench-crawler"))
    spark.sparkContext.setLogLevel("ERROR")
    console.print(
        f"Spark {spark.version}, master {spark.sparkContext.master}, load average {os.getloadavg()[0]:.2f}"
    )
    results: dict[str, list[float]] = {}
    counter = iter(range(1_000_000))

    def crawl() -> None:
        name = f"events{next(counter)}"
        services.crawlers.create_crawler(
            Name=name,
            Role="r",
            DatabaseName="bench",
            Targets={"S3Targets": [{"Path": "s3://bench/events/"}]},
            TablePrefix=f"{name}_",
        )
        state = execute(services, services.crawlers.begin_crawl(name))
        table = services.catalog.get_table(DatabaseName="bench", Name=f"{name}_events")["Table"]
        partitions = services.catalog.get_partitions(DatabaseName="bench", TableName=f"{name}_events")
        assert state == "COMPLETED" and len(table["StorageDescriptor"]["Columns"]) == 4
        assert len(partitions["Partitions"]) == min(args.partitions, 100)

    def infer() -> None:
        schema = spark.read.json(str(folder)).schema
        assert len(schema.fields) == 5  # 4 columns and dt

    try:
        with console.status("warming up"):
            crawl()
            infer()
        for r in range(args.repeat):
            with console.status(f"round {r + 1} of {args.repeat}"):
                for label, fn in ((CRAWL, crawl), (SPARK, infer)):
                    start = time.perf_counter()
                    fn()
                    results.setdefault(label, []).append(time.perf_counter() - start)
    finally:
        spark.stop()
        services.close()
        shutil.rmtree(home, ignore_errors=True)

    crawl_s, spark_s = statistics.median(results[CRAWL]), statistics.median(results[SPARK])
    ratio = crawl_s / spark_s
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISSED"
    table = Table("variant", "best s", "median s", title=f"{args.files:,} files in {args.partitions} folders")
    for label, times in results.items():
        table.add_row(label, f"{min(times):.2f}", f"{statistics.median(times):.2f}")
    table.caption = (
        f"crawl / spark.read.json inference = {ratio:.2f}x (target <= {TARGET_RATIO:.2f}x): {verdict}"
    )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "files": args.files,
                "partitions": args.partitions,
                "repeat": args.repeat,
                "subject": CRAWL,
                "baseline": SPARK,
                "crawl_median_s": crawl_s,
                "spark_median_s": spark_s,
                "ratio": ratio,
                "target": TARGET_RATIO,
                "verdict": verdict,
                "seconds": results,
            },
            indent=2,
        )
    )
    console.print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
