"""A notebook's parameters: the schema its ``parameters`` cell declares (names, defaults, types and help,
as papermill reads them, with the default's type when there is no annotation), and a run's string
arguments converted to those types, to be injected as literals (never as code)."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidInputException


class ParameterError(InvalidInputException, ValueError):
    """A run argument that is not of its parameter's declared type (Glue's InvalidInputException)."""


class IsoDate(str):
    """A date or datetime parameter: its ISO text (so papermill can record it as JSON), injected as the
    constructor call that makes it."""

    kind = "date"

    def literal(self) -> str:
        return f"__import__('datetime').{self.kind}.fromisoformat({str(self)!r})"


class IsoDateTime(IsoDate):
    kind = "datetime"


TYPES = ("int", "float", "bool", "str", "list", "dict", "date", "datetime")
TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def _type_of_default(default: str) -> str:
    text = default.strip()
    constructor = re.search(r"\b(date|datetime)(\.fromisoformat)?\(", text)
    if constructor:
        return constructor.group(1)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return "str"
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (list, "list"), (dict, "dict")):
        if isinstance(value, kind):
            return name
    return "str"


def import_papermill() -> None:
    """Imports papermill without the IRI grammar: papermill imports nbformat, whose jsonschema imports
    ``rfc3987_syntax`` when it is installed, and that compiles a grammar at import (a second, twice that on a
    busy machine, in every notebook run) for format checks nbformat never makes. The module stays
    importable afterwards; only jsonschema's ``iri`` format checks are left out of this process."""
    if "papermill" in sys.modules:
        return
    block = "rfc3987_syntax" not in sys.modules
    if block:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment] - import raises ImportError
    try:
        import papermill  # noqa: F401
    finally:
        if block:
            del sys.modules["rfc3987_syntax"]


def parameter_schema(notebook: Path) -> list[dict[str, Any]]:
    """[{Name, Type, Default, Help}] of the cell tagged ``parameters`` (empty without one)."""
    import_papermill()
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    nb = load_notebook_node(str(notebook))
    # papermill's own reading, told the language when the notebook does not say (gluelab runs Python).
    found_language = nb.metadata.get("kernelspec", {}).get("language") or nb.metadata.get(
        "language_info", {}
    ).get("name")  # a lab that saved before its kernel answered writes language_info {"name": ""}
    declared = {
        p.name: p._asdict() for p in _infer_parameters(nb, language=None if found_language else "python")
    }
    schema = []
    for name, found in declared.items():
        annotation = (found.get("inferred_type_name") or "None").strip().lower()
        kind = annotation if annotation in TYPES else _type_of_default(str(found.get("default", "")))
        schema.append(
            {"Name": name, "Type": kind, "Default": found.get("default"), "Help": found.get("help")}
        )
    return schema


def convert(name: str, kind: str, value: str) -> Any:
    """One run argument as the declared type; ParameterError saying what was expected."""

    def wrong(expected: str) -> ParameterError:
        return ParameterError(f"Notebook parameter {name} is declared {kind}: {value!r} is not {expected}")

    text = value.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "date":
            return IsoDate(dt.date.fromisoformat(text).isoformat())
        if kind == "datetime":
            return IsoDateTime(dt.datetime.fromisoformat(text).isoformat())
    except ValueError:
        raise wrong({"int": "a whole number", "float": "a number"}.get(kind, f"an ISO {kind}")) from None
    if kind == "bool":
        if text.lower() in TRUE | FALSE:
            return text.lower() in TRUE
        raise wrong("true or false")
    if kind in ("list", "dict"):
        try:
            parsed = json.loads(text)
        except ValueError:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                raise wrong(f"a {kind} (JSON or a Python literal)") from None
        if not isinstance(parsed, list if kind == "list" else dict):
            raise wrong(f"a {kind}")
        return parsed
    return value


def typed_parameters(schema: list[dict[str, Any]], arguments: dict[str, str]) -> dict[str, Any]:
    """The run's ``--name value`` arguments for declared parameters, converted; others are left out."""
    return {
        p["Name"]: convert(p["Name"], p["Type"], arguments[f"--{p['Name']}"])
        for p in schema
        if f"--{p['Name']}" in arguments
    }
