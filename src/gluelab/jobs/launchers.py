"""Launchers: how a run process runs each job type. ``glueetl`` and ``gluestreaming`` run a Glue script
with Spark ready (a warm spare's, or one started here); ``pythonshell`` runs a script without Spark. A
new job type is one more class in ``LAUNCHERS``; notebooks (``JobMode: NOTEBOOK``) have their own launchers,
in ``notebook_launcher``."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import InvalidInputException
from ..runtime.paths import to_local
from ..runtime.python_paths import pip_install, py_path_entry
from ..runtime.runner import execute_script
from ..runtime.spark import SparkSpec, parse_conf_argument, resolve_conf
from .arguments import flag, script_argv, split_list
from .logs import RunLogs

# Run arguments that must be in place before Spark starts: a run with any of them starts cold.
COLD_ONLY = (
    "--conf",
    "--extra-jars",
    "--enable-spark-ui",
    "--extra-py-files",
    "--additional-python-modules",
    "--customer-driver-env-vars",
)


def spark_spec(ctx: dict[str, Any], event_log_dir: Path | None) -> SparkSpec:
    """The Spark a run asks for: its WorkerType and NumberOfWorkers, GlueVersion, ``--conf``,
    ``--extra-jars``."""
    options, arguments = ctx["Options"], ctx["Arguments"]
    conf = parse_conf_argument(arguments["--conf"]) if arguments.get("--conf") else {}
    return SparkSpec(
        app_name=ctx["JobName"],
        worker_type=options.get("WorkerType"),
        number_of_workers=options.get("NumberOfWorkers"),
        conf=conf,
        event_log_dir=event_log_dir,
        glue_version=options.get("GlueVersion"),
    )


def spark_key(settings: Settings, spec: SparkSpec) -> str:
    """What a warm spare must match to serve a run: every Spark setting but the names and paths."""
    conf = resolve_conf(settings, spec)
    kept = {k: v for k, v in conf.items() if k != "spark.app.name" and not k.startswith("spark.eventLog.")}
    return json.dumps(kept, sort_keys=True)


def warm_key(settings: Settings, ctx: dict[str, Any]) -> str | None:
    """The spare key a run could start on, or None when it must start cold."""
    if ctx["Options"].get("JobType") not in ("glueetl", "gluestreaming"):
        return None
    if any(ctx["Arguments"].get(name) for name in COLD_ONLY):
        return None
    return spark_key(settings, spark_spec(ctx, None))


class Launcher:
    """Runs one job type's user code inside a run process."""

    uses_spark = False
    compiles_script = True  # a syntax error fails the run before Spark starts (not for notebooks)

    def __init__(self, settings: Settings, ctx: dict[str, Any], logs: RunLogs, warm: Any = None):
        self.settings = settings
        self.ctx = ctx
        self.logs = logs
        self.warm = warm
        self.arguments: dict[str, str] = ctx["Arguments"]
        self.workdir = logs.dir / "work"

    # -- the phases the run process calls --------------------------------------------------------
    def prepare(self) -> None:
        """Everything before user code: files, modules, paths (and Spark, for Spark types)."""
        if self.compiles_script:
            script = Path(self.ctx["Options"]["Script"])
            compile(script.read_bytes(), str(script), "exec")
        self.workdir.mkdir(exist_ok=True)
        os.chdir(self.workdir)  # the script's working directory, where --extra-files land
        self._temp_dir()
        self._extra_files()
        self._extra_py_files()
        self._additional_modules()
        self._environment()

    def run(self) -> int:
        script = Path(self.ctx["Options"]["Script"])
        argv = script_argv(self.arguments, self.ctx["JobName"], self.ctx["RunId"])
        return execute_script(script, argv)

    def close(self) -> None:
        """After user code, whatever happened."""

    # -- special parameters --------------------------------------------------------------------
    def _local(self, location: str) -> Path:
        """A location as the lake's rule maps it; a relative one is refused (StartJobRun checks first)."""
        return to_local(location, self.settings.warehouse_dir)

    def _temp_dir(self) -> None:
        location = self.arguments.get("--TempDir")
        if location:
            path = self._local(location)
            path.mkdir(parents=True, exist_ok=True)
            self.logs.note(f"--TempDir {location} is {path}")

    def _extra_files(self) -> None:
        for location in split_list(self.arguments.get("--extra-files")):
            source = self._local(location)
            if not source.is_file():
                raise InvalidInputException(f"--extra-files: {location} is not a file")
            shutil.copy2(source, self.workdir / source.name)
            self.logs.note(f"--extra-files: copied {location} into {self.workdir}")

    def _extra_py_files(self) -> None:
        for location in split_list(self.arguments.get("--extra-py-files")):
            path = self._local(location)
            if not path.exists():
                raise InvalidInputException(f"--extra-py-files: {location} does not exist")
            entry = py_path_entry(path)
            sys.path.insert(0, str(entry))
            self.logs.note(f"--extra-py-files: {location} on sys.path ({entry})")

    def _additional_modules(self) -> None:
        wanted = split_list(self.arguments.get("--additional-python-modules"))
        if not wanted:
            return
        target = self.logs.dir / "site-packages"
        requirements = [str(self._local(w)) if w.startswith(("s3://", "file://", "/")) else w for w in wanted]
        options = self.arguments.get("--python-modules-installer-option", "")
        started = time.perf_counter()
        try:
            with self.logs.path("run").open("a") as out:
                command = pip_install(requirements, target, options, out)
        except RuntimeError:
            raise InvalidInputException(
                f"--additional-python-modules: pip could not install {', '.join(wanted)} (see the run log)"
            ) from None
        sys.path.insert(0, str(target))
        self.logs.note("--additional-python-modules: " + " ".join(command))
        self.logs.note(f"--additional-python-modules: installed in {time.perf_counter() - started:.1f} s")

    def _environment(self) -> None:
        for pair in split_list(self.arguments.get("--customer-driver-env-vars")):
            key, eq, value = pair.partition("=")
            if not eq:
                raise InvalidInputException(f"--customer-driver-env-vars expects KEY=VALUE, not {pair!r}")
            os.environ[key.strip()] = value
        self._aws_client_environment()
        if len(sys.path) and self.arguments:
            # Spark's Python workers start later with this PYTHONPATH: extra modules reach UDFs too.
            extra = [p for p in sys.path if p.startswith(str(self.logs.dir)) or p in self._py_paths()]
            if extra:
                os.environ["PYTHONPATH"] = os.pathsep.join([*extra, os.environ.get("PYTHONPATH", "")])

    def _aws_client_environment(self) -> None:
        """Let ``boto3.client("glue")`` and ``boto3.client("s3")`` in user code (and the AWS CLI,
        awswrangler, s3fs) reach this home's endpoint, as a Glue job's role reaches Glue and S3 (variables
        the run already has are kept)."""
        from ..api.running import client_environment, running_server

        server = running_server(self.settings)
        if server is None:
            return
        values = client_environment(self.settings, server["url"])
        if any(os.environ.get(key) for key in values):
            return  # the run's own AWS settings win, all or nothing
        os.environ.update(values)
        self.logs.note(
            f"boto3's glue, s3 and sts clients reach {server.get('by', 'gluelab serve')} at {server['url']} "
            "(AWS_ENDPOINT_URL_GLUE, _S3, _STS)"
        )

    def _py_paths(self) -> list[str]:
        paths = []
        for location in split_list(self.arguments.get("--extra-py-files")):
            paths.append(str(py_path_entry(self._local(location))))
        return paths


