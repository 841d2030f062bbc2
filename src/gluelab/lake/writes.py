"""Receiving an object's bytes: they stream into a temporary file in the warehouse's own folder (same file
system, so the object appears whole by a rename) while its MD5 (the ETag), the signed SHA256 and any S3
checksum are computed; ``finish`` checks them all before anything is published."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .checksums import Checksum
from .errors import BadDigest, EntityTooLarge, IncompleteBody, InvalidDigest, XAmzContentSHA256Mismatch

MAX_OBJECT_BYTES = 5 * 1024**3  # S3's limit for one PUT (and for one part)


@dataclass
class Received:
    """A body written whole to ``path`` and checked, ready to become an object or a part."""

    path: Path
    size: int
    md5: str  # hex
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64


class ObjectWriter:
    """One body on its way in. ``write`` may run on a worker thread (hashing releases the GIL)."""

    def __init__(
        self,
        tmp_dir: Path,
        *,
        expected_size: int | None = None,
        sha256: str | None = None,
        content_md5: str | None = None,
        checksum_algorithm: str | None = None,
        max_size: int = MAX_OBJECT_BYTES,
    ):
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        self.fd: int | None = fd
        # The descriptor is written on one thread and may be discarded from another: never closed
        # under a write (a reused descriptor would take the rest of the body).
        self._fd_lock = threading.Lock()
        self.path = Path(name)
        self.size = 0
        self.expected_size = expected_size
        self.max_size = max_size
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256() if sha256 else None
        self._sha256_expected = sha256
        self._content_md5 = _decode_md5(content_md5) if content_md5 else None
        self.checksum = Checksum(checksum_algorithm) if checksum_algorithm else None

    def write(self, data: bytes) -> None:
        self.write_md5(data)
        self.write_rest(data)

    # The two halves of ``write``, which may run at once on two threads (one chunk at a time each): the
    # MD5 alone costs as much as the rest.
    def write_md5(self, data: bytes) -> None:
        self._md5.update(data)

    def write_rest(self, data: bytes) -> None:
        with self._fd_lock:
            self._write_rest(data)

    def _write_rest(self, data: bytes) -> None:
        if self.fd is None:
            return
        self.size += len(data)
        if self.size > self.max_size:
            raise EntityTooLarge(
                f"Your proposed upload exceeds the maximum allowed size ({self.max_size} bytes)."
            )
        view = memoryview(data)
        if self._sha256 is not None:
            self._sha256.update(view)
        if self.checksum is not None:
            self.checksum.update(view)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def finish(
        self, trailer_checksums: dict[str, str] | None = None, declared: dict[str, str] | None = None
    ) -> Received:
        """Close the file and check what the client declared (its length, Content-MD5, the signed SHA256,
        an ``x-amz-checksum-*`` header or trailer); on any mismatch the file is removed and S3's error
        raised."""
        try:
            with self._fd_lock:
                if self.fd is None:
                    raise IncompleteBody("The request body was discarded.")
                os.close(self.fd)
                self.fd = None
            if self.expected_size is not None and self.size != self.expected_size:
                raise IncompleteBody(
                    f"You did not provide the number of bytes specified by the Content-Length HTTP header "
                    f"({self.size} of {self.expected_size})."
                )
            md5 = self._md5.digest()
            if self._content_md5 is not None and md5 != self._content_md5:
                raise BadDigest("The Content-MD5 you specified did not match what we received.")
            if self._sha256 is not None and self._sha256.hexdigest() != self._sha256_expected:
                raise XAmzContentSHA256Mismatch(
                    "The provided 'x-amz-content-sha256' header does not match what was computed."
                )
            checksums: dict[str, str] = {}
            if self.checksum is not None:
                computed = self.checksum.value()
                wanted = dict(declared or {})
                wanted.update(trailer_checksums or {})
                claimed = wanted.get(self.checksum.algorithm)
                if claimed is not None and claimed != computed:
                    raise BadDigest(
                        f"The {self.checksum.algorithm.upper()} you specified did not match the calculated "
                        "checksum."
                    )
                checksums[self.checksum.algorithm] = computed
            return Received(self.path, self.size, md5.hex(), checksums)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        with self._fd_lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        self.path.unlink(missing_ok=True)


def _decode_md5(value: str) -> bytes:
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise InvalidDigest("The Content-MD5 you specified was invalid.")
    return digest
