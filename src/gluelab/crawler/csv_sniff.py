"""CSV detection and schema inference, as Glue's built-in CSV classifier and custom CSV classifiers do it.

A delimiter fits when every sampled row (up to 1,000 records; blank lines ignored) splits into the same
number of columns, at least two (one with ``AllowSingleColumn``); a cut sample's last, possibly
truncated row is dropped. The built-in classifier tries ``,`` ``|`` tab ``;`` and Ctrl-A in that order
and needs at least two rows.

The first row is a header (built-in, or ``ContainsHeader`` UNKNOWN) only when Glue's heuristics agree:

* every cell is a string (not a number or boolean) and a valid column name (1-255 characters, no
  control characters but tab); every cell but the last is shorter than 150 characters; the last cell
  may be empty (a trailing delimiter);
* and the header looks different from the data: some cell of some later row is a bigint, double or
  boolean. So when every value of the file is a string, there is *no* header (Glue's behaviour): the
  first row is data and the columns are ``col0``, ``col1``, ...

Header names are trimmed and lower-cased; an empty one becomes ``col<i>``; repeats get ``_1``, ``_2``.
Values are trimmed before typing unless ``DisableValueTrimming``; empty values do not count.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from .json_infer import MAX_RECORDS, Type, merge, render, text_type, unique_names

DELIMITERS = (",", "|", "\t", ";", "\x01")
_VALID_NAME = re.compile(r"[^\x00-\x08\x0a-\x1f]{1,255}\Z")


@dataclass
class CsvSettings:
    """How to read the text: the built-in classifier's defaults, or a custom CsvClassifier's."""

    delimiters: tuple[str, ...] = DELIMITERS
    quote: str = '"'
    contains_header: str = "UNKNOWN"  # UNKNOWN | PRESENT | ABSENT
    header: list[str] | None = None
    trim: bool = True
    allow_single_column: bool = False
    min_rows: int = 2

    @classmethod
    def of_classifier(cls, definition: dict[str, Any]) -> CsvSettings:
        header = definition.get("Header")
        return cls(
            delimiters=(str(definition.get("Delimiter") or ",")[:1],),
            quote=str(definition.get("QuoteSymbol") or '"')[:1],
            contains_header=str(definition.get("ContainsHeader") or "UNKNOWN").upper(),
            header=[str(h) for h in header] if header else None,
            trim=not definition.get("DisableValueTrimming", False),
            allow_single_column=bool(definition.get("AllowSingleColumn", False)),
            min_rows=1,
        )


@dataclass
class CsvTable:
    delimiter: str
    columns: list[tuple[str, str]]
    has_header: bool
    quoted: bool
    records: int
    sample_chars: int  # characters of the sample the rows came from


def sniff_csv(text: str, cut: bool, settings: CsvSettings) -> CsvTable | str:
    """The table the text holds, or why it is not CSV under these settings."""
    reason = "no delimiter splits the rows into a consistent number of columns"
    for delimiter in settings.delimiters:
        if delimiter in ("", "\r", "\n", settings.quote):
            continue  # a custom classifier's setting no row could be split with
        if delimiter not in text[:65536] and not settings.allow_single_column:
            continue
        found = _read_rows(text, cut, delimiter, settings)
        if found is None:
            continue
        rows, ends = found
        if len(rows) < settings.min_rows:
            reason = "a single row (a header without data?): too few rows to infer a schema"
            continue
        return _table(rows, ends, text, delimiter, settings)
    return reason


def _read_rows(
    text: str, cut: bool, delimiter: str, settings: CsvSettings
) -> tuple[list[list[str]], list[int]] | None:
    """Rows that all have the same width (at least two, or one when allowed), and where each ends in
    the text; ``None`` when the widths differ."""
    consumed = 0

    def lines():
        nonlocal consumed
        for line in io.StringIO(text, newline=""):
            consumed += len(line)
            yield line

    try:
        reader = csv.reader(
            lines(),
            delimiter=delimiter,
            quotechar=settings.quote,
            quoting=csv.QUOTE_MINIMAL,
            doublequote=True,
            strict=False,
        )
    except (TypeError, ValueError):  # a custom classifier's delimiter or quote that csv cannot use
        return None
    rows: list[list[str]] = []
    width = 0
    ends: list[int] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if not rows:
                width = len(row)
                if width < 2 and not settings.allow_single_column:
                    return None
            elif len(row) != width:
                if cut and consumed >= len(text):
                    break  # the truncated last row of a cut sample
                return None
            rows.append(row)
            ends.append(consumed)
            if len(rows) > MAX_RECORDS:
                break
    except csv.Error:
        if not cut:
            return None
    if cut and rows and ends[-1] >= len(text):
        rows.pop()  # may be truncated
        ends.pop()
    return rows, ends


def _looks_like_header(row: list[str], trim: bool) -> bool:
    last = len(row) - 1
    for i, raw in enumerate(row):
        cell = raw.strip() if trim else raw
        if not cell and i == last:
            continue
        if text_type(cell) != "string" or not _VALID_NAME.match(cell) or (i < last and len(cell) >= 150):
            return False
    return True


def _types(rows: list[list[str]], width: int, trim: bool) -> tuple[list[Type], bool]:
    """Each column's merged type over the rows, and whether any value is other than a string."""
    types: list[Type] = [None] * width
    typed = False
    for row in rows:
        for i, raw in enumerate(row):
            if types[i] == "string" and typed:
                continue
            kind = text_type(raw.strip() if trim else raw)
            if kind is None:
                continue
            if kind != "string":
                typed = True
            types[i] = merge(types[i], kind)
    return types, typed


def _table(
    rows: list[list[str]], ends: list[int], text: str, delimiter: str, settings: CsvSettings
) -> CsvTable | str:
    width = len(rows[0])
    mode = settings.contains_header
    data = rows[1 : MAX_RECORDS + 1]
    data_types, data_typed = _types(data, width, settings.trim)
    if mode in ("PRESENT", "ABSENT"):
        has_header = mode == "PRESENT"
    else:
        has_header = data_typed and _looks_like_header(rows[0], settings.trim)
    if has_header:
        records, types, ends = data, data_types, ends[: len(data) + 1]
    else:
        records, ends = rows[:MAX_RECORDS], ends[:MAX_RECORDS]
        first_types, _ = _types(records[:1], width, settings.trim)
        types = [merge(a, b) for a, b in zip(first_types, data_types, strict=True)]
        if len(data) >= MAX_RECORDS:  # the last data row is beyond the first 1,000 records
            types, _ = _types(records, width, settings.trim)
    if settings.header:
        if len(settings.header) != width:
            return f"the classifier's {len(settings.header)} header names do not match {width} columns"
        names = [h.strip() for h in settings.header]
    elif has_header:
        names = [(c.strip() if settings.trim else c) or f"col{i}" for i, c in enumerate(rows[0])]
    else:
        names = [f"col{i}" for i in range(width)]
    end = ends[-1]
    return CsvTable(
        delimiter=delimiter,
        columns=list(zip(unique_names(names), (render(t) for t in types), strict=True)),
        has_header=has_header,
        quoted=settings.quote in text[:end],
        records=len(records),
        sample_chars=end,
    )
