"""The lake (issue: the lake is S3 to every client), each measure against a baseline of the same run:

1. Spark's own parquet write + read through ``s3://`` (the lake's Hadoop FileSystem) vs the same through
   ``file://`` (Hadoop's local file system). Target: <= 1.05x (medians, alternating).
2. A 256 MB object through the S3 endpoint of a real ``gluelab serve`` with boto3, PUT and GET, as one
   request (``put_object``, ``get_object``) and as boto3's managed transfer (``upload_file``,
   ``download_file``: 8 MB parts on threads), vs a plain local copy of the same file (``shutil.copyfile``,
   page cache warm). Target: throughput >= 0.5x the copy's, i.e. time <= 2x.
3. ListObjectsV2: every 1,000-key page over 100,000 keys in one folder (written to the warehouse as Spark
   would), through signed HTTP and through boto3. Target: p95 <= 50 ms.
4. The server's memory growth (RSS, sampled every 20 ms) during a 1 GB single PUT. Target: <= 64 MB.

    .venv/bin/python bench/bench_lake.py [--rows 2000000] [--spark-repeat 5] [--object-mb 256] [--keys 100000]
                                         [--upload-mb 1024] [--repeat 5]

Results also go to bench/results/lake.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import botocore.config
import psutil
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from rich.console import Console
from rich.table import Table

from common import results_path

console = Console()
RESULTS = results_path("lake")
MB = 1024 * 1024
TARGET_SPARK_RATIO = 1.05  # s3:// / file://, medians
TARGET_TRANSFER_RATIO = 2.0  # endpoint time / local copy time (throughput >= 0.5x)
TARGET_LIST_P95_MS = 50
TARGET_UPLOAD_GROWTH_MB = 64


def spark_io(work: Path, rows: int, repeat: int) -> dict[str, list[float]]:
    from gluelab.config import Settings
    from gluelab.runtime.spark import SparkSpec, build_session

    home = work / "spark-home"
    settings = Settings.load(env={"GLUELAB_HOME": str(home)})
    settings.ensure_dirs()
    spark = build_session(settings, SparkSpec(app_name="bench-lake", conf={"spark.master": "local[2]"}))
    spark.sparkContext.setLogLevel("ERROR")
    frame = spark.range(rows).selectExpr(
        "id", "id % 97 AS k", "cast(id * 1.5 AS double) AS amount", "concat('note ', id % 1013) AS note"
    )
    frame = frame.cache()
    frame.count()
    targets = {"s3": "s3://bench/parquet/", "file": (work / "local" / "parquet").as_uri()}
    times: dict[str, list[float]] = {"s3": [], "file": []}
    for round_ in range(repeat + 1):  # the first round warms up
        for name, path in targets.items():
            started = time.perf_counter()
            frame.write.mode("overwrite").parquet(path)
            read = spark.read.parquet(path)
            read.groupBy("k").sum("amount").collect()
            elapsed = time.perf_counter() - started
            if round_:
                times[name].append(elapsed)
            console.print(f"  spark parquet write+read via {name}://: {elapsed:.2f} s")
    spark.stop()
    return times


class Endpoint:
    def __init__(self, work: Path):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from gluelab.api.server import spawn_server

        self.home = work / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GLUELAB_", "AWS_"))}
        env.update(GLUELAB_WARM_POOL_SIZE="0", GLUELAB_SESSION_POOL_SIZE="0")
        self.log = open(work / "serve.out", "ab")  # noqa: SIM115
        self.proc, info = spawn_server(self.home, env, self.log, 60)
        self.url = info["url"]
        self.token = (self.home / "token").read_text().strip()
        self.s3 = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="gluelab",
            aws_secret_access_key=self.token,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )

    def signed_get(self, session: requests.Session, path: str) -> requests.Response:
        request = AWSRequest(method="GET", url=self.url + path)
        S3SigV4Auth(Credentials("gluelab", self.token), "s3", "us-east-1").add_auth(request)
        return session.get(self.url + path, headers=dict(request.headers.items()), timeout=60)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def transfers(endpoint: Endpoint, work: Path, size_mb: int, repeat: int) -> dict[str, list[float]]:
    source = work / "object.bin"
    with open(source, "wb") as out:
        block = os.urandom(MB)
        for _ in range(size_mb):
            out.write(block)
    endpoint.s3.create_bucket(Bucket="transfer")
    times: dict[str, list[float]] = {k: [] for k in ("copy", "put", "get", "upload", "download")}

    def timed(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        os.sync()  # each starts with no dirty pages to write back: the disk's timing varies less
        started = time.perf_counter()
        fn()
        times[name].append(time.perf_counter() - started)

    def get() -> None:
        body = endpoint.s3.get_object(Bucket="transfer", Key="single.bin")["Body"]
        with open(work / "got.bin", "wb") as out:
            shutil.copyfileobj(body, out, 4 * MB)

    for _ in range(repeat):
        timed("copy", lambda: shutil.copyfile(source, work / "copy.bin"))
        with open(source, "rb") as body:
            timed("put", lambda b=body: endpoint.s3.put_object(Bucket="transfer", Key="single.bin", Body=b))
        timed("get", get)
        timed("upload", lambda: endpoint.s3.upload_file(str(source), "transfer", "managed.bin"))
        timed(
            "download", lambda: endpoint.s3.download_file("transfer", "managed.bin", str(work / "down.bin"))
        )
        for name in times:
            console.print(f"  {name}: {times[name][-1]:.2f} s")
    assert (work / "got.bin").stat().st_size == size_mb * MB
    for name in ("copy.bin", "got.bin", "down.bin"):
        (work / name).unlink()
    return times


def listing(endpoint: Endpoint, keys: int) -> dict[str, list[float]]:
    folder = endpoint.home / "warehouse" / "listed" / "part"
    folder.mkdir(parents=True)
    for i in range(keys):
        (folder / f"key-{i:07d}.json").write_bytes(b"{}")
    times: dict[str, list[float]] = {"http": [], "boto3": []}
    http = requests.Session()
    for _ in range(2):  # the first pass also fills the server's folder cache
        token = None
        while True:
            path = "/listed?list-type=2&prefix=part%2F&max-keys=1000"
            if token:
                path += "&continuation-token=" + requests.utils.quote(token, safe="")
            started = time.perf_counter()
            response = endpoint.signed_get(http, path)
            times["http"].append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
            text = response.text
            if "<NextContinuationToken>" not in text:
                break
            token = text.split("<NextContinuationToken>")[1].split("<")[0]
    pages = endpoint.s3.get_paginator("list_objects_v2").paginate(Bucket="listed", Prefix="part/")
    iterator = iter(pages)
    seen = 0
    while True:
        started = time.perf_counter()
        try:
            page = next(iterator)
        except StopIteration:
            break
        times["boto3"].append(time.perf_counter() - started)
        seen += page["KeyCount"]
    assert seen == keys, seen
    return times


def upload_growth(endpoint: Endpoint, work: Path, size_mb: int) -> tuple[float, float]:
    sparse = work / "sparse.bin"
    with open(sparse, "wb") as out:
        out.truncate(size_mb * MB)
    server = psutil.Process(endpoint.proc.pid)
    before = server.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    with open(sparse, "rb") as body:
        endpoint.s3.put_object(Bucket="transfer", Key="big.bin", Body=body)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    sparse.unlink()
    return (peak - before) / 1e6, elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--object-mb", type=int, default=256)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--upload-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the transfers")
    parser.add_argument("--spark-repeat", type=int, default=5, help="rounds of Spark's write+read")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gluelab-bench-lake-") as tmp:
        work = Path(tmp)
        console.print(f"[bold]1. Spark parquet write+read, {args.rows:,} rows[/]")
        spark = spark_io(work, args.rows, args.spark_repeat)
        endpoint = Endpoint(work)
        try:
            console.print(f"[bold]2. a {args.object_mb} MB object through the S3 endpoint[/]")
            moved = transfers(endpoint, work, args.object_mb, args.repeat)
            console.print(f"[bold]3. ListObjectsV2 over {args.keys:,} keys[/]")
            listed = listing(endpoint, args.keys)
            console.print(f"[bold]4. server memory during a {args.upload_mb} MB upload[/]")
            growth_mb, upload_s = upload_growth(endpoint, work, args.upload_mb)
        finally:
            endpoint.close()

    med = {k: statistics.median(v) for k, v in {**spark, **moved}.items()}
    result = {
        "arguments": vars(args),
        "spark_s3_s": med["s3"],
        "spark_file_s": med["file"],
        "copy_s": med["copy"],
        "put_s": med["put"],
        "get_s": med["get"],
        "upload_file_s": med["upload"],
        "download_file_s": med["download"],
        "list_http_p95_ms": p95(listed["http"]) * 1000,
        "list_http_p50_ms": statistics.median(listed["http"]) * 1000,
        "list_boto3_p95_ms": p95(listed["boto3"]) * 1000,
        "upload_growth_mb": growth_mb,
        "upload_1gb_s": upload_s,
        "raw": {**spark, **moved, **listed},
        "targets": {
            "spark_s3_vs_file": TARGET_SPARK_RATIO,
            "transfer_vs_copy": TARGET_TRANSFER_RATIO,
            "list_p95_ms": TARGET_LIST_P95_MS,
            "upload_growth_mb": TARGET_UPLOAD_GROWTH_MB,
        },
    }
    table = Table(title="the lake")
    for column in ("measure", "value", "baseline", "ratio", "target"):
        table.add_column(column)

    def ratio_row(name: str, value: float, baseline: float, target: float) -> None:
        ok = value / baseline <= target
        table.add_row(
            name,
            f"{value:.2f} s",
            f"{baseline:.2f} s",
            f"{value / baseline:.2f}x",
            f"<= {target}x {'PASS' if ok else 'MISSED'}",
        )

    ratio_row("Spark parquet write+read, s3:// / file://", med["s3"], med["file"], TARGET_SPARK_RATIO)
    for key, label in (
        ("put", "PutObject"),
        ("get", "GetObject"),
        ("upload", "upload_file"),
        ("download", "download_file"),
    ):
        ratio_row(f"{args.object_mb} MB {label} / local copy", med[key], med["copy"], TARGET_TRANSFER_RATIO)
    for key, label in (
        ("list_http_p95_ms", "ListObjectsV2 page, p95 (signed HTTP)"),
        ("list_boto3_p95_ms", "ListObjectsV2 page, p95 (boto3)"),
    ):
        ok = result[key] <= TARGET_LIST_P95_MS
        table.add_row(
            label, f"{result[key]:.1f} ms", "", "", f"<= {TARGET_LIST_P95_MS} ms {'PASS' if ok else 'MISSED'}"
        )
    ok = growth_mb <= TARGET_UPLOAD_GROWTH_MB
    table.add_row(
        f"server RSS growth, {args.upload_mb} MB PUT",
        f"{growth_mb:.1f} MB",
        "",
        "",
        f"<= {TARGET_UPLOAD_GROWTH_MB} MB {'PASS' if ok else 'MISSED'}",
    )
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    console.print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
