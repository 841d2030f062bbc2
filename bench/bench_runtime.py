"""Runtime benchmarks (issue: Glue scripting runtime), each a ratio measured in one run:

1. DynamicFrame pipeline vs DataFrames: read a 1M-row CSV -> ApplyMapping -> Filter -> partitioned parquet.
   The Filter is a plain Python lambda; gluelab compiles such simple predicates to a Spark condition.
   Target: <= 1.10x the same steps written with DataFrames and a native column filter. Also measured: a
   lambda that cannot be compiled (it runs per record in Python) vs DataFrames with the same Python filter
   as a UDF.
2. Bookmarks: a bookmarked run that finds 1% new files vs a full run over all files. Target: <= 0.15x.

    .venv/bin/python bench/bench_runtime.py [--rows 1000000] [--files 1000] [--repeat 3]

Each variant runs ``--repeat`` times, alternating, after one warm-up; the table shows the best and the
median. Results also go to bench/results/runtime.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from common import results_path

console = Console()
RESULTS = results_path("runtime")
COMPILED = "DynamicFrame, Filter lambda (compiled to a Spark condition)"
NATIVE = "DataFrame, native column filter"
PYTHON = "DynamicFrame, Filter lambda run in Python (not compilable)"
UDF = "DataFrame, same Python filter as a UDF"
TARGET_PIPELINE = 1.10  # DynamicFrame (compiled Filter) / DataFrames, medians
TARGET_BOOKMARKS = 0.15  # bookmarked run finding 1% new files / full run, medians


def make_csv(folder: Path, rows: int, files: int = 8) -> None:
    folder.mkdir(parents=True)
    rng = random.Random(7)
    regions = ["eu-west", "eu-north", "us-east", "us-west", "ap-south"]
    per_file = rows // files
    for f in range(files):
        with (folder / f"part-{f:03d}.csv").open("w") as out:
            out.write("order_id,region,amount,day,note\n")
            for i in range(per_file):
                n = f * per_file + i
                out.write(
                    f"{n},{regions[n % 5]},{rng.uniform(0, 100):.2f},2024-01-{1 + n % 28:02d},note {n % 97}\n"
                )


def timed(label: str, fn, results: dict[str, list[float]]) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    results.setdefault(label, []).append(time.perf_counter() - start)


def pipeline_benchmark(glue_ctx, spark, warehouse: Path, rows: int, repeat: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from awsglue.transforms import ApplyMapping, Filter

    make_csv(warehouse / "bench" / "orders", rows)
    source = str(warehouse / "bench" / "orders")
    mappings = [
        ("order_id", "string", "order_id", "long"),
        ("region", "string", "region", "string"),
        ("amount", "string", "amount", "double"),
        ("day", "string", "day", "string"),
    ]

    def dynamic_frame(keep) -> None:  # type: ignore[no-untyped-def]
        out = f"s3://bench/out-dyf-{uuid.uuid4().hex[:6]}/"
        frame = glue_ctx.create_dynamic_frame.from_options(
            "s3", {"paths": ["s3://bench/orders/"]}, "csv", {"withHeader": True}
        )
        mapped = ApplyMapping.apply(frame=frame, mappings=mappings)
        kept = Filter.apply(frame=mapped, f=keep)
        glue_ctx.write_dynamic_frame.from_options(
            frame=kept,
            connection_type="s3",
            format="parquet",
            connection_options={"path": out, "partitionKeys": ["day"]},
        )

    keep_udf = F.udf(lambda amount: amount is not None and float(amount) > 50, T.BooleanType())

    def dataframes(native: bool) -> None:
        out = str(warehouse / "bench" / f"out-df-{uuid.uuid4().hex[:6]}")
        df = spark.read.option("header", "true").csv(source)
        df = df.select(
            F.col("order_id").cast("long").alias("order_id"),
            "region",
            F.col("amount").cast("double").alias("amount"),
            "day",
        )
        df = df.filter(F.col("amount") > 50) if native else df.filter(keep_udf(F.col("amount")))
        df.write.mode("append").partitionBy("day").parquet(out)

    variants = {
        COMPILED: lambda: dynamic_frame(lambda r: r["amount"] is not None and r["amount"] > 50),
        NATIVE: lambda: dataframes(True),
        PYTHON: lambda: dynamic_frame(lambda r: float(r["amount"]) > 50),  # float(): not compiled
        UDF: lambda: dataframes(False),
    }
    results: dict[str, list[float]] = {}
    for fn in variants.values():
        fn()  # warm-up: JIT, Python workers, file cache
    for _ in range(repeat):
        for label, fn in variants.items():
            timed(label, fn, results)
    return results


def bookmark_benchmark(glue_ctx, warehouse: Path, files: int, repeat: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    from gluelab.runtime.job import Job

    folder = warehouse / "bench" / "events"
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f"e-{i:05d}.json").write_text(
            "".join(json.dumps({"id": i * 100 + j, "v": j}) + "\n" for j in range(100))
        )

    def run(option: str, expect: int | None = None) -> None:
        job = Job(glue_ctx)
        job.init("bench-events", {"job_bookmark_option": option, "JOB_RUN_ID": uuid.uuid4().hex})
        frame = glue_ctx.create_dynamic_frame.from_options(
            "s3", {"paths": ["s3://bench/events/"]}, "json", transformation_ctx="events"
        )
        count = frame.count()
        if expect is not None and count != expect:
            raise AssertionError(f"read {count} records, expected {expect}")
        job.commit()

    run("job-bookmark-enable")  # remembers every file
    run("job-bookmark-disable")  # warm-up
    results: dict[str, list[float]] = {}
    for r in range(repeat):
        new = max(1, files // 100)
        for i in range(new):
            (folder / f"new-{r}-{i:05d}.json").write_text(
                "".join(json.dumps({"id": -(i * 100 + j), "v": j}) + "\n" for j in range(100))
            )
        timed("full run over all files (bookmarks disabled)", lambda: run("job-bookmark-disable"), results)
        timed(
            f"bookmarked run finding 1% new files ({new})",
            lambda n=new: run("job-bookmark-enable", n * 100),
            results,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="gluelab-bench-"))
    os.environ["GLUELAB_HOME"] = str(home)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from gluelab.config import Settings
    from gluelab.runtime.context import GlueContext
    from gluelab.runtime.spark import SparkSpec, build_session

    settings = Settings.load()
    settings.ensure_dirs()
    spark = build_session(settings, SparkSpec(app_name="gluelab-bench"))
    spark.sparkContext.setLogLevel("ERROR")
    glue_ctx = GlueContext(spark)
    console.print(
        f"Spark {spark.version}, master {spark.sparkContext.master}, load average {os.getloadavg()[0]:.2f}"
    )
    try:
        with console.status(f"pipeline: {args.rows:,} rows x {args.repeat} runs of each variant"):
            pipeline = pipeline_benchmark(glue_ctx, spark, settings.warehouse_dir, args.rows, args.repeat)
        with console.status(f"bookmarks: {args.files:,} files"):
            bookmarks = bookmark_benchmark(glue_ctx, settings.warehouse_dir, args.files, args.repeat)
    finally:
        spark.stop()
        shutil.rmtree(home, ignore_errors=True)

    report = []
    bookmarked = next(k for k in bookmarks if k.startswith("bookmarked"))
    for title, results, comparisons in (
        (
            "CSV -> ApplyMapping -> Filter -> partitioned parquet",
            pipeline,
            [(COMPILED, NATIVE, TARGET_PIPELINE), (PYTHON, UDF, None)],
        ),
        (
            "bookmarked run vs full run",
            bookmarks,
            [(bookmarked, "full run over all files (bookmarks disabled)", TARGET_BOOKMARKS)],
        ),
    ):
        table = Table("variant", "best s", "median s", title=title)
        for label, times in results.items():
            table.add_row(label, f"{min(times):.2f}", f"{statistics.median(times):.2f}")
        captions = []
        for subject, baseline, target in comparisons:
            subject_s, baseline_s = statistics.median(results[subject]), statistics.median(results[baseline])
            ratio = subject_s / baseline_s
            verdict = "(no target)" if target is None else ("PASS" if ratio <= target else "MISSED")
            goal = "" if target is None else f" (target <= {target:.2f}x)"
            captions.append(f"{subject} / {baseline} = {ratio:.2f}x{goal}: {verdict}")
            report.append(
                {
                    "benchmark": title,
                    "subject": subject,
                    "baseline": baseline,
                    "subject_median_s": subject_s,
                    "baseline_median_s": baseline_s,
                    "ratio": ratio,
                    "target": target,
                    "verdict": verdict,
                }
            )
        table.caption = "\n".join(captions)
        console.print(table)
        report.append({"benchmark": title, "seconds": results})
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"rows": args.rows, "files": args.files, "repeat": args.repeat, "results": report}, indent=2
        )
    )
    console.print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
