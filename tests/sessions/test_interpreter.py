"""The statement interpreter's Livy semantics, without Spark (what sparkmagic and pylivy parse)."""

from __future__ import annotations

import pytest

from gluelab.sessions.interpreter import Interpreter


@pytest.fixture
def shell() -> Interpreter:
    return Interpreter({})


def text(output: dict) -> str:
    assert output["status"] == "ok", output
    return output["data"]["text/plain"]


def test_last_expression_prints_its_repr(shell: Interpreter) -> None:
    assert text(shell.execute("1+1", 0)) == "2"
    assert text(shell.execute("'200'", 1)) == "'200'"
    assert text(shell.execute("None", 2)) == ""
    assert text(shell.execute("x = 5\nx * 2", 3)) == "10"


def test_namespace_persists_and_imports_print_nothing(shell: Interpreter) -> None:
    assert text(shell.execute("import json\nvalues = [1, 2]", 0)) == ""
    assert text(shell.execute("json.dumps(values)", 1)) == "'[1, 2]'"


def test_stdout_and_stderr_are_captured_and_stripped(shell: Interpreter) -> None:
    assert text(shell.execute('print("foo")', 0)) == "foo"
    assert text(shell.execute("print(1)\r\nprint(1)", 1)) == "1\n1"
    assert text(shell.execute("import sys\nprint('a')\nprint('b', file=sys.stderr)", 2)) == "a\nb"


def test_loops_and_definitions_run_whole(shell: Interpreter) -> None:
    code = "def f(n):\n    return n * 3\nfor i in range(2):\n    print(f(i))"
    assert text(shell.execute(code, 0)) == "0\n3"


def test_error_names_the_exception_without_interpreter_frames(shell: Interpreter) -> None:
    output = shell.execute("def boom():\n    return 1 / 0\nboom()", 4)
    assert output["status"] == "error"
    assert output["execution_count"] == 4
    assert (output["ename"], output["evalue"]) == ("ZeroDivisionError", "division by zero")
    joined = "".join(output["traceback"])
    assert "boom" in joined and "interpreter.py" not in joined
    assert all(isinstance(line, str) for line in output["traceback"])


def test_name_and_syntax_errors(shell: Interpreter) -> None:
    output = shell.execute("abcde", 0)
    assert (output["ename"], output["evalue"]) == ("NameError", "name 'abcde' is not defined")
    assert shell.execute("def (:", 1)["ename"] == "SyntaxError"


def test_system_exit_is_an_error_not_an_exit(shell: Interpreter) -> None:
    output = shell.execute("raise SystemExit(3)", 0)
    assert output["status"] == "error" and output["ename"] == "SystemExit"


def test_json_and_table_magics(shell: Interpreter) -> None:
    shell.execute("rows = [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]", 0)
    assert shell.execute("%json rows", 1)["data"] == {
        "application/json": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    }
    table = shell.execute("%table rows", 2)["data"]["application/vnd.livy.table.v1+json"]
    assert [h["name"] for h in table["headers"]] == ["a", "b"]
    assert table["headers"][0]["type"] == "BIGINT_TYPE"
    assert table["data"] == [[1, "x"], [2, "y"]]


def test_code_and_magics_mixed(shell: Interpreter) -> None:
    output = shell.execute("x = {'k': 1}\n%json x", 0)
    assert output["data"] == {"application/json": {"k": 1}}


def test_unknown_magic_is_an_error(shell: Interpreter) -> None:
    output = shell.execute("%nosuch 1", 0)
    assert output["status"] == "error" and "Unknown magic" in output["evalue"]


def test_sql_without_spark_is_a_name_error(shell: Interpreter) -> None:
    output = shell.execute("SELECT 1", 0, kind="sql")
    assert output["ename"] == "NameError"
