"""XML schema inference, naming columns as Spark's XML reader does.

Rows are the elements with the row tag: a custom XMLClassifier's ``RowTag`` (anywhere, not nested in
another row), or for the built-in classifier the most frequent child tag of the root (the first seen
wins a tie; a root without children is the only row). Within a row, attributes become ``_name``
columns, child elements columns of their tag, text beside attributes or children ``_VALUE``. An element
with only text is a scalar (bigint, double, boolean or string), one with attributes or children a
``struct<...>``; a tag repeated within its parent, or across rows, is an ``array<...>``. Namespaces are
dropped from names. The sample is parsed incrementally; in a cut sample only complete rows count.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from .json_infer import MAX_RECORDS, Type, merge, merge_fields, render, text_type, unique_names

_CHUNK = 16 * 1024


@dataclass
class XmlTable:
    row_tag: str
    columns: list[tuple[str, str]]
    records: int
    sample_bytes: int  # bytes read to find the rows (to the chunk where the 1,000th row ended)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def infer_xml(data: bytes, cut: bool, row_tag: str | None = None) -> XmlTable | None:
    """The rows' schema, or ``None`` when the data is not well-formed XML (a cut sample may end
    anywhere) or, with a row tag, holds no complete row with that tag."""
    if not looks_like_xml(data):
        return None
    wanted = row_tag.rsplit(":", 1)[-1] if row_tag else None
    parser = ET.XMLPullParser(events=("start", "end"))
    tags: dict[str, list] = {}  # row tag -> [rows, merged type]
    depth = 0
    row_depth = 0
    root: ET.Element | None = None
    root_children = 0
    rows = 0
    fed = 0
    try:
        for offset in range(0, len(data), _CHUNK):
            parser.feed(data[offset : offset + _CHUNK])
            fed = min(len(data), offset + _CHUNK)
            for event, element in parser.read_events():
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root = element
                    elif depth == 2:
                        root_children += 1
                    if wanted is not None and not row_depth and _local(element.tag) == wanted:
                        row_depth = depth
                    continue
                is_row = (
                    depth == row_depth
                    if wanted is not None
                    else depth == 2 or (depth == 1 and not root_children)
                )
                if is_row:
                    entry = tags.setdefault(_local(element.tag), [0, None])
                    entry[0] += 1
                    entry[1] = merge_xml(entry[1], _element_type(element, row=True))
                    rows += 1
                    row_depth = 0
                    element.clear()
                    if root is not None and depth == 2:
                        root.clear()
                depth -= 1
                if rows >= MAX_RECORDS:
                    break
            if rows >= MAX_RECORDS:
                break
        else:
            if not cut:
                parser.close()
    except ET.ParseError:
        if not (cut and rows):
            return None
    if not tags:
        return None
    tag = max(tags, key=lambda t: tags[t][0])  # dicts keep first-seen order: ties go to the first
    count, kind = tags[tag]
    fields = kind[1] if isinstance(kind, tuple) and kind[0] == "struct" else {"_VALUE": kind}
    names = unique_names(list(fields))
    columns = [(n, render(t)) for n, t in zip(names, fields.values(), strict=True)]
    return XmlTable(tag, columns, count, fed)


def _element_type(element: ET.Element, row: bool = False) -> Type:
    fields: dict[str, Type] = {"_" + _local(k): text_type(v.strip()) for k, v in element.attrib.items()}
    children: set[str] = set()
    repeated: set[str] = set()
    text = (element.text or "").strip()
    for child in element:
        name = _local(child.tag)
        kind = _element_type(child)
        if name in children:
            repeated.add(name)
            fields[name] = merge_xml(fields[name], kind)
        else:
            children.add(name)
            fields[name] = merge_xml(fields.get(name), kind)
        if child.tail and child.tail.strip():
            text += child.tail.strip()
    for name in repeated:
        current = fields[name]
        if not (isinstance(current, tuple) and current[0] == "array"):
            fields[name] = ("array", current)
    if not fields and not row:
        return text_type(text)
    if text:
        fields["_VALUE"] = merge_xml(fields.get("_VALUE"), text_type(text))
    return ("struct", fields)


def merge_xml(a: Type, b: Type) -> Type:
    """:func:`merge`, plus Spark's XML rules: one element and a repeated one make an array; an element
    with text only and one with attributes make a struct whose ``_VALUE`` holds the text."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    a_kind = a[0] if isinstance(a, tuple) else "scalar"
    b_kind = b[0] if isinstance(b, tuple) else "scalar"
    if a_kind == "array" or b_kind == "array":
        if a_kind == b_kind:
            return ("array", merge_xml(a[1], b[1]))
        return ("array", merge_xml(a[1], b)) if a_kind == "array" else ("array", merge_xml(a, b[1]))
    if a_kind == "struct" and b_kind == "struct":
        return ("struct", merge_fields(a[1], b[1], merge_xml))
    if a_kind == "struct" and b_kind == "scalar":
        return ("struct", merge_fields(a[1], {"_VALUE": b}, merge_xml))
    if a_kind == "scalar" and b_kind == "struct":
        return ("struct", merge_fields({"_VALUE": a}, b[1], merge_xml))
    return merge(a, b)
