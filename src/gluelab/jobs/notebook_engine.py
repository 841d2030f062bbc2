"""papermill's engine for notebook jobs: the cells run in the run process itself, in an IPython shell whose
namespace holds the run's ``spark``, ``sc``, ``sqlContext`` and ``glueContext`` (a warm spare's when one
served the run), so a notebook job costs what its script would. Outputs (streams, displays, results,
errors) are recorded per cell as a kernel would; the first error stops the notebook, and papermill marks
the cell and raises with its index."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

import nbformat
from IPython.core.displayhook import DisplayHook
from papermill.engines import Engine, papermill_engines
from papermill.translators import PythonTranslator, papermill_translators

from .notebook_params import IsoDate

ENGINE = "gluelab-in-process"
log = logging.getLogger("gluelab.notebook")


class LiteralTranslator(PythonTranslator):
    """papermill's Python translator, with date and datetime parameters injected as literals too."""

    @classmethod
    def translate(cls, val: Any) -> str:
        if isinstance(val, IsoDate):
            return val.literal()
        return super().translate(val)


def _outputs(captured: Any, result: Any, shell: Any, count: int) -> list[Any]:
    outputs = []
    if captured.stdout:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=captured.stdout))
    if captured.stderr:
        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=captured.stderr))
    for shown in captured.outputs:
        outputs.append(nbformat.v4.new_output("display_data", data=shown.data, metadata=shown.metadata or {}))
    value = getattr(result, "result", None)
    if value is not None:
        data, metadata = shell.display_formatter.format(value)
        outputs.append(
            nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=count)
        )
    return outputs


class _QuietDisplayHook(DisplayHook):
    """Keeps a cell's last value (``Out``, ``_``) without printing ``Out[n]:`` to stdout."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: Any, md_dict: Any = None) -> None:
        pass


class InProcessEngine(Engine):
    """Set ``namespace`` (and optionally ``on_cell``) before papermill runs; one notebook at a time."""

    namespace: dict[str, Any] = {}
    on_cell: Callable[[int, int, str], None] | None = None
    error: BaseException | None = None  # the failing cell's exception, with its traceback

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.utils.capture import capture_output

        shell = InteractiveShell.instance()
        shell.showtraceback = lambda *args, **kwargs: None  # the error becomes the cell's error output
        quiet = _QuietDisplayHook(shell=shell, cache_size=shell.cache_size)
        shell.displayhook = shell.display_trap.hook = quiet  # results become execute_result outputs
        shell.user_ns.update(cls.namespace)
        _register_magics(shell)
        cls.error = None
        cells = [(i, c) for i, c in enumerate(nb_man.nb.cells) if c.cell_type == "code"]
        for number, (index, cell) in enumerate(cells, start=1):
            if cls.on_cell is not None:
                cls.on_cell(number, len(cells), cell.source.splitlines()[0] if cell.source else "")
            nb_man.cell_start(cell, index)
            count = number
            with capture_output(display=True) as captured:
                result = shell.run_cell(cell.source, store_history=True, silent=False)
            cell.execution_count = count
            cell.outputs = _outputs(captured, result, shell, count)
            sys.stdout.write(captured.stdout)  # the run's live log has what the cells print
            sys.stderr.write(captured.stderr)
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                cls.error = error
                lines = traceback.format_exception(type(error), error, error.__traceback__)
                kept = [line for line in lines if "/IPython/" not in line and "/gluelab/jobs/" not in line]
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "error", ename=type(error).__name__, evalue=str(error), traceback=kept
                    )
                )
                nb_man.cell_exception(cell, index, exception=error)  # the run writes the error to stderr
                nb_man.cell_complete(cell, index)
                break
            nb_man.cell_complete(cell, index)


def _register_magics(shell: Any) -> None:
    """%%sql, %catalog and %bookmarks work in a notebook job as in the kernel (configuration magics were
    made job properties when the notebook was promoted, and commented out of its snapshot)."""
    from ..config import Settings
    from ..kernel.magics import GlueMagics

    class JobFace:
        settings = Settings.load()
        local_session = None

        def spark_for_cell(self) -> Any:
            return shell.user_ns["spark"]

    shell.register_magics(GlueMagics(shell, JobFace()))


def install() -> None:
    papermill_engines.register(ENGINE, InProcessEngine)
    papermill_translators.register("python", LiteralTranslator)
