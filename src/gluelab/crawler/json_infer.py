"""JSON schema inference, and the inferred-type values that CSV, XML and schema merging share.

While a sample is scanned, a type is a plain value: ``None`` (only nulls or empty values seen), a scalar
Hive type name (``"bigint"``, ``"decimal(10,2)"``, ...), ``("array", T)``, ``("map", K, V)``,
``("struct", {name: T})`` or ``("uniontype", (T, ...))``. :func:`render` turns it into a Hive type
string (``struct<city:string,zip:bigint>``, no spaces); :func:`parse_type` reads one back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Type = Any  # None | str | tuple, as described above

MAX_RECORDS = 1000
MB = 1024 * 1024
MAX_JSON_SAMPLE = 10 * MB

# -- the type values --------------------------------------------------------------------------------

_INTEGRAL_RANK = {"tinyint": 1, "smallint": 2, "int": 3, "bigint": 4}
_INTEGRAL_DIGITS = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19}
_FLOATING = {"float", "double"}
_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)\Z")
_INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INT64 = 2**63


def text_type(value: str) -> str | None:
    """The type of one textual value (a CSV cell, an XML text or attribute): ``None`` when empty."""
    if not value:
        return None
    if _INT_TEXT.match(value):
        return "bigint" if len(value) < 19 or -_INT64 <= int(value) < _INT64 else "string"
    if _FLOAT_TEXT.match(value):
        return "double"
    if len(value) in (4, 5) and value.lower() in ("true", "false"):
        return "boolean"
    return "string"


def merge(a: Type, b: Type) -> Type:
    """The narrowest type both values fit: numbers widen, structs merge fields, else ``string``."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if isinstance(a, str):
        return _merge_scalars(a, b) if isinstance(b, str) else "string"
    if isinstance(b, str) or a[0] != b[0]:
        return "string"
    if a[0] == "struct":
        return ("struct", merge_fields(a[1], b[1], merge))
    if a[0] == "array":
        return ("array", merge(a[1], b[1]))
    if a[0] == "map":
        return ("map", merge(a[1], b[1]), merge(a[2], b[2]))
    return "string"


def merge_fields(
    a: dict[str, Type], b: dict[str, Type], how: Callable[[Type, Type], Type]
) -> dict[str, Type]:
    """Struct fields of ``a`` then the new ones of ``b``, in first-seen order, types merged by ``how``."""
    fields = dict(a)
    for name, kind in b.items():
        fields[name] = how(fields[name], kind) if name in fields else kind
    return fields


def _merge_scalars(a: str, b: str) -> str:
    if a in _INTEGRAL_RANK and b in _INTEGRAL_RANK:
        return a if _INTEGRAL_RANK[a] >= _INTEGRAL_RANK[b] else b
    numeric = _INTEGRAL_RANK.keys() | _FLOATING
    if a in numeric and b in numeric:
        return "double"  # one of them is floating and they differ
    da, db = _DECIMAL.match(a), _DECIMAL.match(b)
    if da or db:
        if (da and b in _FLOATING) or (db and a in _FLOATING):
            return "double"
        pa, sa = (int(da[1]), int(da[2])) if da else (_INTEGRAL_DIGITS.get(a, -1), 0)
        pb, sb = (int(db[1]), int(db[2])) if db else (_INTEGRAL_DIGITS.get(b, -1), 0)
        if pa < 0 or pb < 0:
            return "string"
        scale = max(sa, sb)
        return f"decimal({min(38, max(pa - sa, pb - sb) + scale)},{scale})"
    if {a, b} == {"date", "timestamp"}:
        return "timestamp"
    return "string"


def render(kind: Type) -> str:
    """The Hive type string of a type value; unknown (null-only) and empty structs become ``string``."""
    if kind is None:
        return "string"
    if isinstance(kind, str):
        return kind
    tag = kind[0]
    if tag == "array":
        return f"array<{render(kind[1])}>"
    if tag == "map":
        return f"map<{render(kind[1])},{render(kind[2])}>"
    if tag == "struct":
        if not kind[1]:
            return "string"
        return "struct<" + ",".join(f"{name}:{render(t)}" for name, t in kind[1].items()) + ">"
    return "uniontype<" + ",".join(render(t) for t in kind[1]) + ">"


