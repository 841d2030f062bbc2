"""The "Glue PySpark (local)" kernel: IPython's kernel with a Spark session in its own process, started
the first time a cell uses it, Glue's magics, live Spark progress in the cell, interrupt that cancels the
cell's Spark jobs, and idle and absolute timeouts that stop Spark."""

from __future__ import annotations

import ast
import itertools
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from ipykernel.ipkernel import IPythonKernel

from .. import __version__
from ..config import Settings
from .magics import GlueMagics
from .progress import SparkProgress
from .session import LocalSession

log = logging.getLogger("gluelab.kernel")
# A cell that names one of these, or imports pyspark or awsglue, starts Spark if it is not running.
SPARK_NAMES = {
    "spark",
    "sc",
    "sqlContext",
    "glueContext",
    "SparkSession",
    "SparkContext",
    "GlueContext",
    "DynamicFrame",
}
SPARK_MODULES = ("pyspark", "awsglue")
WATCH_SECONDS = 1.0


def uses_spark(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in SPARK_NAMES:
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in SPARK_MODULES for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SPARK_MODULES:
            return True
    return False


def _in_jvm_call(frame: Any) -> bool:
    while frame is not None:
        if f"{os.sep}py4j{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _is_line_magic(statement: ast.stmt) -> bool:
    """``get_ipython().run_line_magic(...)``: what IPython makes of a ``%magic`` line."""
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return False
    func = statement.value.func
    return isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "system")


class StartSparkWhenUsed(ast.NodeTransformer):
    """Puts ``get_ipython().kernel.spark_for_cell()`` after a cell's leading magics when the cell uses
    Spark and none is running: the cell's own configuration magics apply to the session it starts."""

    def __init__(self, kernel: GlueLocalKernel):
        self.kernel = kernel

    def visit_Module(self, node: ast.Module) -> ast.Module:
        try:
            if self.kernel.local_session.ready or not uses_spark(node):
                return node
            index = 0
            while index < len(node.body) and _is_line_magic(node.body[index]):
                index += 1
            start = ast.parse("get_ipython().kernel.spark_for_cell()").body[0]
            node.body.insert(index, start)
            return ast.fix_missing_locations(node)
        except Exception:  # noqa: BLE001 - IPython drops a transformer that raises; keep ours
            log.exception("deciding whether a cell uses Spark")
            return node


