"""Runs a statement's code the way Livy's Python interpreter does, which sparkmagic, pylivy and Glue's
kernel were built against: one persistent namespace; every top-level node executed in order and the last
one in ``single`` mode (a final expression prints its ``repr``); ``text/plain`` is the display output,
stdout and stderr together, ``rstrip``-ped; an error is ``status: error`` with ``ename``, ``evalue`` and a
traceback without the interpreter's own frames. Lines ``%json x``, ``%table x`` and ``%matplot fig`` are
Livy's magics. ``kind="sql"`` runs the code with ``spark.sql`` and answers Livy's JSON table."""

from __future__ import annotations

import ast
import base64
import io
import json
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

SQL_ROWS = 1000  # Livy's livy.rsc.sql.num-rows
# PySpark 4 warns on every first DataFrame.toJSON() of a process: on stderr it would corrupt the JSON lines
# sparkmagic's %%sql and -o parse.
warnings.filterwarnings("ignore", message="The return type of DataFrame.toJSON")

Output = dict[str, Any]


class StatementError(Exception):
    """A failure to report as the statement's error output (ename, evalue), without a traceback."""

    def __init__(self, ename: str, evalue: str):
        super().__init__(evalue)
        self.ename = ename
        self.evalue = evalue


class Interpreter:
    def __init__(self, namespace: dict[str, Any]):
        self.namespace = namespace
        self.namespace.setdefault("__name__", "__main__")
        self.namespace.setdefault("__builtins__", __builtins__)
        self.magics: dict[str, Callable[[str], Output]] = {
            "json": self._magic_json,
            "table": self._magic_table,
            "matplot": self._magic_matplot,
        }

    # -- entry point ----------------------------------------------------------------------
    def execute(self, code: str, execution_count: int, kind: str = "pyspark") -> Output:
        """Run ``code``; return Livy's output object (without execution_count's bookkeeping elsewhere)."""
        capture = io.StringIO()
        saved = sys.stdout, sys.stderr, sys.displayhook
        sys.stdout = sys.stderr = capture
        sys.displayhook = _display_to(capture)
        data: dict[str, Any] | None = None
        try:
            data = self._sql(code) if kind == "sql" else self._python(code)
        except StatementError as error:
            return _error(execution_count, error.ename, error.evalue, [])
        except BaseException as error:  # noqa: BLE001 - user code may raise anything, SystemExit too
            return _error(execution_count, type(error).__name__, str(error), _user_traceback(error))
        finally:
            sys.stdout, sys.stderr, sys.displayhook = saved
        if data is None:
            data = {"text/plain": capture.getvalue().rstrip()}
        return {"status": "ok", "execution_count": execution_count, "data": data}

    # -- Python ---------------------------------------------------------------------------
    def _python(self, code: str) -> dict[str, Any] | None:
        try:
            tree = ast.parse(code, "<stdin>", "exec")
        except SyntaxError:
            if any(line.lstrip().startswith("%") for line in code.splitlines()):
                return self._with_magics(code)
            raise
        self._run_tree(tree)
        return None

    def _run_tree(self, tree: ast.Module) -> None:
        body = tree.body
        for node in body[:-1]:
            exec(compile(ast.Module([node], []), "<stdin>", "exec"), self.namespace)
        if body:
            last = ast.Interactive([body[-1]])
            exec(compile(last, "<stdin>", "single"), self.namespace)

    def _with_magics(self, code: str) -> dict[str, Any] | None:
        """Code with ``%magic`` lines: the chunks between them run as Python; a magic's rich output (the
        last one) becomes the statement's data."""
        data: dict[str, Any] | None = None
        chunk: list[str] = []

        def flush() -> None:
            if chunk:
                self._run_tree(ast.parse("\n".join(chunk), "<stdin>", "exec"))
                chunk.clear()

        for line in code.splitlines():
            stripped = line.strip()
            if stripped.startswith("%"):
                flush()
                name, _, rest = stripped[1:].partition(" ")
                magic = self.magics.get(name)
                if magic is None:
                    raise StatementError("UnknownMagic", f"Unknown magic command: %{name}")
                data = magic(rest.strip())
            else:
                chunk.append(line)
        flush()
        return data

    def _value(self, expression: str) -> Any:
        if not expression:
            raise StatementError("MagicError", "the magic needs an expression")
        return eval(expression, self.namespace)

    def _magic_json(self, expression: str) -> Output:
        value = self._value(expression)
        return {"application/json": json.loads(json.dumps(value, default=str))}

    def _magic_table(self, expression: str) -> Output:
        rows = self._value(expression)
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list | tuple) or not rows:
            raise StatementError("MagicError", "%table needs a non-empty list of rows (lists or dicts)")
        if isinstance(rows[0], dict):
            headers = list(rows[0])
            data = [[row.get(h) for h in headers] for row in rows]
        else:
            headers = [f"col{i}" for i in range(len(rows[0]))]
            data = [list(row) for row in rows]
        described = [{"name": h, "type": _livy_type(data[0][i])} for i, h in enumerate(headers)]
        table = {"headers": described, "data": json.loads(json.dumps(data, default=str))}
        return {"application/vnd.livy.table.v1+json": table}

    def _magic_matplot(self, expression: str) -> Output:
        figure = self._value(expression)
        figure = figure.gcf() if hasattr(figure, "gcf") else figure
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": ""}

    # -- SQL ------------------------------------------------------------------------------
    def _sql(self, code: str) -> dict[str, Any]:
        spark = self.namespace.get("spark")
        if spark is None:
            raise StatementError("NameError", "name 'spark' is not defined")
        frame = spark.sql(code)
        rows = frame.take(SQL_ROWS)
        data = [[_plain(value) for value in row] for row in rows]
        return {"application/json": {"schema": json.loads(frame.schema.json()), "data": data}}


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _livy_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN_TYPE"
    if isinstance(value, int):
        return "BIGINT_TYPE"
    if isinstance(value, float):
        return "DOUBLE_TYPE"
    if value is None:
        return "NULL_TYPE"
    return "STRING_TYPE"


def _display_to(stream: io.StringIO) -> Callable[[Any], None]:
    def display(value: Any) -> None:
        if value is None:
            return
        import builtins

        builtins._ = value  # type: ignore[attr-defined]
        stream.write(repr(value) + "\n")

    return display


def _user_traceback(error: BaseException) -> list[str]:
    """The traceback from the user's code on: this module's frames dropped."""
    frames = traceback.extract_tb(error.__traceback__)
    user = [f for f in frames if f.filename != __file__]
    lines = ["Traceback (most recent call last):\n"] if user else []
    lines += traceback.format_list(user)
    lines += traceback.format_exception_only(type(error), error)
    return lines


def _error(count: int, ename: str, evalue: str, tb: list[str]) -> Output:
    return {"status": "error", "execution_count": count, "ename": ename, "evalue": evalue, "traceback": tb}
