"""The lake inside Spark: a Hadoop FileSystem for ``s3://``, ``s3a://`` and ``s3n://`` that maps
``s3://bucket/key`` onto ``<warehouse>/bucket/key`` (``hadoop/io/gluelab/hadoop/*.java``), so that Spark's
own readers and writers (``spark.read.parquet("s3://...")``, ``df.write``, ``CREATE TABLE ... LOCATION``,
streaming checkpoints) work in every session gluelab builds, and paths Spark reports stay ``s3://``.

pyspark ships no hadoop-aws and no Maven repository is reachable, so the two small classes are compiled
here with the JDK's ``javac`` against pyspark's own Hadoop jar, once per source and pyspark version, into a
jar beside them (or the user's cache when the package folder is read-only). ``make setup`` builds it; a
session that finds it missing builds it then.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

from .java import require_java

SOURCES = Path(__file__).parent / "hadoop"
PACKAGE = "io.gluelab.hadoop"
FILE_SYSTEM_CLASS = f"{PACKAGE}.WarehouseFileSystem"
ABSTRACT_FILE_SYSTEM_CLASS = f"{PACKAGE}.WarehouseFs"
SCHEMES = ("s3", "s3a", "s3n")
WAREHOUSE_KEY = "gluelab.warehouse"  # the Hadoop setting the FileSystem maps onto
JDK_PACKAGE = "openjdk-17-jdk-headless"


class LakeFsBuildError(RuntimeError):
    """The lake's FileSystem could not be compiled; the message says what to install."""


def _java_sources() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def _hadoop_jars() -> list[Path]:
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    found = sorted(jars.glob("hadoop-client-api-*.jar"))
    if not found:
        raise LakeFsBuildError(f"pyspark's Hadoop jar (hadoop-client-api-*.jar) is not in {jars}")
    return found + sorted(jars.glob("slf4j-api-*.jar"))


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _java_sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for jar in _hadoop_jars():
        digest.update(jar.name.encode())
    return digest.hexdigest()[:16]


def _jar_dirs() -> list[Path]:
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [SOURCES / "build", cache_home / "gluelab" / "hadoop"]


def javac() -> Path:
    """The ``javac`` of the JDK beside the Java Spark runs on."""
    java = require_java()
    candidate = java.home / "bin" / "javac"
    if candidate.exists():
        return candidate
    on_path = shutil.which("javac")
    if on_path:
        return Path(on_path)
    raise LakeFsBuildError(
        f"gluelab compiles its s3:// FileSystem for Spark with javac, which is not installed next to "
        f"Java {java.major} ({java.home}): apt-get install {JDK_PACKAGE}"
    )


@cache
def jar_path() -> Path:
    """The lake FileSystem's jar, compiled now when it is missing or out of date."""
    name = f"gluelab-lakefs-{_fingerprint()}.jar"
    for folder in _jar_dirs():
        if (folder / name).exists():
            return folder / name
    errors = []
    for folder in _jar_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return _build(folder / name)
        except PermissionError as exc:
            errors.append(f"{folder}: {exc.strerror}")
    raise LakeFsBuildError("cannot write the lake FileSystem's jar: " + "; ".join(errors))


def _build(target: Path) -> Path:
    compiler = javac()
    classpath = os.pathsep.join(str(j) for j in _hadoop_jars())
    with tempfile.TemporaryDirectory(prefix="gluelab-lakefs-") as work:
        classes = Path(work) / "classes"
        command = [str(compiler), "--release", "17", "-nowarn", "-d", str(classes), "-cp", classpath]
        result = subprocess.run(
            [*command, *map(str, _java_sources())], capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise LakeFsBuildError(f"javac failed to compile the lake FileSystem:\n{result.stderr.strip()}")
        # Written whole, then renamed: a concurrent build or reader never sees half a jar.
        partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as jar:
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())
        partial.replace(target)
    for stale in target.parent.glob("gluelab-lakefs-*.jar"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def spark_conf(warehouse: Path) -> dict[str, str]:
    """The Spark settings that give a session the lake: the FileSystem for each S3 scheme (and for
    FileContext), and the warehouse it maps onto. The jar itself goes on the class paths (``spark.jars``
    ships it to executors on other hosts)."""
    conf = {f"spark.hadoop.{WAREHOUSE_KEY}": str(warehouse)}
    for scheme in SCHEMES:
        conf[f"spark.hadoop.fs.{scheme}.impl"] = FILE_SYSTEM_CLASS
        conf[f"spark.hadoop.fs.AbstractFileSystem.{scheme}.impl"] = ABSTRACT_FILE_SYSTEM_CLASS
        # Not cached: a FileSystem reads the warehouse from the configuration it is made with, so a
        # GlueContext of another home (use_warehouse) takes effect at once. Making one costs microseconds.
        conf[f"spark.hadoop.fs.{scheme}.impl.disable.cache"] = "true"
        # Hadoop names hadoop-aws's committer for s3a (not on the class path): the classic file committer
        # is the right one for files that are renamed into place.
        conf[f"spark.hadoop.mapreduce.outputcommitter.factory.scheme.{scheme}"] = (
            "org.apache.hadoop.mapreduce.lib.output.PathOutputCommitterFactory"
        )
    return conf


def use_warehouse(spark: Any, warehouse: Path) -> None:
    """Point a running session's lake at ``warehouse`` (a GlueContext of another gluelab home than the one
    the session was started for, as tests sharing one Spark do)."""
    hadoop_conf = spark.sparkContext._jsc.hadoopConfiguration()
    if hadoop_conf.get(WAREHOUSE_KEY) != str(warehouse):
        hadoop_conf.set(WAREHOUSE_KEY, str(warehouse))