class PythonShellLauncher(Launcher):
    """``pythonshell``: the script in this interpreter, no Spark (Glue's awsglue.utils still works)."""


class SparkScriptLauncher(Launcher):
    """``glueetl`` and ``gluestreaming``: the script runs with a SparkSession already started, which its
    own ``SparkContext()`` / ``getOrCreate()`` calls receive."""

    uses_spark = True

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.session: Any = None

    def prepare(self) -> None:
        super().prepare()
        from ..runtime.spark import build_session, install_context_hooks

        if self.warm is not None:
            self.session = self.warm.session
            self.logs.note("Spark: warm start (a pre-started interpreter with Spark ready)")
            return
        spec = spark_spec(self.ctx, self.event_log_dir)
        jars = [str(self._local(j)) for j in split_list(self.arguments.get("--extra-jars"))]
        if jars:
            known = resolve_conf(self.settings, spec)  # the JDBC drivers stay on both paths
            spec.conf["spark.jars"] = ",".join(filter(None, [known.get("spark.jars"), *jars]))
            class_path = [known.get("spark.driver.extraClassPath"), *jars]
            spec.conf["spark.driver.extraClassPath"] = os.pathsep.join(filter(None, class_path))
        if flag(self.arguments, "--enable-spark-ui"):
            spec.conf.update({"spark.ui.enabled": "true", "spark.ui.port": "0"})
        started = time.perf_counter()
        with self.logs.redirected("spark", "spark"):  # Spark's JVM keeps these as its stdout and stderr
            self.session = build_session(self.settings, spec)
        install_context_hooks(self.settings)
        ui = self.session.sparkContext.uiWebUrl
        self.logs.note(
            f"Spark: started in {time.perf_counter() - started:.1f} s (cold start), master "
            f"{self.session.sparkContext.master}" + (f", Spark UI at {ui}" if ui else "")
        )

    @property
    def event_log_dir(self) -> Path:
        return self.logs.dir / "spark-events"

    def close(self) -> None:
        if self.session is None:
            return
        try:
            for query in self.session.streams.active:
                query.stop()
        except Exception:  # noqa: BLE001 - the session may already be gone
            pass
        self.session.stop()
        target = self.arguments.get("--spark-event-logs-path")
        source = Path(self.warm.event_log_dir) if self.warm is not None else self.event_log_dir
        if target and source.is_dir():
            destination = self._local(target)
            shutil.copytree(source, destination, dirs_exist_ok=True)
            self.logs.note(f"--spark-event-logs-path: event log copied to {target}")


LAUNCHERS: dict[str, type[Launcher]] = {
    "glueetl": SparkScriptLauncher,
    "gluestreaming": SparkScriptLauncher,
    "pythonshell": PythonShellLauncher,
}


def launcher_for(options: dict[str, Any]) -> type[Launcher]:
    """The launcher of a run: by job type, and a notebook launcher for ``JobMode: NOTEBOOK``."""
    kind = options.get("JobType", "glueetl")
    if options.get("JobMode") == "NOTEBOOK" or str(options.get("Script", "")).endswith(".ipynb"):
        from .notebook_launcher import NOTEBOOK_LAUNCHERS

        return NOTEBOOK_LAUNCHERS[kind]
    return LAUNCHERS[kind]
