"""Finding a Java that runs Spark 4, and saying clearly what to install when there is none."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gluelab.runtime import java as java_module
from gluelab.runtime.java import JavaNotFound, find_java, require_java


def fake_java(directory: Path, version: str) -> Path:
    home = directory / f"jdk-{version}"
    (home / "bin").mkdir(parents=True)
    exe = home / "bin" / "java"
    exe.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-01' >&2\n")
    exe.chmod(0o755)
    return exe


def test_finds_a_supported_java_on_this_machine():
    java, _ = find_java()
    assert java is not None and java.major in (17, 21)
    assert (java.home / "bin" / "java").exists()


def test_passes_over_unsupported_versions_and_says_why(tmp_path, monkeypatch):
    old, good = fake_java(tmp_path, "11.0.2"), fake_java(tmp_path, "21.0.4")
    monkeypatch.setattr(java_module, "_candidates", lambda: [(old, "JAVA_HOME"), (good, "PATH")])
    java, notes = find_java()
    assert java.major == 21 and java.source == "PATH"
    assert notes == [f"JAVA_HOME: {old} is Java 11, Spark 4 needs 17 or 21"]


def test_no_java_is_a_clear_error_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(java_module, "_candidates", lambda: [(fake_java(tmp_path, "1.8.0_392"), "PATH")])
    with pytest.raises(JavaNotFound) as info:
        require_java()
    message = str(info.value)
    assert (
        "Java 8" in message
        and "apt-get install openjdk-17-jre-headless" in message
        and "JAVA_HOME" in message
    )


def test_setup_entry_point_reports_java_and_jdbc_drivers(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "gluelab.runtime.system"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("Java 17 at") or out.stdout.startswith("Java 21 at")
    assert "JDBC driver for postgresql: /usr/share/java/postgresql.jar (ok)" in out.stdout
    assert "JDBC driver for mysql: /usr/share/java/mariadb-java-client.jar (ok)" in out.stdout


@pytest.mark.slow
def test_spark_starts_on_the_java_found(tmp_path):
    java, _ = find_java()
    code = (
        "from pyspark.sql import SparkSession\n"
        "s = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate()\n"
        "jvm = s.sparkContext._jvm\n"
        "print(s.range(10).selectExpr('sum(id)').first()[0], jvm.System.getProperty('java.version'))\n"
        "s.stop()\n"
    )
    env = {**os.environ, "JAVA_HOME": str(java.home)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    total, version = out.stdout.split()[-2:]
    assert total == "45" and version.split(".")[0] == str(java.major)
