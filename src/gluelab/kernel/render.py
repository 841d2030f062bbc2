"""Tables for cell output: one mime bundle with an HTML table for the notebook and aligned text for
consoles and logs."""

from __future__ import annotations

import html
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    return str(value)


def table(headers: list[str], rows: list[list[Any]], caption: str | None = None) -> dict[str, str]:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    text = [rule, line(headers), rule, *(line(r) for r in cells), rule]
    if caption:
        text.append(caption)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in cells)
    markup = f'<table class="gluelab-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if caption:
        markup += f"<p><em>{html.escape(caption)}</em></p>"
    return {"text/plain": "\n".join(text), "text/html": markup}


def key_values(pairs: dict[str, Any]) -> dict[str, str]:
    return table(["Field", "Value"], [[k, v] for k, v in pairs.items()])


def dataframe(frame: Any, limit: int) -> dict[str, str]:
    """The first ``limit`` rows of a Spark DataFrame (one job, ``limit + 1`` rows fetched)."""
    headers = list(frame.columns)
    rows = frame.limit(limit + 1).collect()
    shown = [list(r) for r in rows[:limit]]
    if len(rows) > limit:
        caption = f"only the first {limit} rows shown"
    else:
        caption = f"{len(shown)} row{'s' if len(shown) != 1 else ''}"
    return table(headers, shown, caption)
