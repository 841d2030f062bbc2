"""What the benchmarks share: where results go, and a boto3 Glue client for a running ``gluelab serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import botocore.config

RESULTS_ENV = "GLUELAB_BENCH_RESULTS"


def results_path(name: str) -> Path:
    """``<results dir>/<name>.json``: ``bench/results`` unless ``$GLUELAB_BENCH_RESULTS`` names another
    folder (``bench/run.py --results-dir`` sets it for the benchmarks it runs)."""
    folder = os.environ.get(RESULTS_ENV) or Path(__file__).parent / "results"
    return Path(folder) / f"{name}.json"


def glue_client(url: str, token: str) -> Any:
    return boto3.client(
        "glue",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="gluelab",
        aws_secret_access_key=token,
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
