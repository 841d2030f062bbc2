"""The lake as S3 objects: buckets are the warehouse's top folders, an object is a file, ``s3://bucket/key``
is ``<warehouse>/bucket/key`` (``keys.key_path``).

An object appears whole or not at all: bodies are written to a temporary file in ``<warehouse>/.gluelab-s3``
and renamed into place, so a reader never sees half of one and concurrent writers of a key leave one of
their objects whole. What S3 keeps beside the bytes (ETag, Content-Type, ``x-amz-meta-*``, checksums) is an
extended attribute of the file, valid while the file's size and modification time are those it was written
with. A file that Spark or a user put in the warehouse directly has none: its ETag is then derived from its
identity, size and modification time and ends in ``-1`` (clients treat such ETags as not being an MD5).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..runtime.paths import is_bucket_name
from .errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    InvalidArgument,
    InvalidRequest,
    NoSuchBucket,
    NoSuchKey,
    ObjectExistsAsFolder,
    ParentIsObject,
    PreconditionFailed,
)
from .keys import bucket_path, check_bucket, key_path
from .writes import MAX_OBJECT_BYTES, ObjectWriter, Received

log = logging.getLogger("gluelab.lake")

INTERNAL = ".gluelab-s3"  # temporary bodies and multipart uploads; not a bucket name, so never listed
META_XATTR = "user.gluelab.s3"
EMPTY_MD5 = hashlib.md5(b"", usedforsecurity=False).hexdigest()
DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when a PUT names none
STALE_TEMP_SECONDS = 24 * 3600


@dataclass(slots=True)
class ObjectInfo:
    key: str
    size: int
    mtime_ns: int
    etag: str  # unquoted
    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def last_modified(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.mtime_ns / 1e9, dt.UTC).replace(microsecond=0)


def _pseudo_etag(stat: os.stat_result) -> str:
    identity = f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    return hashlib.md5(identity, usedforsecurity=False).hexdigest() + "-1"


def read_info(key: str, target: int | str | Path, stat: os.stat_result | None = None) -> ObjectInfo:
    """What S3 says of the file ``target`` (a path or an open descriptor) as object ``key``."""
    stat = stat or os.stat(target)
    if stat.st_mode & 0o170000 == 0o040000:  # a folder: the zero-byte object of a key ending in /
        return ObjectInfo(key, 0, stat.st_mtime_ns, EMPTY_MD5)
    try:
        stored = json.loads(os.getxattr(target, META_XATTR))
    except (OSError, ValueError):
        stored = None
    if (
        isinstance(stored, dict)
        and stored.get("size") == stat.st_size
        and stored.get("mtime_ns") == stat.st_mtime_ns
    ):
        return ObjectInfo(
            key,
            stat.st_size,
            stat.st_mtime_ns,
            str(stored.get("etag")),
            str(stored.get("type") or DEFAULT_CONTENT_TYPE),
            dict(stored.get("meta") or {}),
            dict(stored.get("checksums") or {}),
        )
    return ObjectInfo(key, stat.st_size, stat.st_mtime_ns, _pseudo_etag(stat))


_xattr_warned = False


def _store_info(
    fd: int, etag: str, content_type: str, metadata: dict[str, str], checksums: dict[str, str]
) -> int:
    """Record the object's S3 attributes on its (still temporary) file; returns its mtime_ns."""
    global _xattr_warned
    stat = os.fstat(fd)
    record = {
        "etag": etag,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "type": content_type,
        "meta": metadata,
        "checksums": checksums,
    }
    try:
        os.setxattr(fd, META_XATTR, json.dumps(record, separators=(",", ":")).encode())
    except OSError as exc:
        if not _xattr_warned:
            log.warning(
                "the warehouse's file system keeps no extended attributes (%s): objects keep their bytes, "
                "but not their Content-Type, x-amz-meta-* or MD5 ETag",
                exc.strerror,
            )
            _xattr_warned = True
    return stat.st_mtime_ns


@dataclass
class Bucket:
    name: str
    created: dt.datetime


