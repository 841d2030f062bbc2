"""Listing the files under s3:// (warehouse) and local paths as Glue's S3 source does: ``recurse``,
``exclusions`` (glob patterns), hidden files skipped; each file with its modification time, which job
bookmarks compare."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import patterns
from ..errors import InvalidInputException
from .paths import check_inside, is_s3, literal, reported, spark_uri, to_local


@dataclass(frozen=True)
class SourceFile:
    uri: str  # as the user named it: s3://bucket/key or a local path
    local: Path
    mtime_ms: int
    size: int
    spark_uri: str  # as Spark names it: s3://bucket/key in the warehouse, file:///path elsewhere

    @property
    def spark_path(self) -> str:
        """What to give Spark's readers for this one file."""
        return literal(self.spark_uri)

    @property
    def reported(self) -> str:
        """This file as Spark's ``_metadata.file_path`` names it, URL-decoded (see ``paths.reported``)."""
        return reported(self.spark_uri)


def _glob_regex(pattern: str) -> patterns.Matcher:
    """A Unix glob as Glue's exclusions take it: ``**`` crosses folders, ``*`` and ``?`` stay within one,
    ``[abc]`` is a character class and ``{csv,json}`` a choice. Its ``match`` is a full match, sized and
    time-bounded as ``gluelab.patterns`` bounds every user pattern."""
    return patterns.glob_matcher([pattern], _glob_text, "exclusions pattern")


def _glob_text(pattern: str) -> str:
    out = ""
    i = 0
    depth = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 1
        elif char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end].replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^")
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            i = end
        elif char == "{":
            out += "(?:"
            depth += 1
        elif char == "}" and depth:
            out += ")"
            depth -= 1
        elif char == "," and depth:
            out += "|"
        else:
            out += re.escape(char)
        i += 1
    return out


def parse_exclusions(value: Any) -> list[str]:
    """Glue takes exclusions as a string holding a JSON list (``"[\\"**.pdf\\"]"``); a list works too."""
    if value in (None, "", []):
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise InvalidInputException(
            f'exclusions must be a JSON list of glob patterns, e.g. "[\\"**.tmp\\"]", not {value!r}'
        ) from None
    if not isinstance(parsed, list):
        raise InvalidInputException("exclusions must be a JSON list of glob patterns")
    return [str(v) for v in parsed]


def _hidden(name: str) -> bool:
    return name.startswith((".", "_")) or name.endswith(".crc")


def walk_files(folder: Path, recurse: bool = True) -> Iterator[Path]:
    """The files under ``folder``, lazily, each folder's files then its sub-folders in name order,
    without hidden files and folders (``_SUCCESS``, ``.crc``, ``_temporary`` ...)."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _hidden(d)) if recurse else []
        for name in sorted(names):
            if not _hidden(name):
                yield Path(root) / name


def list_files(
    paths: list[str], warehouse: Path, recurse: bool = False, exclusions: list[str] | None = None
) -> list[SourceFile]:
    """Every readable file under ``paths`` (a file path names itself), sorted, excluding hidden files
    (``_SUCCESS``, ``.crc`` ...) and files matching an exclusion glob (matched against the full URI and
    against the part below the listed path). A warehouse file linking out of the warehouse is refused."""
    patterns = [_glob_regex(p) for p in exclusions or []]
    found: dict[Path, SourceFile] = {}
    for path in paths:
        if not isinstance(path, str) or not path:
            raise InvalidInputException(f"paths must be a list of locations, not {path!r}")
        local = to_local(path, warehouse)
        base = path if path.endswith("/") else path + "/"
        if local.is_file():
            candidates = [(local, path)]
        elif local.is_dir():
            candidates = [(f, base + f.relative_to(local).as_posix()) for f in walk_files(local, recurse)]
        else:
            continue  # a missing prefix is simply empty, as on S3
        for full, uri in candidates:
            relative = uri[len(base) :] if uri.startswith(base) else full.name
            if any(p.match(uri) or p.match(relative) for p in patterns):
                continue
            if is_s3(path):
                check_inside(full, warehouse, uri)
            stat = full.stat()
            found[full] = SourceFile(
                uri=uri,
                local=full,
                mtime_ms=int(stat.st_mtime * 1000),
                size=stat.st_size,
                spark_uri=spark_uri(full, warehouse),
            )
    return sorted(found.values(), key=lambda f: f.uri)
