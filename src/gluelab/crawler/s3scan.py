"""Walking an S3 target: the leaf folders under its include path, their files (minus exclusions, hidden
files and what ``SampleSize`` leaves out), each folder's merged schema, and the files skipped and why."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import patterns
from .classifiers import FileSchema, Skipped, classify_file, merge_columns

Log = Callable[[str], None]


@dataclass
class Leaf:
    """A folder that holds data files: its path parts below the include path, and what its files hold."""

    parts: tuple[str, ...]
    path: Path
    files: list[Path]
    schema: FileSchema | None = None
    size: int = 0
    objects: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def exclusion_matcher(globs: list[str]) -> Callable[[str], bool]:
    """Glue's exclusion globs, matched against a path relative to the include path: ``*`` stays within a
    folder, ``**`` crosses folders, ``?`` is one character, ``{a,b}`` alternatives, ``[...]`` a class.
    Sized and time-bounded as ``gluelab.patterns`` bounds every user pattern."""
    return patterns.glob_matcher(list(globs), _glob_regex, "Exclusions")


def check_exclusions(globs: object) -> None:
    """What CreateCrawler and UpdateCrawler check of a target's exclusions: InvalidInputException."""
    patterns.check_globs(globs, _glob_regex, "Exclusions")


def _glob_regex(pattern: str) -> str:
    out, i, depth = [], 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "{":
            out.append("(?:")
            depth += 1
        elif ch == "}" and depth:
            out.append(")")
            depth -= 1
        elif ch == "," and depth:
            out.append("|")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out) + ")" * depth


def _hidden(name: str) -> bool:
    """Hadoop's convention: _SUCCESS, _metadata, .crc files and the like are not data."""
    return name.startswith(("_", ".")) or name.endswith(".crc")


def list_leaves(
    root: Path, exclusions: list[str], sample_size: int | None, log: Log, confine_to: Path | None = None
) -> list[Leaf]:
    """Every folder under ``root`` (itself included) that directly holds data files, in path order. With
    ``confine_to`` (the warehouse, for an s3:// target), a file whose symbolic link resolves outside it is
    skipped with a warning, as the lake's rule refuses such a location (links to folders are not followed)."""
    excluded = exclusion_matcher(exclusions)
    outside = _outside_of(confine_to)
    leaves: list[Leaf] = []
    for folder, dirs, names in os.walk(root, onerror=lambda e: log(f"WARN cannot list {e.filename}: {e}")):
        here = Path(folder)
        relative = here.relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = sorted(
            d for d in dirs if not _hidden(d) and not excluded(prefix + d) and not excluded(prefix + d + "/")
        )
        files = []
        for name in sorted(names):
            if _hidden(name):
                continue
            if excluded(prefix + name):
                log(f"INFO excluded {prefix + name}")
                continue
            path = here / name
            if outside(path):
                log(f"WARN skipped {prefix + name}: a symbolic link to a file outside the warehouse")
            elif path.is_file():
                files.append(path)
            elif not path.is_dir():
                log(f"WARN skipped {prefix + name}: not a regular file (a broken link, a pipe or a socket)")
        if files:
            parts = () if relative == "." else tuple(relative.split("/"))
            leaf = Leaf(parts=parts, path=here, files=files)
            leaf.size = sum(_size(f) for f in files)
            leaf.objects = len(files)
            leaves.append(leaf)
    if sample_size:
        for leaf in leaves:
            leaf.files = leaf.files[:sample_size] if len(leaf.files) > sample_size else leaf.files
    return leaves


def _outside_of(root: Path | None) -> Callable[[Path], bool]:
    """Whether a file resolves (through symbolic links) outside ``root``; never, without a root."""
    if root is None:
        return lambda path: False
    resolved = root.resolve()

    def outside(path: Path) -> bool:
        target = path.resolve()
        return target != resolved and resolved not in target.parents

    return outside


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def classify_leaf(
    leaf: Leaf, custom: list[dict[str, Any]], describe: Callable[[Path], str], log: Log
) -> None:
    """Classify the leaf's files and merge the schemas of its main format; other files are skipped."""
    results: list[tuple[Path, FileSchema]] = []
    for path in leaf.files:
        result = classify_file(path, custom)
        if isinstance(result, Skipped):
            leaf.skipped.append((path, result.reason))
            log(f"WARN skipped {describe(path)}: {result.reason}")
        else:
            results.append((path, result))
    if not results:
        return
    kinds = Counter((r.classification, r.compression) for _, r in results)
    main = kinds.most_common(1)[0][0]
    merged: FileSchema | None = None
    for path, result in results:
        if (result.classification, result.compression) != main:
            leaf.skipped.append((path, f"a {result.classification} file among {main[0]} files"))
            log(f"WARN skipped {describe(path)}: {result.classification}, the folder holds {main[0]}")
            continue
        if merged is None:
            merged = FileSchema(
                classification=result.classification,
                columns=list(result.columns),
                compression=result.compression,
                parameters=dict(result.parameters),
                serde_parameters=dict(result.serde_parameters),
                records=result.records,
                sample_bytes=result.sample_bytes,
                classifier=result.classifier,
            )
        else:
            merged.columns = merge_columns(merged.columns, result.columns)
            merged.records += result.records
            merged.sample_bytes += result.sample_bytes
    leaf.schema = merged
