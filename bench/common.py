"""What the benchmarks share: a boto3 Glue client for a running ``gluelab serve``."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.config


def glue_client(url: str, token: str) -> Any:
    return boto3.client(
        "glue",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="gluelab",
        aws_secret_access_key=token,
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )
