"""What a session asks of Spark and of its own lifetime, from either face's request: Glue's CreateSession
fields (WorkerType, NumberOfWorkers, ``--conf`` in DefaultArguments, IdleTimeout and Timeout in minutes)
or Livy's body (conf, driverMemory, executorMemory, executorCores, numExecutors, jars, pyFiles, name,
heartbeatTimeoutInSecond, ttl)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..runtime.glue_versions import current_names
from ..runtime.spark import SparkSpec, parse_conf_argument

GLUE_DEFAULT_MINUTES = 2880  # Glue's default IdleTimeout and Timeout
LIVY_DEFAULT_IDLE_SECONDS = 3600  # livy.server.session.timeout
# Spark settings a running session can take (spark.conf.set), so a warm spare still serves the session.
STATIC_SQL = {"spark.sql.warehouse.dir", "spark.sql.extensions", "spark.sql.catalogImplementation"}
FORCED = {"spark.sql.pyspark.toJSON.returnDataFrame": "false"}  # sparkmagic parses toJSON's lines


# The fields Livy's session and batch bodies share, with their JSON types.
LIVY_SPARK_FIELDS: dict[str, type] = {
    "proxyUser": str,
    "jars": list,
    "pyFiles": list,
    "files": list,
    "driverMemory": str,
    "driverCores": int,
    "executorMemory": str,
    "executorCores": int,
    "numExecutors": int,
    "archives": list,
    "queue": str,
    "name": str,
    "conf": dict,
}


class LivyBodyError(ValueError):
    """A Livy request body Livy would refuse (HTTP 400)."""


def check_livy_fields(body: Any, fields: dict[str, type]) -> None:
    """Raise LivyBodyError naming unknown fields and fields of the wrong JSON type."""
    if not isinstance(body, dict):
        raise LivyBodyError("The request body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise LivyBodyError(f"Unrecognized field(s) {', '.join(unknown)}; known fields: {known}")
    for key, kind in fields.items():
        value = body.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise LivyBodyError(f"Field {key} must be a {kind.__name__}, not {json.dumps(value)}")


@dataclass(frozen=True)
class SessionPlan:
    spark: SparkSpec
    runtime_conf: dict[str, str]
    idle_seconds: float
    timeout_seconds: float | None


def is_runtime(key: str) -> bool:
    return key.startswith("spark.sql.") and key not in STATIC_SQL


def plan(origin: str, request: dict[str, Any], name: str) -> SessionPlan:
    conf: dict[str, str] = {}
    worker_type = number = None
    if origin == "glue":
        arguments = request.get("DefaultArguments") or {}
        if arguments.get("--conf"):
            conf.update(parse_conf_argument(arguments["--conf"]))
        worker_type = request.get("WorkerType")
        number = request.get("NumberOfWorkers")
        idle = 60.0 * (request.get("IdleTimeout") or GLUE_DEFAULT_MINUTES)
        timeout: float | None = 60.0 * (request.get("Timeout") or GLUE_DEFAULT_MINUTES)
    else:
        conf.update({str(k): conf_value(v) for k, v in (request.get("conf") or {}).items()})
        for field, key in (
            ("driverMemory", "spark.driver.memory"),
            ("executorMemory", "spark.executor.memory"),
            ("executorCores", "spark.executor.cores"),
            ("numExecutors", "spark.executor.instances"),
            ("queue", "spark.yarn.queue"),
        ):
            if request.get(field) is not None:
                conf[key] = str(request[field])
        for field, key in (("jars", "spark.jars"), ("pyFiles", "spark.submit.pyFiles")):
            if request.get(field):
                conf[key] = ",".join(request[field])
        heartbeat = request.get("heartbeatTimeoutInSecond") or 0
        ttl = parse_duration(request["ttl"]) if request.get("ttl") else None
        idle = float(heartbeat or ttl or LIVY_DEFAULT_IDLE_SECONDS)
        timeout = None
    conf = current_names(conf)
    conf.update(FORCED)
    runtime = {k: v for k, v in conf.items() if is_runtime(k)}
    static = {k: v for k, v in conf.items() if not is_runtime(k)}
    spec = SparkSpec(
        app_name=name,
        worker_type=worker_type,
        number_of_workers=number,
        conf=static,
        glue_version=request.get("GlueVersion") if origin == "glue" else None,
    )
    return SessionPlan(spec, runtime, idle, timeout)


def spare_spec() -> SparkSpec:
    """The Spark a warm session spare starts: what a session with no settings gets."""
    return plan("glue", {}, "gluelab-session").spark


def conf_value(value: Any) -> str:
    """Livy (Jackson) coerces scalar conf values to strings; so do we."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_duration(text: str) -> float:
    """Livy's ttl: ``10m``, ``30s``, ``2h``, ``1d`` (or plain seconds)."""
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|min|h|d)?\s*", str(text))
    if not match:
        raise ValueError(f"ttl must look like 10m, 30s or 2h, not {text!r}")
    value = int(match.group(1))
    unit = match.group(2) or "s"
    return value * {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}[unit]
