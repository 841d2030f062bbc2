"""Which Spark SQL settings each way of starting Spark gets for its GlueVersion (job runs, ``gluelab run``,
interactive sessions and the kernel), and how a user's own settings take precedence; no Spark is started
here (tests/runtime/test_glue_parity_versions.py runs the settings in real Spark sessions)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gluelab.cli import aws_clients_for_run
from gluelab.config import Settings
from gluelab.jobs.launchers import spark_key, spark_spec
from gluelab.kernel.session import ConfigError, SessionConfig
from gluelab.runtime.glue_versions import GlueVersionError, check_glue_version, describe
from gluelab.runtime.spark import SparkSpec, resolve_conf
from gluelab.sessions.spec import plan

SQL_KEYS = (
    "spark.sql.ansi.enabled",
    "spark.sql.legacy.timeParserPolicy",
    "spark.sql.legacy.ctePrecedencePolicy",
    "spark.sql.storeAssignmentPolicy",
    "spark.sql.parquet.int96RebaseModeInRead",
    "spark.sql.orc.compression.codec",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.load(env={"GLUELAB_HOME": str(tmp_path / "home")})


def sql_settings(settings: Settings, spec: SparkSpec) -> dict[str, str]:
    conf = resolve_conf(settings, spec)
    return {key: conf[key] for key in SQL_KEYS if key in conf}


def test_each_glue_version_gets_the_sql_defaults_of_its_spark(settings):
    spark_35 = {
        "spark.sql.ansi.enabled": "false",
        "spark.sql.legacy.timeParserPolicy": "EXCEPTION",
        "spark.sql.legacy.ctePrecedencePolicy": "EXCEPTION",
        "spark.sql.parquet.int96RebaseModeInRead": "EXCEPTION",
        "spark.sql.orc.compression.codec": "snappy",
    }
    assert sql_settings(settings, SparkSpec()) == spark_35  # gluelab's default GlueVersion is 5.0
    for version in ("3.0", "4.0", "5.0", "5.1"):
        assert sql_settings(settings, SparkSpec(glue_version=version)) == spark_35
    assert sql_settings(settings, SparkSpec(glue_version="2.0")) == {
        "spark.sql.ansi.enabled": "false",
        "spark.sql.legacy.timeParserPolicy": "LEGACY",
        "spark.sql.legacy.ctePrecedencePolicy": "LEGACY",
        "spark.sql.storeAssignmentPolicy": "LEGACY",
        "spark.sql.parquet.int96RebaseModeInRead": "LEGACY",
        "spark.sql.orc.compression.codec": "snappy",
    }
    for version in ("6.0", "6.1"):  # Spark 4: its own defaults
        assert sql_settings(settings, SparkSpec(glue_version=version)) == {}


def test_the_users_own_settings_win_and_removed_names_are_renamed(tmp_path):
    settings = Settings.load(env={"GLUELAB_HOME": str(tmp_path / "home")})
    (settings.home / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (settings.home / "config.toml").write_text('[spark_conf]\n"spark.sql.orc.compression.codec" = "zlib"\n')
    settings = Settings.load(env={"GLUELAB_HOME": str(tmp_path / "home")})
    spec = SparkSpec(
        glue_version="5.0",
        conf={
            "spark.sql.ansi.enabled": "true",
            "spark.sql.legacy.parquet.int96RebaseModeInRead": "CORRECTED",
        },
    )
    conf = resolve_conf(settings, spec)
    assert conf["spark.sql.ansi.enabled"] == "true"
    assert conf["spark.sql.orc.compression.codec"] == "zlib"
    # Spark 4 refuses spark.sql.legacy.parquet.* (removed in 4.0); Glue's documentation gives that name.
    assert conf["spark.sql.parquet.int96RebaseModeInRead"] == "CORRECTED"
    assert "spark.sql.legacy.parquet.int96RebaseModeInRead" not in conf
    assert (
        describe("5.0", spec.conf)
        == "GlueVersion 5.0: Spark SQL with the defaults of Spark 3.5.4 (ANSI mode on)"
    )


def test_a_job_runs_glue_version_reaches_its_spark_and_its_warm_spare_key(settings):
    def ctx(version: str | None) -> dict:
        options = {"JobType": "glueetl", "GlueVersion": version} if version else {"JobType": "glueetl"}
        return {"JobName": "nightly", "Options": options, "Arguments": {}}

    assert spark_spec(ctx("6.0"), None).glue_version == "6.0"
    assert "spark.sql.ansi.enabled" not in resolve_conf(settings, spark_spec(ctx("6.0"), None))
    assert resolve_conf(settings, spark_spec(ctx("5.0"), None))["spark.sql.ansi.enabled"] == "false"
    # A warm spare (started with the default version) serves 5.0 runs, not 6.0 ones.
    spare = spark_key(settings, SparkSpec())
    assert spark_key(settings, spark_spec(ctx("5.0"), None)) == spare
    assert spark_key(settings, spark_spec(ctx(None), None)) == spare
    assert spark_key(settings, spark_spec(ctx("6.0"), None)) != spare


def test_interactive_sessions_and_the_kernel_pass_their_glue_version(settings):
    request = {
        "GlueVersion": "6.0",
        "DefaultArguments": {"--conf": "spark.sql.legacy.parquet.datetimeRebaseModeInRead=LEGACY"},
    }
    session = plan("glue", request, "s1")
    assert session.spark.glue_version == "6.0"
    assert session.runtime_conf["spark.sql.parquet.datetimeRebaseModeInRead"] == "LEGACY"
    assert "spark.sql.ansi.enabled" not in resolve_conf(settings, session.spark)
    assert plan("glue", {}, "s2").spark.glue_version is None  # CreateSession's default: 5.0
    assert plan("livy", {}, "s3").spark.glue_version is None

    config = SessionConfig()
    config.set_glue_version("6.0")
    assert plan("glue", config.request("k1"), "k1").spark.glue_version == "6.0"
    with pytest.raises(ConfigError, match="6.1"):
        config.set_glue_version("7.0")
    with pytest.raises(GlueVersionError, match="0.9, 1.0, 2.0, 3.0, 4.0, 5.0, 5.1, 6.0, 6.1"):
        check_glue_version("5")


def test_gluelab_run_keeps_an_endpoint_the_user_chose(settings, monkeypatch):
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_GLUE", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(key, raising=False)
    assert aws_clients_for_run(settings).startswith(f"nothing serves {settings.home} (start `gluelab serve`")
    monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", "http://127.0.0.1:4566")
    assert aws_clients_for_run(settings) == (
        "AWS_ENDPOINT_URL_GLUE is set (http://127.0.0.1:4566): "
        "boto3 calls use it and your own AWS credentials"
    )
    assert "AWS_ACCESS_KEY_ID" not in os.environ
