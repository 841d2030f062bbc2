"""Running a Glue script unmodified: ``gluelab run script.py --JOB_NAME x --key value``.

The SparkSession is started first (by the one factory) and the script's own ``SparkContext()`` /
``getOrCreate()`` calls receive it. Glue's runtime arguments are added when absent (``--JOB_NAME`` from
the script's name, ``--JOB_RUN_ID``), and ``--conf`` pairs go to Spark, as on Glue. The session has the
Spark SQL semantics of the spec's Glue version (``runtime.glue_versions``).
"""

from __future__ import annotations

import runpy
import sys
import uuid
from pathlib import Path

from ..config import Settings
from . import user_errors
from .glue_versions import describe
from .spark import SparkSpec, build_session, install_context_hooks, parse_conf_argument


def _arg(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == f"--{name}" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None


def script_arguments(script: Path, args: list[str]) -> list[str]:
    """The script's arguments with Glue's runtime-injected ones added when absent."""
    args = list(args)
    if _arg(args, "JOB_NAME") is None:
        args += ["--JOB_NAME", script.stem]
    if _arg(args, "JOB_RUN_ID") is None:
        args += ["--JOB_RUN_ID", f"jr_{uuid.uuid4().hex}"]
    return args


class ScriptFailed(Exception):
    """The script raised: ``shown`` is the user's error as they should read it (their frames only, a
    pointer to the full trace), ``trace_file`` the file holding the full trace."""

    def __init__(self, shown: str, trace_file: Path):
        super().__init__(shown)
        self.shown = shown
        self.trace_file = trace_file


def _failed(exc: BaseException, trace_file: Path) -> ScriptFailed:
    pointer = f"gluelab: the full trace is in {trace_file}"
    try:
        trace_file.parent.mkdir(parents=True, exist_ok=True)
        trace_file.write_text(user_errors.full_trace(exc))
    except OSError as error:
        pointer = f"gluelab: the full trace could not be written to {trace_file}: {error}"
    return ScriptFailed(user_errors.shown(exc, pointer), trace_file)


def run_script(settings: Settings, script: Path, args: list[str], spec: SparkSpec | None = None) -> int:
    """Run ``script`` with ``args`` in this process; returns its exit status. A script that raises (or does
    not compile: that is found before Spark starts) raises ScriptFailed."""
    if not script.is_file():
        raise FileNotFoundError(f"no such script: {script}")
    args = script_arguments(script, args)
    trace_file = settings.logs_dir / "runs" / str(_arg(args, "JOB_RUN_ID")) / "error.log"
    try:
        compile(script.read_bytes(), str(script), "exec")
    except SyntaxError as exc:
        raise _failed(exc, trace_file) from exc
    spec = spec or SparkSpec()
    conf_value = _arg(args, "conf")
    if conf_value:
        spec.conf.update(parse_conf_argument(conf_value))
    if spec.event_log_dir is None:
        run_id = _arg(args, "JOB_RUN_ID")
        spec.event_log_dir = settings.logs_dir / "runs" / str(run_id) / "spark-events"
    spec.app_name = _arg(args, "JOB_NAME") or script.stem
    settings.ensure_dirs()
    print(f"gluelab: {describe(spec.glue_version, spec.conf)}", file=sys.stderr, flush=True)
    spark = build_session(settings, spec)
    install_context_hooks(settings)
    try:
        return execute_script(script, args)
    except Exception as exc:  # noqa: BLE001 - whatever the script raised is its failure
        raise _failed(exc, trace_file) from exc
    finally:
        spark.stop()


def execute_script(script: Path, args: list[str]) -> int:
    """Run ``script`` as ``__main__`` with ``sys.argv[1:] == args``, its folder first on ``sys.path``;
    returns its exit status (``sys.exit`` included). Its exceptions propagate."""
    sys.argv = [str(script), *args]
    sys.path.insert(0, str(script.parent.resolve()))
    try:
        runpy.run_path(str(script), run_name="__main__")
        return 0
    except SystemExit as exit_:
        code = exit_.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr, flush=True)  # as the interpreter does for sys.exit("message")
        return 1