class Lake:
    """Buckets and objects over one warehouse folder. Thread-safe: every change is one rename or one
    mkdir/rmdir/unlink of the file system."""

    def __init__(self, warehouse: Path, region: str = "us-east-1"):
        self.warehouse = warehouse.resolve()
        self.region = region
        self.internal = self.warehouse / INTERNAL
        self.tmp_dir = self.internal / "tmp"

    # -- bodies -------------------------------------------------------------------------------------------
    def writer(self, **kwargs: Any) -> ObjectWriter:
        return ObjectWriter(self.tmp_dir, **kwargs)

    def remove_stale_temporaries(self) -> int:
        """Temporary bodies of uploads a crashed server never finished (older than a day)."""
        removed = 0
        cutoff = time.time() - STALE_TEMP_SECONDS
        for path in self.tmp_dir.glob("*") if self.tmp_dir.is_dir() else []:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                pass
        return removed

    # -- buckets ------------------------------------------------------------------------------------------
    def list_buckets(self) -> list[Bucket]:
        buckets = []
        if not self.warehouse.is_dir():
            return buckets
        for entry in sorted(os.scandir(self.warehouse), key=lambda e: e.name):
            if not is_bucket_name(entry.name) or not entry.is_dir():
                continue
            if entry.is_symlink() and not _inside(Path(entry.path).resolve(), self.warehouse):
                continue
            buckets.append(Bucket(entry.name, _created(entry.path)))
        return buckets

    def create_bucket(self, name: str) -> None:
        path = bucket_path(self.warehouse, name)
        self.warehouse.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir()
        except FileExistsError:
            if self.region != "us-east-1":  # us-east-1 answers 200 to its owner, as S3 does
                raise BucketAlreadyOwnedByYou(
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    name,
                ) from None
            return
        try:
            os.setxattr(path, "user.gluelab.created", str(time.time()).encode())
        except OSError:
            pass

    def bucket_dir(self, name: str) -> Path:
        """The folder of an existing bucket (NoSuchBucket otherwise)."""
        path = bucket_path(self.warehouse, name)
        if not path.is_dir():
            raise NoSuchBucket("The specified bucket does not exist", name)
        return path

    def delete_bucket(self, name: str) -> None:
        path = self.bucket_dir(name)
        try:
            path.rmdir()
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise BucketNotEmpty("The bucket you tried to delete is not empty", name) from None
            raise

    # -- reading ------------------------------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> ObjectInfo:
        path = self._existing(bucket, key)
        return read_info(key, path)

    def open(self, bucket: str, key: str) -> tuple[ObjectInfo, int | None]:
        """The object and an open descriptor on its bytes (None for a folder's empty object): the
        descriptor keeps reading this version even if the key is replaced meanwhile."""
        path = self._existing(bucket, key)
        if key.endswith("/"):
            return read_info(key, path), None
        try:
            fd = os.open(path, os.O_RDONLY)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NoSuchKey("The specified key does not exist.", key) from None
        try:
            return read_info(key, fd, os.fstat(fd)), fd
        except BaseException:
            os.close(fd)
            raise

    def _existing(self, bucket: str, key: str) -> Path:
        path = key_path(self.warehouse, bucket, key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            self.bucket_dir(bucket)
            raise NoSuchKey("The specified key does not exist.", key) from None
        is_folder = stat.st_mode & 0o170000 == 0o040000
        if is_folder != key.endswith("/"):  # a GET on a prefix, or a folder's key without its slash
            raise NoSuchKey("The specified key does not exist.", key)
        return path

    # -- writing ------------------------------------------------------------------------------------------
    def put(
        self,
        bucket: str,
        key: str,
        body: Received,
        *,
        etag: str | None = None,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        """Publish a received body as ``key``; the body's file is consumed (moved or removed)."""
        try:
            target = key_path(self.warehouse, bucket, key)
            self.bucket_dir(bucket)
            if key.endswith("/"):
                if body.size:
                    raise InvalidArgument(
                        f"The key {key!r} ends in '/', which names a folder here: only an empty body "
                        "(a folder marker) can be stored under it.",
                        key,
                    )
                self._make_folders(target, bucket, key)
                return read_info(key, target)
            etag = etag or body.md5
            fd = os.open(body.path, os.O_RDONLY)
            try:
                _store_info(
                    fd, etag, content_type or DEFAULT_CONTENT_TYPE, dict(metadata or {}), body.checksums
                )
            finally:
                os.close(fd)
            self._publish(body.path, target, bucket, key, if_none_match)
            return read_info(key, target)
        finally:
            body.path.unlink(missing_ok=True)

    def _publish(self, source: Path, target: Path, bucket: str, key: str, if_none_match: bool) -> None:
        for _ in range(5):  # a concurrent delete may remove an empty parent folder meanwhile
            self._make_folders(target.parent, bucket, key)
            try:
                if if_none_match:
                    os.link(source, target)  # fails, atomically, when the key exists
                else:
                    os.replace(source, target)
                return
            except FileExistsError:
                raise PreconditionFailed(
                    "At least one of the pre-conditions you specified did not hold (If-None-Match: *: the "
                    "key exists).",
                    key,
                ) from None
            except IsADirectoryError:
                raise ObjectExistsAsFolder(
                    f"The key {key!r} is a folder holding other keys ({key}/...); the warehouse cannot hold "
                    "an object of the same name.",
                    key,
                ) from None
            except FileNotFoundError:
                continue
        raise InvalidRequest(f"The key {key!r} could not be written: its folder keeps disappearing.", key)

    def _make_folders(self, folder: Path, bucket: str, key: str) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            bucket_root = self.warehouse / bucket
            blocker = next(
                (p for p in [folder, *folder.parents] if p.is_file() and bucket_root in p.parents), folder
            )
            name = blocker.relative_to(bucket_root).as_posix()
            raise ParentIsObject(
                f"The key {key!r} cannot be stored: {name!r} is an object, and the warehouse cannot make it "
                "also a folder of other keys.",
                key,
            ) from None

    def copy(
        self,
        source_bucket: str,
        source_key: str,
        bucket: str,
        key: str,
        *,
        replace: tuple[str | None, dict[str, str]] | None = None,
        conditions: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """CopyObject: the source's bytes under ``key``, with the source's Content-Type and metadata, or
        ``replace`` = (content type, metadata) for x-amz-metadata-directive REPLACE."""
        if source_bucket == bucket and source_key == key and replace is None:
            raise InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata, storage class, website redirect location or encryption "
                "attributes.",
                key,
            )
        key_path(self.warehouse, bucket, key)  # a bad destination fails before any copying
        self.bucket_dir(bucket)
        info, fd = self.open(source_bucket, source_key)
        try:
            check_conditions(info, conditions or {}, copy_source=True)
            received = self.copy_range(fd, 0, info.size)
        finally:
            if fd is not None:
                os.close(fd)
        content_type, metadata = replace if replace is not None else (info.content_type, info.metadata)
        return self.put(bucket, key, received, content_type=content_type, metadata=metadata)

    def copy_range(self, fd: int | None, start: int, length: int) -> Received:
        """``length`` bytes of an open object from ``start``, as a received body (MD5 computed)."""
        writer = self.writer(max_size=MAX_OBJECT_BYTES)
        try:
            offset, left = start, length
            while left > 0 and fd is not None:
                chunk = os.pread(fd, min(left, 8 * 1024 * 1024), offset)
                if not chunk:
                    break
                writer.write(chunk)
                offset += len(chunk)
                left -= len(chunk)
            return writer.finish()
        except BaseException:
            writer.discard()
            raise

    def delete(self, bucket: str, key: str) -> None:
        """DeleteObject: gone if it was there (no error if it was not); folders left empty go too, as
        S3 prefixes do."""
        target = key_path(self.warehouse, bucket, key)
        bucket_root = self.bucket_dir(bucket)
        try:
            if key.endswith("/"):
                target.rmdir()
            else:
                target.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR):
                return
            raise
        for folder in target.parents:
            if folder == bucket_root or bucket_root not in folder.parents:
                break
            try:
                folder.rmdir()
            except OSError:
                break


def check_conditions(info: ObjectInfo, conditions: dict[str, str], copy_source: bool = False) -> None:
    """If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since (headers, lower-case names; for
    a copy, their ``x-amz-copy-source-`` forms), in S3's order of precedence."""
    from .errors import NotModified

    prefix = "x-amz-copy-source-" if copy_source else ""
    etag = info.etag
    if_match = conditions.get(prefix + "if-match")
    if_none_match = conditions.get(prefix + "if-none-match")
    modified_since = _http_date(conditions.get(prefix + "if-modified-since"))
    unmodified_since = _http_date(conditions.get(prefix + "if-unmodified-since"))
    failed = PreconditionFailed("At least one of the pre-conditions you specified did not hold", info.key)
    if if_match is not None:
        if not _etag_matches(if_match, etag):
            raise failed
    elif unmodified_since is not None and info.last_modified > unmodified_since:
        raise failed
    if if_none_match is not None:
        if _etag_matches(if_none_match, etag):
            if copy_source:
                raise failed
            raise NotModified("Not Modified", info.key)
    elif modified_since is not None and info.last_modified <= modified_since:
        if copy_source:
            raise failed
        raise NotModified("Not Modified", info.key)


def _etag_matches(header: str, etag: str) -> bool:
    wanted = [t.strip().removeprefix("W/").strip('"') for t in header.split(",")]
    return "*" in wanted or etag in wanted


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _created(path: str) -> dt.datetime:
    try:
        stamp = float(os.getxattr(path, "user.gluelab.created"))
    except (OSError, ValueError):
        stamp = os.stat(path).st_mtime
    return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(microsecond=0)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


__all__ = ["Lake", "ObjectInfo", "Bucket", "check_bucket", "check_conditions", "read_info", "INTERNAL"]
