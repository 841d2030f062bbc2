"""The one Spark session factory: Glue's WorkerType and NumberOfWorkers become local cores and memory (or
executor sizes on a cluster), ``--conf`` pairs and gluelab's settings are applied, JDBC drivers are put on
the class path, and Spark's event log is written where gluelab keeps run logs.

Glue scripts create their own context (``SparkContext()``, ``SparkContext.getOrCreate()``,
``SparkSession.builder.getOrCreate()``). ``install_context_hooks`` makes each of those hand back a session
that was already started (a warm one), and makes a context that a script creates itself get gluelab's
configuration.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from . import lakefs
from .glue_versions import current_names, sql_defaults
from .java import require_java
from .jdbc import driver_jars

# vCPUs and memory (GB) of one Glue worker, by WorkerType.
WORKER_TYPES: dict[str, tuple[int, int]] = {
    "Standard": (4, 16),
    "G.025X": (2, 4),
    "G.1X": (4, 16),
    "G.2X": (8, 32),
    "G.4X": (16, 64),
    "G.8X": (32, 128),
    "G.12X": (48, 192),
    "G.16X": (64, 256),
    "R.1X": (4, 32),
    "R.2X": (8, 64),
    "R.4X": (16, 128),
    "R.8X": (32, 256),
    "Z.2X": (8, 64),
}
SPARK_WAREHOUSE = "s3://spark-warehouse/"
DEFAULT_WORKER_TYPE = "G.1X"
DEFAULT_WORKERS = 2

_lock = threading.Lock()


class SparkSetupError(ValueError):
    pass


@dataclass
class SparkSpec:
    """What a job run or session asks of Spark."""

    app_name: str = "gluelab"
    worker_type: str | None = None
    number_of_workers: int | None = None
    conf: dict[str, str] = field(default_factory=dict)
    master: str | None = None  # None: the settings' spark_master
    event_log_dir: Path | None = None
    glue_version: str | None = None  # None: gluelab's default GlueVersion

    def __post_init__(self) -> None:
        if self.worker_type is not None and self.worker_type not in WORKER_TYPES:
            raise SparkSetupError(
                f"Unknown WorkerType {self.worker_type!r}; one of: {', '.join(WORKER_TYPES)}"
            )
        if self.number_of_workers is not None and self.number_of_workers < 1:
            raise SparkSetupError(f"NumberOfWorkers must be at least 1, not {self.number_of_workers}")


def parse_conf_argument(value: str) -> dict[str, str]:
    """Glue's ``--conf`` value: ``k1=v1 --conf k2=v2`` packed into one string."""
    result: dict[str, str] = {}
    for part in value.split("--conf"):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition("=")
        if not sep or not key.strip():
            raise SparkSetupError(f"--conf expects key=value pairs, not {part!r}")
        result[key.strip()] = val.strip()
    return result


def _machine_memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError):
        return 8.0


