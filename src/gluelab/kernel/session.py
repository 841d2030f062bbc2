"""The Spark session of one "Glue PySpark (local)" kernel. Glue's configuration magics fill in a
``SessionConfig``; the session starts in the kernel's own process the first time a cell needs Spark,
from the same CreateSession-shaped request and plan as an endpoint session, and ends when stopped, after
its idle timeout or after its absolute timeout. As on Glue, a configuration change while a session runs
applies to the next one."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..jobs.arguments import split_list
from ..jobs.definitions import DEFAULT_GLUE_VERSION
from ..runtime.glue_versions import GLUE_VERSIONS
from ..runtime.paths import to_local
from ..runtime.python_paths import pip_install, py_path_entry
from ..runtime.spark import WORKER_TYPES, parse_conf_argument
from ..sessions.namespace import start_spark
from ..sessions.spec import GLUE_DEFAULT_MINUTES, SessionPlan, plan

log = logging.getLogger("gluelab.kernel")
SESSION_TYPES = {"etl": "glueetl", "streaming": "gluestreaming"}
NAMES = ("spark", "sc", "sqlContext", "glueContext")


class ConfigError(ValueError):
    """A magic's value Glue would refuse."""


@dataclass
class SessionConfig:
    """What the next session gets: Glue's CreateSession fields, in the magics' terms."""

    glue_version: str = DEFAULT_GLUE_VERSION
    session_type: str = "etl"
    worker_type: str | None = None
    number_of_workers: int | None = None
    idle_timeout: float = GLUE_DEFAULT_MINUTES  # minutes
    timeout: float = GLUE_DEFAULT_MINUTES  # minutes
    connections: list[str] = field(default_factory=list)
    default_arguments: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    session_id_prefix: str = ""

    # -- setters with Glue's checks ------------------------------------------------------------
    def set_glue_version(self, value: str) -> None:
        if value not in GLUE_VERSIONS:
            raise ConfigError(f"Glue version must be one of {', '.join(GLUE_VERSIONS)}, not {value!r}")
        self.glue_version = value

    def set_session_type(self, value: str) -> None:
        if value not in SESSION_TYPES:
            raise ConfigError(f"session type must be etl or streaming, not {value!r}")
        self.session_type = value

    def set_worker_type(self, value: str) -> None:
        if value not in WORKER_TYPES:
            raise ConfigError(f"Unknown WorkerType {value!r}; one of: {', '.join(WORKER_TYPES)}")
        self.worker_type = value

    def set_number_of_workers(self, value: Any) -> None:
        number = _number(value, "number of workers", integer=True)
        if number < 1:
            raise ConfigError(f"number of workers must be at least 1, not {value}")
        self.number_of_workers = int(number)

    def set_idle_timeout(self, value: Any) -> None:
        self.idle_timeout = _minutes(value, "idle timeout")

    def set_timeout(self, value: Any) -> None:
        self.timeout = _minutes(value, "timeout")

    def set_connections(self, value: Any) -> None:
        names = value if isinstance(value, list) else split_list(str(value))
        self.connections = [str(n).strip() for n in names if str(n).strip()]

    def set_argument(self, key: str, value: Any) -> None:
        key = key if key.startswith("--") else f"--{key}"
        if key == "--conf":
            parse_conf_argument(str(value))  # a malformed --conf is refused now, not at start
        self.default_arguments[key] = str(value)

    def add_spark_conf(self, pairs: str) -> None:
        parse_conf_argument(pairs)
        current = self.default_arguments.get("--conf")
        self.default_arguments["--conf"] = f"{current} --conf {pairs}" if current else pairs

    def spark_conf(self) -> dict[str, str]:
        return parse_conf_argument(self.default_arguments.get("--conf", ""))

    def set_session_id_prefix(self, value: str) -> None:
        if not all(c.isalnum() or c in "-/._#" for c in value):
            raise ConfigError("a session id prefix may hold letters, digits and -/._# only")
        self.session_id_prefix = value

    def request(self, session_id: str) -> dict[str, Any]:
        """The CreateSession request this configuration stands for."""
        request: dict[str, Any] = {
            "Id": session_id,
            "Role": "local",
            "Command": {"Name": SESSION_TYPES[self.session_type], "PythonVersion": "3"},
            "GlueVersion": self.glue_version,
            "DefaultArguments": dict(self.default_arguments),
            "IdleTimeout": self.idle_timeout,
            "Timeout": self.timeout,
            "Tags": dict(self.tags),
        }
        if self.worker_type:
            request["WorkerType"] = self.worker_type
        if self.number_of_workers:
            request["NumberOfWorkers"] = self.number_of_workers
        if self.connections:
            request["Connections"] = {"Connections": list(self.connections)}
        return request


