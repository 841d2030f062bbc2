"""Notebook jobs (``JobMode: NOTEBOOK``, an ``.ipynb`` script): papermill runs the notebook's snapshot in
the run process with the run's arguments as typed parameters. A wrong-typed value fails the run before any
cell runs; the executed notebook is kept per run (``output.ipynb`` in its log directory, written after every
cell; ``output_html`` renders it for the lab); each cell's start is a line of the run's log; a failure names
the first failing cell."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ..runtime.user_errors import UserCodeFailed, headline
from .arguments import script_argv
from .launchers import PythonShellLauncher, SparkScriptLauncher
from .notebook_params import parameter_schema, typed_parameters

OUTPUT = "output.ipynb"


def output_html(log_dir: Path) -> bytes | None:
    """A run's executed notebook as HTML (``None`` when it has none), rendered on demand rather than by the
    run (nbconvert costs about a second) and kept as ``output.html`` until the notebook changes."""
    notebook = log_dir / OUTPUT
    if not notebook.is_file():
        return None
    html = notebook.with_suffix(".html")
    if html.is_file() and html.stat().st_mtime >= notebook.stat().st_mtime:
        return html.read_bytes()
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    data = body.encode("utf-8")
    partial = html.with_name(".output.html.part")
    partial.write_bytes(data)
    partial.replace(html)
    return data


class NotebookFailed(UserCodeFailed):
    """A cell raised: the run fails with what (the cell's error, first) and where (the cell and its line)."""


def cell_failure(error: BaseException | None, ename: str, evalue: str, cell: int, source: str) -> str:
    """The user's view of a failed cell: its error, then the cell, its line and that line's code."""
    what = headline(error) if error is not None else f"{ename}: {evalue}" if evalue else ename
    line = _cell_line(error)
    lines = source.splitlines()
    where = f"  cell {cell} of the executed notebook ({OUTPUT})"
    if line is not None and 0 < line <= len(lines):
        return f"{what}\n{where}, line {line}:\n    {lines[line - 1].strip()}"
    first = lines[0].strip() if lines else ""
    return f"{what}\n{where}:\n    {first}"


def _cell_line(error: BaseException | None) -> int | None:
    """The line of the cell the error came from (its innermost frame in the cell's own code)."""
    import traceback

    if error is None:
        return None
    if isinstance(error, SyntaxError):
        return error.lineno
    cells = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<ipython-input-")]
    return cells[-1].lineno if cells else None


class NotebookMixin:
    settings: Any
    ctx: dict[str, Any]
    logs: Any
    arguments: dict[str, str]
    workdir: Path
    typed: dict[str, Any] = {}
    compiles_script = False  # a notebook is not Python source; papermill reports its cells' errors

    def _parameters(self) -> dict[str, Any]:
        script = Path(self.ctx["Options"]["Script"])
        self.logs.note(f"notebook {script.name} (the job's snapshot: version and content hash)")
        schema = parameter_schema(script)
        parameters = typed_parameters(schema, self.arguments)  # InvalidInputException before any cell
        for name, value in parameters.items():
            self.logs.note(f"parameter {name} = {value!r}")
        return parameters

    def _namespace(self) -> dict[str, Any]:
        return {}

    def run(self) -> int:
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from . import notebook_engine

        notebook_engine.install()
        script = Path(self.ctx["Options"]["Script"])
        output = self.logs.dir / OUTPUT
        engine = notebook_engine.InProcessEngine
        engine.namespace = self._namespace()
        engine.on_cell = lambda number, total, first: self.logs.note(f"cell {number}/{total}: {first[:80]}")
        sys.argv = [str(script), *script_argv(self.arguments, self.ctx["JobName"], self.ctx["RunId"])]
        started = time.perf_counter()
        try:
            papermill.execute_notebook(
                str(script),
                str(output),
                parameters=self.typed,
                engine_name=notebook_engine.ENGINE,
                kernel_name="python3",
                language="python",
                progress_bar=False,
                cwd=str(self.workdir),
            )
        except PapermillExecutionError as error:
            cell_error = engine.error
            engine.error = None
            raise NotebookFailed(
                cell_failure(cell_error, error.ename, error.evalue, error.cell_index + 1, error.source or "")
            ) from cell_error  # run.log's full trace shows the cell's own traceback first
        self.logs.note(f"notebook executed in {time.perf_counter() - started:.2f} s; output {output}")
        return 0


class SparkNotebookLauncher(NotebookMixin, SparkScriptLauncher):
    """A ``glueetl`` notebook: its cells see the run's ``spark``, ``sc``, ``sqlContext``, ``glueContext``."""

    def prepare(self) -> None:
        self.typed = self._parameters()
        super().prepare()

    def _namespace(self) -> dict[str, Any]:
        from pyspark.sql import SQLContext

        from awsglue.context import GlueContext

        context = self.session.sparkContext
        return {
            "spark": self.session,
            "sc": context,
            "sqlContext": SQLContext(context, self.session),
            "glueContext": GlueContext(context),
        }

    def run(self) -> int:
        return NotebookMixin.run(self)


class ShellNotebookLauncher(NotebookMixin, PythonShellLauncher):
    """A ``pythonshell`` notebook: no Spark."""

    def prepare(self) -> None:
        self.typed = self._parameters()
        super().prepare()

    def run(self) -> int:
        return NotebookMixin.run(self)


NOTEBOOK_LAUNCHERS = {
    "glueetl": SparkNotebookLauncher,
    "gluestreaming": SparkNotebookLauncher,
    "pythonshell": ShellNotebookLauncher,
}