def parse_type(text: str) -> Type:
    """A Hive type string as a type value; text that does not parse stays an opaque scalar."""
    compact = text.strip()
    try:
        kind, end = _parse(compact, 0)
    except (IndexError, ValueError):
        return compact.lower()
    return kind if end == len(compact) else compact.lower()


_WORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*")


def _parse(text: str, pos: int) -> tuple[Type, int]:
    match = _WORD.match(text, pos)
    if not match:
        raise ValueError(f"type expected at {pos}")
    word, pos = match[1].lower(), match.end()
    if pos < len(text) and text[pos] == "(":
        close = text.index(")", pos)
        return word + "(" + text[pos + 1 : close].replace(" ", "") + ")", close + 1
    if pos >= len(text) or text[pos] != "<":
        return word, pos
    pos += 1
    if word == "struct":
        fields: dict[str, Type] = {}
        while text[pos] != ">":
            colon = text.index(":", pos)
            name = text[pos:colon].strip()
            fields[name], pos = _parse(text, colon + 1)
            pos = _expect_separator(text, pos)
        return ("struct", fields), pos + 1
    parts: list[Type] = []
    while text[pos] != ">":
        part, pos = _parse(text, pos)
        parts.append(part)
        pos = _expect_separator(text, pos)
    if word == "array" and len(parts) == 1:
        return ("array", parts[0]), pos + 1
    if word == "map" and len(parts) == 2:
        return ("map", parts[0], parts[1]), pos + 1
    if word == "uniontype" and parts:
        return ("uniontype", tuple(parts)), pos + 1
    raise ValueError(f"bad {word} type")


def _expect_separator(text: str, pos: int) -> int:
    while text[pos] == " ":
        pos += 1
    if text[pos] == ",":
        return pos + 1
    if text[pos] == ">":
        return pos
    raise ValueError(f"',' or '>' expected at {pos}")


def unique_names(names: list[str]) -> list[str]:
    """Column names lower-cased as Glue stores them; repeats get ``_1``, ``_2``, ... suffixes."""
    seen: set[str] = set()
    result = []
    for raw in names:
        name = base = raw.lower()
        n = 0
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        result.append(name)
    return result


# -- JSON values and documents ----------------------------------------------------------------------


def value_type(value: Any) -> Type:
    """The type of one decoded JSON value."""
    if value is None:
        return None
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int):
        return "bigint" if -_INT64 <= value < _INT64 else "double"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        element = None
        for item in value:
            element = merge(element, value_type(item))
        return ("array", element)
    if isinstance(value, dict):
        return ("struct", {key: value_type(item) for key, item in value.items()})
    return "string"


_PATH_STEP = re.compile(r"\.(\*|[^.\[\]]+)|\[\s*(?:(\*)|(-?[0-9]+)|'([^']*)'|\"([^\"]*)\")\s*\]")


def compile_json_path(path: str) -> list[tuple[str, Any]] | None:
    """The steps of a JsonPath of the supported subset (``$``, ``.name``, ``['name']``, ``[*]``,
    ``.*``, ``[n]``), or ``None`` when the path is outside it."""
    path = path.strip()
    if not path.startswith("$"):
        return None
    steps: list[tuple[str, Any]] = []
    pos = 1
    while pos < len(path):
        match = _PATH_STEP.match(path, pos)
        if not match:
            return None
        name, star, index, quoted1, quoted2 = match.groups()
        if star or name == "*":
            steps.append(("all", None))
        elif index is not None:
            steps.append(("index", int(index)))
        else:
            steps.append(("key", name if name is not None else quoted1 if quoted1 is not None else quoted2))
        pos = match.end()
    return steps


