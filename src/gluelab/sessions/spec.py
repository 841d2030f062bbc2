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


# What Livy's values may be, beyond their JSON type.
MAX_NAME_CHARS = 255  # name, proxyUser, queue
MAX_CORES = 1024  # driverCores, executorCores
MAX_EXECUTORS = 10_000  # numExecutors
MAX_SECONDS = 2**31 - 1  # heartbeatTimeoutInSecond
MAX_MEMORY_BYTES = 16 * 1024**4  # driverMemory, executorMemory
# Spark's memory strings (JavaUtils.byteStringAs): a whole number and a unit; no unit means MiB.
MEMORY = re.compile(r"\s*(\d{1,20})(b|k|kb|m|mb|g|gb|t|tb|p|pb)?\s*", re.IGNORECASE)
MEMORY_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


class LivyBodyError(ValueError):
    """A Livy request body Livy would refuse (HTTP 400)."""


def check_livy_fields(body: Any, fields: dict[str, type]) -> None:
    """Raise LivyBodyError naming unknown fields, fields of the wrong JSON type and values out of range."""
    if not isinstance(body, dict):
        raise LivyBodyError("The request body must be a JSON object")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        shown = ", ".join(_short(key) for key in unknown[:5])
        raise LivyBodyError(f"Unrecognized field(s) {shown}; known fields: {known}")
    for key, kind in fields.items():
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise LivyBodyError(f"Field {key} must be a {kind.__name__}, not {_short(json.dumps(value))}")
        problem = _value_problem(key, value)
        if problem:
            raise LivyBodyError(f"Field {key} {problem}")


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with a well-typed value, or None."""
    if isinstance(value, str):
        if _bad_text(value):
            return "must be text without NUL characters or lone surrogates"
        if key in ("name", "proxyUser", "queue") and len(value) > MAX_NAME_CHARS:
            return f"must be at most {MAX_NAME_CHARS} characters, not {len(value)}"
        if key in ("driverMemory", "executorMemory") and not 0 < memory_bytes(value) <= MAX_MEMORY_BYTES:
            return f"must be an amount of memory like 512m or 2g (at most 16t), not {_short(value)}"
        if key == "ttl":
            try:
                parse_duration(value)
            except ValueError as exc:
                return str(exc).removeprefix("ttl ")
    elif isinstance(value, list):
        if not all(isinstance(v, str) and not _bad_text(v) for v in value):
            return "must be a list of strings"
    elif isinstance(value, dict):
        for name, setting in value.items():
            if not name or _bad_text(name):
                return "must have non-empty keys without NUL characters"
            if not isinstance(setting, str | int | float | bool) or (
                isinstance(setting, str) and _bad_text(setting)
            ):
                return f"must map each key to a string, number or boolean, not {_short(json.dumps(setting))}"
    else:
        bounds = {
            "driverCores": (1, MAX_CORES),
            "executorCores": (1, MAX_CORES),
            "numExecutors": (1, MAX_EXECUTORS),
            "heartbeatTimeoutInSecond": (0, MAX_SECONDS),
        }.get(key)
        if bounds and not bounds[0] <= value <= bounds[1]:
            return f"must be a whole number from {bounds[0]} to {bounds[1]}, not {_short(str(value))}"
    return None


def memory_bytes(text: str) -> int:
    """Bytes in a Spark memory string (``512m``, ``2g``, ``1024`` in MiB); -1 when it is not one."""
    match = MEMORY.fullmatch(text)
    if not match:
        return -1
    unit = (match.group(2) or "m").lower().removesuffix("b") or "b"
    return int(match.group(1)) * MEMORY_UNITS[unit]


def _bad_text(text: str) -> bool:
    """NUL characters and lone surrogates: no store keeps them, and no Spark setting means them."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _short(text: str, limit: int = 60) -> str:
    """A value as an error message quotes it: cut, and with its control characters escaped."""
    text = text if len(text) <= limit else text[:limit] + "..."
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


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