def _number(value: Any, what: str, integer: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number, not {value!r}") from None
    if integer and number != int(number):
        raise ConfigError(f"{what} must be a whole number, not {value!r}")
    return number


def _minutes(value: Any, what: str) -> float:
    """Glue takes whole minutes; fractions are accepted here (a short timeout to try one out)."""
    minutes = _number(value, what)
    if minutes <= 0:
        raise ConfigError(f"{what} must be a positive number of minutes, not {value!r}")
    return int(minutes) if minutes == int(minutes) else minutes


class LocalSession:
    """This kernel's Spark: started on demand, stopped on request or timeout, described for %status."""

    def __init__(self, settings: Settings, bind: Callable[[dict[str, Any]], None]):
        self.settings = settings
        self.bind = bind  # puts spark, sc, sqlContext, glueContext into the user's namespace
        self.config = SessionConfig()
        self.spark: Any = None
        self.session_id: str | None = None
        self.status = "NOT_STARTED"  # PROVISIONING | READY | STOPPED | TIMEOUT | FAILED
        self.request: dict[str, Any] = {}
        self.plan: SessionPlan | None = None
        self.created_on: float | None = None
        self.started_seconds: float | None = None
        self.last_active = time.monotonic()
        self.busy = False
        self.error: str | None = None
        self.lock = threading.RLock()

    @property
    def ready(self) -> bool:
        return self.status == "READY" and self.spark is not None

    @property
    def log_path(self) -> Path | None:
        if self.session_id is None:
            return None
        return self.settings.logs_dir / "kernels" / self.session_id.replace("/", "_") / "session.log"

    def ensure(self, say: Callable[[str], None]) -> Any:
        """The running SparkSession, started now if there is none."""
        with self.lock:
            if not self.ready:
                self.start(say)
            return self.spark

    def start(self, say: Callable[[str], None]) -> None:
        session_id = f"{self.config.session_id_prefix}{uuid.uuid4()}"
        self.session_id, self.status, self.error = session_id, "PROVISIONING", None
        self.request = self.config.request(session_id)
        self.created_on = time.time()
        started = time.perf_counter()
        say(f"Starting a Spark session ({self._shape_line()})...")
        try:
            self._check_connections()
            self.plan = plan("glue", self.request, session_id)
            entries = self._python_paths(say)
            with _output_to(self.log_path):
                self.spark, names = start_spark(self.settings, self.plan)
            if entries:  # Python workers of a JVM started earlier in this kernel get them from here
                environment = self.spark.sparkContext.environment
                environment["PYTHONPATH"] = os.pathsep.join([*entries, environment.get("PYTHONPATH", "")])
        except Exception as exc:
            self.status, self.error = "FAILED", str(exc)
            raise
        self.started_seconds = time.perf_counter() - started
        self.status, self.last_active = "READY", time.monotonic()
        self.bind(names)
        context = self.spark.sparkContext
        say(
            f"Spark session {session_id} ready in {self.started_seconds:.1f} s: master {context.master}, "
            f"Spark {self.spark.version}; spark, sc, sqlContext and glueContext are defined."
        )
        log.info("session %s started (%s)", session_id, context.applicationId)

    def _shape_line(self) -> str:
        from ..runtime.spark import DEFAULT_WORKER_TYPE, DEFAULT_WORKERS

        workers = self.config.number_of_workers or DEFAULT_WORKERS
        return (
            f"{workers} x {self.config.worker_type or DEFAULT_WORKER_TYPE}, Glue {self.config.glue_version}"
        )

    def _check_connections(self) -> None:
        if not self.config.connections:
            return
        from ..services import shared_services

        catalog = shared_services(self.settings).catalog
        for name in self.config.connections:
            catalog.get_connection({"Name": name})  # EntityNotFoundException names the missing one

    def _python_paths(self, say: Callable[[str], None]) -> list[str]:
        """``--extra-py-files`` and ``--additional-python-modules`` for this interpreter and Spark's
        Python workers (which start with $PYTHONPATH)."""
        arguments = self.request["DefaultArguments"]
        entries: list[str] = []
        for location in split_list(arguments.get("--extra-py-files")):
            path = to_local(location, self.settings.warehouse_dir)
            if not path.exists():
                raise FileNotFoundError(f"--extra-py-files: {location} does not exist")
            entries.append(str(py_path_entry(path)))
        wanted = split_list(arguments.get("--additional-python-modules"))
        if wanted:
            assert self.log_path is not None
            target = self.log_path.parent / "site-packages"
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            say(f"Installing {', '.join(wanted)} with pip...")
            with self.log_path.open("a") as out:
                pip_install(wanted, target, arguments.get("--python-modules-installer-option", ""), out)
            entries.append(str(target))
        for entry in reversed(entries):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        if entries:
            os.environ["PYTHONPATH"] = os.pathsep.join([*entries, os.environ.get("PYTHONPATH", "")])
        return entries

    def stop(self, status: str = "STOPPED") -> bool:
        """End the running session (its Spark jobs cancelled); False when none was running."""
        with self.lock:
            spark, self.spark = self.spark, None
            if spark is None:
                return False
            self.status = status
        try:
            spark.sparkContext.cancelAllJobs()
            spark.stop()
        except Exception:  # noqa: BLE001 - Spark may be half gone already
            log.exception("stopping Spark")
        log.info("session %s ended: %s", self.session_id, status)
        return True

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def expired(self) -> str | None:
        """TIMEOUT reason when the idle or absolute timeout has passed."""
        if not self.ready or self.plan is None or self.created_on is None:
            return None
        if self.plan.timeout_seconds and time.time() - self.created_on > self.plan.timeout_seconds:
            return "timeout"
        if not self.busy and time.monotonic() - self.last_active > self.plan.idle_seconds:
            return "idle timeout"
        return None

    def describe(self) -> dict[str, Any]:
        """%status: the session as Glue's GetSession would show it, and where Spark runs."""
        config = self.config
        request = self.request if self.session_id else config.request("(none yet)")
        info: dict[str, Any] = {
            "Session ID": self.session_id or "(no session yet: the first cell using Spark starts one)",
            "Status": self.status,
            "Glue Version": request["GlueVersion"],
            "Session Type": request["Command"]["Name"],
            "Worker Type": request.get("WorkerType") or "G.1X (default)",
            "Number of Workers": request.get("NumberOfWorkers") or "2 (default)",
            "Idle Timeout": f"{request['IdleTimeout']} minutes",
            "Timeout": f"{request['Timeout']} minutes",
            "Connections": ", ".join((request.get("Connections") or {}).get("Connections", [])) or "-",
            "Default Arguments": request["DefaultArguments"] or "-",
            "Tags": request["Tags"] or "-",
        }
        if self.created_on:
            info["Created On"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.created_on))
        if self.ready:
            context = self.spark.sparkContext
            info.update(
                {
                    "Spark Version": self.spark.version,
                    "Master": context.master,
                    "Application ID": context.applicationId,
                    "Default Parallelism": context.defaultParallelism,
                    "Started In": f"{self.started_seconds:.1f} s",
                }
            )
        if self.error:
            info["Error"] = self.error
        if self.log_path:
            info["Log"] = str(self.log_path)
        if self.session_id and self.request != config.request(self.session_id):
            info["Note"] = "the configuration changed since this session started: %stop_session to apply it"
        return info


@contextmanager
def _output_to(path: Path | None) -> Iterator[None]:
    """Spark's JVM inherits file descriptors 1 and 2 when it starts: point them at the session's log, so
    its log lines land there and not in the cells, then restore the kernel's."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    saved = os.dup(1), os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(target, 1)
    os.dup2(target, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (target, *saved):
            os.close(fd)
