"""One real ``gluelab serve`` (SQLite; S3 does not touch the store) for the lake's endpoint tests, and
clients signed with its token. Each test works in buckets of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import botocore.config
import pytest

from tests.helpers import ServerProcess


@pytest.fixture(scope="package")
def lake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("lake-serve") / "home"
    server = ServerProcess(home).start()
    yield server
    server.stop()


@pytest.fixture
def warehouse(lake_server: ServerProcess) -> Path:
    return lake_server.home / "warehouse"


@pytest.fixture
def s3(lake_server: ServerProcess):  # type: ignore[no-untyped-def]
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", config=config, **lake_server.credentials())


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"b-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
