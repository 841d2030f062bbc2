"""Multipart uploads: parts are received into ``<warehouse>/.gluelab-s3/uploads/<upload id>/`` and, on
completion, joined into one file that replaces the key in one rename. The ETag is S3's: the MD5 of the
parts' MD5s, then ``-<number of parts>``; a part's checksum (if the client sent one) is kept and the
object's is the composite of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from .checksums import composite
from .errors import EntityTooSmall, InvalidArgument, InvalidPart, InvalidPartOrder, NoSuchUpload
from .keys import key_path
from .objects import Lake, ObjectInfo
from .writes import Received

MIN_PART_BYTES = 5 * 1024 * 1024  # every part but the last, as S3 requires
MAX_PARTS = 10_000


@dataclass
class Part:
    number: int
    etag: str
    size: int
    modified: dt.datetime
    checksums: dict[str, str]


@dataclass
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: dt.datetime
    content_type: str | None
    metadata: dict[str, str]
    checksum_algorithm: str | None


class Uploads:
    def __init__(self, lake: Lake):
        self.lake = lake
        self.root = lake.internal / "uploads"

    def create(
        self,
        bucket: str,
        key: str,
        content_type: str | None,
        metadata: dict[str, str],
        checksum_algorithm: str | None,
    ) -> Upload:
        key_path(self.lake.warehouse, bucket, key)
        self.lake.bucket_dir(bucket)
        upload = Upload(
            secrets.token_hex(24),
            bucket,
            key,
            dt.datetime.now(dt.UTC).replace(microsecond=0),
            content_type,
            metadata,
            checksum_algorithm.lower() if checksum_algorithm else None,
        )
        folder = self.root / upload.upload_id
        folder.mkdir(parents=True)
        record = {
            "bucket": bucket,
            "key": key,
            "initiated": upload.initiated.isoformat(),
            "type": content_type,
            "meta": metadata,
            "checksum": upload.checksum_algorithm,
        }
        (folder / "upload.json").write_text(json.dumps(record))
        return upload

    def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        folder = self._folder(upload_id)
        try:
            record = json.loads((folder / "upload.json").read_text())
        except (OSError, ValueError):
            record = None
        if not record or record["bucket"] != bucket or record["key"] != key:
            raise NoSuchUpload(
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have "
                "been aborted or completed.",
                upload_id,
            )
        return Upload(
            upload_id,
            bucket,
            key,
            dt.datetime.fromisoformat(record["initiated"]),
            record.get("type"),
            dict(record.get("meta") or {}),
            record.get("checksum"),
        )

    def _folder(self, upload_id: str) -> Path:
        if not upload_id or not all(c in "0123456789abcdef" for c in upload_id):
            raise NoSuchUpload("The specified upload does not exist.", upload_id)
        return self.root / upload_id

    def add_part(self, upload: Upload, number: int, body: Received) -> Part:
        """Keep a received body as part ``number`` (replacing an earlier upload of that part)."""
        try:
            if not 1 <= number <= MAX_PARTS:
                raise InvalidArgument(f"Part number must be an integer between 1 and {MAX_PARTS}, inclusive")
            folder = self._folder(upload.upload_id)
            record = {"etag": body.md5, "size": body.size, "checksums": body.checksums}
            (folder / f"{number}.json.tmp").write_text(json.dumps(record))
            os.replace(body.path, folder / str(number))
            os.replace(folder / f"{number}.json.tmp", folder / f"{number}.json")
        finally:
            body.path.unlink(missing_ok=True)
        return self._part(folder, number)  # type: ignore[return-value]

    def _part(self, folder: Path, number: int) -> Part | None:
        try:
            record = json.loads((folder / f"{number}.json").read_text())
            stat = (folder / str(number)).stat()
        except (OSError, ValueError):
            return None
        modified = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(microsecond=0)
        return Part(number, record["etag"], record["size"], modified, dict(record.get("checksums") or {}))

    def parts(self, upload: Upload) -> list[Part]:
        folder = self._folder(upload.upload_id)
        numbers = sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())
        return [part for n in numbers if (part := self._part(folder, n)) is not None]

    def complete(self, upload: Upload, requested: list[tuple[int, str, dict[str, str]]]) -> ObjectInfo:
        """Join the parts named (number, ETag, checksums) in ascending order into the object."""
        if not requested:
            raise InvalidArgument("You must specify at least one part.")
        numbers = [n for n, _, _ in requested]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise InvalidPartOrder(
                "The list of parts was not in ascending order. Parts must be ordered by part number."
            )
        folder = self._folder(upload.upload_id)
        parts: list[Part] = []
        for number, etag, checksums in requested:
            part = self._part(folder, number)
            if part is None or part.etag != etag.strip('"'):
                raise InvalidPart(
                    f"One or more of the specified parts could not be found, or its entity tag did not match "
                    f"(part {number}).",
                )
            for algorithm, value in checksums.items():
                if part.checksums.get(algorithm) not in (None, value):
                    raise InvalidPart(
                        f"The {algorithm.upper()} of part {number} does not match the one sent."
                    )
            parts.append(part)
        for part in parts[:-1]:
            if part.size < MIN_PART_BYTES:
                raise EntityTooSmall(
                    "Your proposed upload is smaller than the minimum allowed object size: part "
                    f"{part.number} "
                    f"has {part.size} bytes, and every part but the last needs {MIN_PART_BYTES}."
                )
        joined = self._join(folder, parts)
        digest = hashlib.md5(b"".join(bytes.fromhex(p.etag) for p in parts), usedforsecurity=False)
        algorithm = upload.checksum_algorithm
        if algorithm and all(algorithm in p.checksums for p in parts):
            joined.checksums = {algorithm: composite(algorithm, [p.checksums[algorithm] for p in parts])}
        info = self.lake.put(
            upload.bucket,
            upload.key,
            joined,
            etag=f"{digest.hexdigest()}-{len(parts)}",
            content_type=upload.content_type,
            metadata=upload.metadata,
        )
        shutil.rmtree(folder, ignore_errors=True)
        return info

    def _join(self, folder: Path, parts: list[Part]) -> Received:
        self.lake.tmp_dir.mkdir(parents=True, exist_ok=True)
        target = self.lake.tmp_dir / f"join-{secrets.token_hex(8)}"
        size = 0
        with open(target, "wb") as out:
            for part in parts:
                with open(folder / str(part.number), "rb") as source:
                    length = os.fstat(source.fileno()).st_size
                    offset = 0
                    while offset < length:  # in the kernel where the file system allows
                        copied = os.copy_file_range(source.fileno(), out.fileno(), length - offset)
                        if copied == 0:
                            break
                        offset += copied
                    size += offset
        return Received(target, size, "", {})

    def remove_stale(self, days: int = 7) -> int:
        """Uploads neither completed nor aborted for ``days`` (as S3's AbortIncompleteMultipartUpload
        lifecycle rule would): their parts go."""
        removed = 0
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            try:
                initiated = dt.datetime.fromisoformat(
                    json.loads((folder / "upload.json").read_text())["initiated"]
                )
            except (OSError, ValueError, KeyError):
                continue
            if initiated < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def abort(self, upload: Upload) -> None:
        shutil.rmtree(self._folder(upload.upload_id), ignore_errors=True)

    def list(self, bucket: str, prefix: str = "") -> list[Upload]:
        uploads = []
        if not self.root.is_dir():
            return uploads
        for folder in self.root.iterdir():
            try:
                record = json.loads((folder / "upload.json").read_text())
            except (OSError, ValueError):
                continue
            if record["bucket"] == bucket and record["key"].startswith(prefix):
                uploads.append(self.get(bucket, record["key"], folder.name))
        return sorted(uploads, key=lambda u: (u.key, u.initiated))


__all__ = ["Uploads", "Upload", "Part", "MIN_PART_BYTES"]
