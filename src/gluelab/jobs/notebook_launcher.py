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


class NotebookFailed(RuntimeError):
    """A cell raised: the run fails with where and what."""


class NotebookMixin:
    settings: Any
    ctx: dict[str, Any]
    logs: Any
    arguments: dict[str, str]
    workdir: Path
    typed: dict[str, Any] = {}

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
            first = (error.source or "").strip().splitlines()[:1]
            raise NotebookFailed(
                f"cell {error.cell_index + 1} of the executed notebook ({first[0][:60] if first else ''!r}) "
                f"failed: {error.ename}: {error.evalue}"
            ) from None
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