def select(document: Any, steps: list[tuple[str, Any]]) -> list[Any]:
    """The values a compiled JsonPath selects in one document."""
    nodes = [document]
    for step, arg in steps:
        found: list[Any] = []
        for node in nodes:
            if step == "key":
                if isinstance(node, dict) and arg in node:
                    found.append(node[arg])
            elif step == "all":
                if isinstance(node, list):
                    found.extend(node)
                elif isinstance(node, dict):
                    found.extend(node.values())
            elif isinstance(node, list) and -len(node) <= arg < len(node):
                found.append(node[arg])
        nodes = found
    return nodes


def _records_of(document: Any) -> list[Any]:
    """Records of the built-in classifier: an object is one, a top-level array holds them."""
    if isinstance(document, dict):
        return [document]
    if isinstance(document, list):
        return [item for item in document if isinstance(item, dict)]
    return []


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _scan(text: str, cut: bool, extract: Callable[[Any], list[Any]]) -> tuple[list[dict], int] | None:
    """Records of the documents in ``text`` (JSON lines, concatenated or pretty-printed documents,
    top-level arrays read element by element) and the characters they span, up to ``MAX_RECORDS``.
    A parse error ends the scan quietly when the sample was cut (a truncated tail), else it is ``None``."""
    records: list[dict] = []
    pos = _SPACE.match(text, 0).end()
    end = pos
    while pos < len(text) and len(records) < MAX_RECORDS:
        try:
            if text[pos] == "[":
                document, pos, closed = _array(text, pos, cut)
            else:
                document, pos = _DECODER.raw_decode(text, pos)
                closed = True
        except json.JSONDecodeError:
            if cut:
                break
            return None
        records.extend(r for r in extract(document) if isinstance(r, dict))
        if not closed:
            end = pos
            break
        pos = end = _SPACE.match(text, pos).end()
    return records[:MAX_RECORDS], end


def _array(text: str, pos: int, cut: bool) -> tuple[list[Any], int, bool]:
    """A top-level array decoded element by element: stops after ``MAX_RECORDS`` elements or, in a cut
    sample, at a truncated element (then ``closed`` is false and the elements so far are kept)."""
    items: list[Any] = []
    pos = _SPACE.match(text, pos + 1).end()
    if text.startswith("]", pos):
        return items, pos + 1, True
    while True:
        try:
            item, after = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            if items and cut:
                return items, pos, False
            raise
        items.append(item)
        pos = _SPACE.match(text, after).end()
        if len(items) >= MAX_RECORDS or (pos >= len(text) and cut):
            return items, after, False
        if pos >= len(text):
            raise json.JSONDecodeError("Unterminated array", text, pos)
        if text[pos] == "]":
            return items, pos + 1, True
        if text[pos] != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _SPACE.match(text, pos + 1).end()


def infer_json(
    read_text: Callable[[int], tuple[str | None, bool]], json_path: str | None = None
) -> tuple[list[tuple[str, str]], int, int] | None:
    """Columns, record count and sample bytes of a JSON file, or ``None`` when it is not JSON (or the
    path selects no object). ``read_text(limit)`` gives the decoded sample and whether it was cut; the
    sample grows by 1 MB steps up to 10 MB while no complete record has been read.

    Top-level names are lower-cased; keys differing only in case are one column (the JSON SerDe
    matches keys case-insensitively). Nested struct field names keep their case."""
    if json_path is None:
        extract = _records_of
    else:
        steps = compile_json_path(json_path)
        if steps is None:
            return None
        extract = lambda document: select(document, steps)  # noqa: E731
    limit = MB
    while True:
        text, cut = read_text(limit)
        if text is None:
            return None
        start = text.lstrip(" \t\r\n")[:1]
        if json_path is None and start not in ("{", "["):
            return None
        scanned = _scan(text, cut, extract)
        if scanned is None:
            return None
        records, end = scanned
        if records or not cut or limit >= MAX_JSON_SAMPLE:
            break
        limit += MB
    if not records:
        return None
    columns: dict[str, Type] = {}
    for record in records:
        for key, value in record.items():
            name = key.lower()
            kind = value_type(value)
            columns[name] = merge(columns[name], kind) if name in columns else kind
    sample_bytes = len(text[:end].encode("utf-8"))
    return [(name, render(kind)) for name, kind in columns.items()], len(records), sample_bytes
