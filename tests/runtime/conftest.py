"""Runtime fixtures: one SparkSession for the whole test session (Spark starts once), and a GlueContext
on it whose gluelab home (catalog, bookmarks, warehouse) is a fresh SQLite home per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gluelab.config import Settings


@pytest.fixture(scope="session")
def spark_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark-home")


@pytest.fixture(scope="session")
def spark(spark_home: Path) -> Iterator[object]:
    from gluelab.runtime.spark import SparkSpec, build_session

    settings = Settings.load(env={"GLUELAB_HOME": str(spark_home)})
    settings.ensure_dirs()
    session = build_session(
        settings,
        SparkSpec(
            app_name="gluelab-tests",
            conf={
                "spark.master": "local[2]",
                "spark.sql.shuffle.partitions": "4",
                "spark.default.parallelism": "4",
            },
        ),
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def glue_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GLUELAB_HOME", str(home))
    for key in [k for k in os.environ if k.startswith("GLUELAB_") and k != "GLUELAB_HOME"]:
        monkeypatch.delenv(key)
    Settings.load().ensure_dirs()
    return home


@pytest.fixture
def glue_ctx(spark: object, glue_home: Path) -> Iterator[object]:
    from gluelab.runtime.context import GlueContext

    ctx = GlueContext(spark)
    yield ctx
    if ctx._services is not None:
        ctx._services.close()


@pytest.fixture
def warehouse(glue_ctx: object) -> Path:
    return glue_ctx.warehouse  # type: ignore[attr-defined]
