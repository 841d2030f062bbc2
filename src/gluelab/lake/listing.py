"""Listing a bucket as S3 does: keys in UTF-8 binary order, a ``prefix``, a ``delimiter`` that rolls keys
up into common prefixes, and resumption after a key (StartAfter, Marker, continuation tokens).

The folder tree is walked in key order: a folder sorts as its name plus ``/`` among its siblings, so a
depth-first walk yields keys exactly in S3's order, and resuming skips whole folders by bisection. An
empty folder is the zero-byte object of its key (``name/``), as clients make folders. Large folders'
sorted entries are cached while their modification time says they did not change."""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .objects import ObjectInfo, read_info

_LAST = chr(0x10FFFF)  # sorts after every key character: "P" + _LAST is past every key starting with P
_CACHE_MIN_ENTRIES = 256
_CACHE_SIZE = 32
# A folder's mtime has the file system's clock granularity: a listing is cached only when the folder had
# not changed for this long before it was read, so a later change always shows as a newer mtime.
_SETTLED_NS = 1_000_000_000


@dataclass
class Listing:
    objects: list[ObjectInfo] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: str | None = None  # the last key or common prefix returned
    resume_after: str | None = None  # where the next page starts (after this)


class _Entries:
    """The sorted entries of folders: (sort key, is folder), sort key = name, or name + "/" for a folder."""

    def __init__(self, root: Path):
        self.root = root
        self._cache: OrderedDict[str, tuple[int, int, list[str], list[bool]]] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, folder: str) -> tuple[list[str], list[bool]]:
        try:
            stat = os.stat(folder)
        except OSError:
            return [], []
        key = folder
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_ino:
                self._cache.move_to_end(key)
                return cached[2], cached[3]
        scanned_at = time.time_ns()
        items: list[tuple[str, bool]] = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if not _valid_name(name):
                        continue
                    try:
                        is_dir = entry.is_dir()
                        if entry.is_symlink() and not _inside(Path(entry.path).resolve(), self.root):
                            continue  # never list (or follow) a link out of the warehouse
                    except OSError:
                        continue
                    items.append((name + "/" if is_dir else name, is_dir))
        except OSError:
            return [], []
        items.sort()
        sort_keys = [k for k, _ in items]
        folders = [d for _, d in items]
        if len(items) >= _CACHE_MIN_ENTRIES and scanned_at - stat.st_mtime_ns > _SETTLED_NS:
            with self._lock:
                self._cache[key] = (stat.st_mtime_ns, stat.st_ino, sort_keys, folders)
                self._cache.move_to_end(key)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return sort_keys, folders


def _valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")  # names that are not UTF-8 come back with surrogates: not keys
    except UnicodeEncodeError:
        return False
    return True


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class BucketLister:
    def __init__(self, warehouse: Path):
        self.warehouse = warehouse.resolve()
        self.entries = _Entries(self.warehouse)

    def list(
        self, bucket_dir: Path, prefix: str = "", delimiter: str = "", after: str = "", max_keys: int = 1000
    ) -> Listing:
        """One page: up to ``max_keys`` keys and common prefixes after ``after``."""
        listing = Listing()
        if max_keys <= 0:
            return listing
        items = self._items(bucket_dir, prefix, delimiter, after)
        for kind, value, path in items:
            if len(listing.objects) + len(listing.prefixes) == max_keys:
                listing.truncated = True
                break
            if kind == "prefix":
                listing.prefixes.append(value)
                listing.resume_after = value + _LAST
            else:
                try:
                    listing.objects.append(read_info(value, path))
                except OSError:  # removed since the walk saw it
                    continue
                listing.resume_after = value
            listing.last = value
        return listing

    def _items(
        self, bucket_dir: Path, prefix: str, delimiter: str, after: str
    ) -> Iterator[tuple[str, str, Path]]:
        folder_part = prefix[: prefix.rfind("/") + 1]
        name_prefix = prefix[len(folder_part) :]
        start = bucket_dir / folder_part if folder_part else bucket_dir
        if folder_part and not _plain_folder(folder_part):
            return
        if not _inside(start.resolve(), self.warehouse) or not start.is_dir():
            return
        start_path = str(start).rstrip("/")
        if after and not after.startswith(folder_part):
            if after > folder_part:
                return  # every key under the prefix's folder sorts before ``after``
            after = ""
        relative = after[len(folder_part) :] if after else None
        keys = self._walk(start_path, folder_part, relative, name_prefix, top=True, delimiter=delimiter)
        if not delimiter or delimiter == "/":
            yield from keys
            return
        last_prefix = None
        for kind, key, path in keys:  # any other delimiter: roll keys up by it
            rest = key[len(prefix) :]
            cut = rest.find(delimiter)
            if cut < 0:
                yield kind, key, path
                continue
            common = prefix + rest[: cut + len(delimiter)]
            if common != last_prefix:
                last_prefix = common
                yield "prefix", common, path

    def _walk(
        self,
        folder: str,
        base: str,
        relative: str | None,
        name_prefix: str,
        top: bool,
        delimiter: str,
    ) -> Iterator[tuple[str, str, str]]:
        """Keys under ``folder`` (whose keys start with ``base``) after ``base + relative``, in order; at
        the top level only those starting with ``base + name_prefix``, and with delimiter ``/`` its
        sub-folders as common prefixes."""
        sort_keys, folders = self.entries.of(folder)
        if not sort_keys:
            if base and relative is None and not name_prefix:
                yield "key", base, folder  # an empty folder: the object of its key
            return
        index = bisect.bisect_left(sort_keys, name_prefix) if name_prefix else 0
        descend_into = None
        if relative:
            if "/" in relative:
                first = relative[: relative.index("/") + 1]
                at = bisect.bisect_left(sort_keys, first)
                if at < len(sort_keys) and sort_keys[at] == first and folders[at]:
                    descend_into = at
                    index = max(index, at)
                else:
                    index = max(index, at)
            else:
                index = max(index, bisect.bisect_right(sort_keys, relative))
        roll_up = top and delimiter == "/"
        for i in range(index, len(sort_keys)):
            sort_key = sort_keys[i]
            if name_prefix and not sort_key.startswith(name_prefix):
                break
            key = base + sort_key
            path = folder + "/" + (sort_key[:-1] if folders[i] else sort_key)
            if not folders[i]:
                yield "key", key, path
                continue
            inner = relative[len(sort_key) :] if i == descend_into else None
            if roll_up:
                if inner is None or self._any_after(path, key, inner):
                    yield "prefix", key, path
                continue
            yield from self._walk(path, key, inner, "", top=False, delimiter=delimiter)

    def _any_after(self, folder: str, base: str, relative: str) -> bool:
        return next(iter(self._walk(folder, base, relative, "", top=False, delimiter="")), None) is not None


def _plain_folder(folder_part: str) -> bool:
    """A prefix's folder names a folder only when every segment could be a key's (no '', '.', '..')."""
    return all(segment not in ("", ".", "..") for segment in folder_part[:-1].split("/"))