def resolve_conf(settings: Settings, spec: SparkSpec) -> dict[str, str]:
    """Every Spark setting for ``spec``, in precedence order: sizing, gluelab defaults, the Spark SQL
    semantics of the spec's Glue version, the settings' [spark_conf], then the job's own ``--conf``."""
    master = spec.master or settings.spark_master
    vcpus, memory_gb = WORKER_TYPES[spec.worker_type or DEFAULT_WORKER_TYPE]
    workers = spec.number_of_workers or DEFAULT_WORKERS
    conf: dict[str, str] = {"spark.master": master, "spark.app.name": spec.app_name}
    if master.startswith("local"):
        # Every executor lives in the driver JVM: cores = what the workers would have (one of them is
        # Glue's driver), capped by this machine; memory = one worker's, capped at a quarter of RAM.
        if master in ("local", "local[*]"):
            cores = max(1, min(vcpus * max(workers - 1, 1), os.cpu_count() or 1))
            conf["spark.master"] = f"local[{cores}]"
        driver_gb = max(1, min(memory_gb, int(_machine_memory_gb() / 4)))
        conf["spark.driver.memory"] = f"{driver_gb}g"
    else:
        executors = max(workers - 1, 1)
        conf.update(
            {
                "spark.executor.cores": str(vcpus),
                "spark.executor.memory": f"{max(1, int(memory_gb * 0.75))}g",
                "spark.executor.instances": str(executors),
                "spark.cores.max": str(vcpus * executors),
                "spark.driver.memory": "2g",
            }
        )
    conf.update(
        {
            # Python workers must be this interpreter: it has pyarrow, pandas and gluelab.
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.session.timeZone": "UTC",
            # Malformed CSV rows are found only when every column is parsed (they become error records).
            "spark.sql.csv.parser.columnPruning.enabled": "false",
            # Tables Spark itself creates (saveAsTable, CREATE TABLE without LOCATION) live in the lake too.
            "spark.sql.warehouse.dir": SPARK_WAREHOUSE,
            "spark.sql.shuffle.partitions": str(max(4, 2 * (os.cpu_count() or 2))),
        }
    )
    conf.update(sql_defaults(spec.glue_version))
    # The lake's FileSystem (s3:// is the warehouse) and the JDBC drivers, on every class path: the
    # driver's own, where Hadoop finds a FileSystem by scheme and java.sql.DriverManager finds a driver
    # by URL alone (Glue scripts call spark.read.jdbc without the "driver" option), and the executors'
    # (spark.jars).
    conf.update(lakefs.spark_conf(settings.warehouse_dir))
    jars = [lakefs.jar_path(), *driver_jars()]
    conf["spark.jars"] = ",".join(str(j) for j in jars)
    conf["spark.driver.extraClassPath"] = os.pathsep.join(str(j) for j in jars)
    if spec.event_log_dir is not None:
        spec.event_log_dir.mkdir(parents=True, exist_ok=True)
        conf["spark.eventLog.enabled"] = "true"
        conf["spark.eventLog.dir"] = spec.event_log_dir.as_uri()
        # One plain JSON-lines file per application, which gluelab reads for a run's metrics.
        conf["spark.eventLog.compress"] = "false"
        conf["spark.eventLog.rolling.enabled"] = "false"
    conf.update(current_names(dict(settings.spark_conf)))
    conf.update(current_names(spec.conf))
    return conf


def _python_workers() -> None:
    """PySpark starts its Python workers with $PYSPARK_PYTHON (it ignores spark.pyspark.python): make it
    this interpreter, which has gluelab, pyarrow and pandas, unless the user chose one."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def build_session(settings: Settings, spec: SparkSpec | None = None) -> Any:
    """Start (or return the already running) SparkSession for ``spec``."""
    from pyspark.sql import SparkSession

    spec = spec or SparkSpec()
    java = require_java()
    os.environ.setdefault("JAVA_HOME", str(java.home))
    _python_workers()
    conf = resolve_conf(settings, spec)
    with _lock:
        builder = SparkSession.builder
        for key, value in conf.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
    from ..catalog.spark_bridge import install
    from ..services import shared_services

    install(session, lambda: shared_services(settings))  # spark.sql sees the Data Catalog
    return session


def install_context_hooks(settings: Settings | None = None) -> None:
    """Make ``SparkContext()`` in a user's script behave as on Glue: when a context is running (a warm
    start), it is the one returned; when none is, the new one gets gluelab's configuration."""
    from pyspark import SparkConf, SparkContext

    if getattr(SparkContext, "_gluelab_hooked", False):
        return
    original_init = SparkContext.__init__

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        active = SparkContext._active_spark_context
        if cls is SparkContext and active is not None:
            return active
        return object.__new__(cls)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if self is SparkContext._active_spark_context and getattr(self, "_jsc", None) is not None:
            return  # already running: a script's SparkContext() gets the warm context as it is
        if len(args) > 7:  # conf passed positionally (rare): leave the call as it is
            original_init(self, *args, **kwargs)
            return
        conf = kwargs.get("conf") or SparkConf()
        defaults = resolve_conf(settings or Settings.load(), SparkSpec())
        for key, value in defaults.items():
            if not conf.contains(key):
                conf.set(key, value)
        os.environ.setdefault("JAVA_HOME", str(require_java().home))
        _python_workers()
        kwargs["conf"] = conf
        original_init(self, *args, **kwargs)

    SparkContext.__new__ = __new__  # type: ignore[method-assign]
    SparkContext.__init__ = __init__  # type: ignore[method-assign]
    SparkContext._gluelab_hooked = True  # type: ignore[attr-defined]