class GlueLocalKernel(IPythonKernel):
    implementation = "gluelab"
    implementation_version = __version__
    banner = (
        "Glue PySpark (local) - gluelab " + __version__ + "\n"
        "Spark starts the first time a cell uses spark, sc or glueContext. %help lists the magics."
    )
    help_links = [{"text": "gluelab magics (%help)", "url": "https://docs.aws.amazon.com/glue/"}]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.settings = Settings.load()
        self._log_to_file()
        self.local_session = LocalSession(self.settings, self.shell.push)
        self.shell.register_magics(GlueMagics(self.shell, self))
        self.shell.ast_transformers.append(StartSparkWhenUsed(self))
        self._cells = itertools.count(1)
        self._group: str | None = None
        self._interrupted = False
        self._closing = threading.Event()
        threading.Thread(target=self._watch_timeouts, name="session-timeouts", daemon=True).start()

    def _log_to_file(self) -> None:
        """The kernel's own log; its stderr would land in whichever cell runs."""
        path = self.settings.logs_dir / "kernels" / "kernel.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"))
        for name in ("gluelab", "py4j"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.INFO if name == "gluelab" else logging.WARNING)
            logger.propagate = False
        # py4j reports an interrupted call on the root logger; that belongs in the log, not the cell.
        logging.getLogger().addFilter(lambda record: "while sending command" not in record.getMessage())

    # -- Spark for the running cell -----------------------------------------------------------
    def spark_for_cell(self) -> Any:
        """The running SparkSession (started now if needed), the current cell's job group set on it."""
        previous = self.local_session.status
        if previous in ("TIMEOUT", "STOPPED", "FAILED") and not self.local_session.ready:
            print(f"The previous session is {previous}; starting a new one.")
        spark = self.local_session.ensure(lambda text: print(text, flush=True))
        self._interrupt_cancelled_calls()
        self._set_job_group()
        return spark

    def _set_job_group(self) -> None:
        if self._group is not None and self.local_session.ready:
            self.local_session.spark.sparkContext.setJobGroup(self._group, f"cell {self._group}", True)

    async def do_execute(self, code: str, silent: bool, *args: Any, **kwargs: Any) -> dict[str, Any]:
        session = self.local_session
        self._group = f"gluelab-cell-{next(self._cells)}"
        self._interrupted = False
        session.busy = True
        progress = None if silent else SparkProgress(self, self._group, self.get_parent("shell"))
        try:
            if session.ready:
                self._set_job_group()
            if progress is not None:
                progress.start()
            return await super().do_execute(code, silent, *args, **kwargs)
        finally:
            if progress is not None:
                progress.finish(interrupted=self._interrupted)
            self._group = None
            session.busy = False
            session.touch()

    # -- interrupt: cancel the cell's Spark jobs, then stop its Python code ----------------------
    def pre_handler_hook(self) -> None:
        self.saved_sigint_handler = signal.signal(signal.SIGINT, self._on_interrupt)

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        """Python waiting on the JVM is not stopped mid-call (the JVM would go on with the job, and the
        connection to it would be left half-read): the cell's job group is cancelled, so the call comes
        back with Spark's cancellation, which ``_interrupt_cancelled_calls`` raises as KeyboardInterrupt.
        Python code not waiting on the JVM is interrupted at once."""
        group, spark = self._group, self.local_session.spark
        if group is None or spark is None:
            raise KeyboardInterrupt
        if not self._interrupted:
            self._interrupted = True
            threading.Thread(target=self._keep_cancelling, args=(spark, group), daemon=True).start()
        if not _in_jvm_call(frame):
            raise KeyboardInterrupt

    def _keep_cancelling(self, spark: Any, group: str) -> None:
        """Cancel the group until the cell ends (a job submitted just after a cancel is cancelled too),
        and interrupt again each second in case the cell went on in Python."""
        for attempt in range(1, 61):
            if self._group != group:
                return
            try:
                spark.sparkContext.cancelJobGroup(group)
            except Exception:  # noqa: BLE001 - Spark may be stopping
                log.exception("cancelling job group %s", group)
            if attempt == 1:
                log.info("interrupt: cancelled Spark job group %s", group)
            time.sleep(0.5)
            if attempt % 2 == 0 and self._group == group:
                os.kill(os.getpid(), signal.SIGINT)

    def _interrupt_cancelled_calls(self) -> None:
        """After an interrupt, a JVM call failing on the main thread (its job cancelled) raises
        KeyboardInterrupt, as the user asked."""
        import py4j.java_gateway as gateway

        current = gateway.get_return_value
        if getattr(current, "gluelab_interrupts", False):
            return

        def get_return_value(*args: Any, **kwargs: Any) -> Any:
            try:
                return current(*args, **kwargs)
            except Exception:
                if self._interrupted and threading.current_thread() is threading.main_thread():
                    raise KeyboardInterrupt("the cell's Spark jobs were cancelled") from None
                raise

        get_return_value.gluelab_interrupts = True  # type: ignore[attr-defined]
        gateway.get_return_value = get_return_value

    # -- timeouts and shutdown ------------------------------------------------------------------
    def _watch_timeouts(self) -> None:
        while not self._closing.wait(WATCH_SECONDS):
            reason = self.local_session.expired()
            if reason:
                log.info("session %s: %s, stopping Spark", self.local_session.session_id, reason)
                self.local_session.stop("TIMEOUT")

    def do_shutdown(self, restart: bool) -> dict[str, Any]:
        self._closing.set()
        started = time.monotonic()
        self.local_session.stop("STOPPED")
        log.info("kernel shut down (Spark stopped in %.1f s)", time.monotonic() - started)
        return super().do_shutdown(restart)


def main() -> None:
    from ipykernel.kernelapp import IPKernelApp

    if sys.path and sys.path[0] == "":
        del sys.path[0]  # as ipykernel_launcher does: the working directory is not a package root
    IPKernelApp.launch_instance(kernel_class=GlueLocalKernel)
