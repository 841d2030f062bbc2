"""The checksums S3 clients send and ask for (``x-amz-checksum-crc32`` ...), computed as the bytes stream
by: CRC32, CRC32C and CRC64NVME (awscrt, zlib), SHA1 and SHA256 (hashlib). Values are base64 of the
big-endian digest, as S3 writes them."""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

from awscrt import checksums as crt

from .errors import InvalidRequest

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")


class Checksum:
    def __init__(self, algorithm: str):
        self.algorithm = algorithm.lower()
        if self.algorithm not in ALGORITHMS:
            raise InvalidRequest(
                f"Checksum algorithm {algorithm!r} is not supported; use one of "
                f"{', '.join(a.upper() for a in ALGORITHMS)}."
            )
        self._value = 0
        self._hash: Any = hashlib.new(self.algorithm) if self.algorithm.startswith("sha") else None

    def update(self, data: bytes | memoryview) -> None:
        if self._hash is not None:
            self._hash.update(data)
        elif self.algorithm == "crc32":
            self._value = zlib.crc32(data, self._value)
        elif self.algorithm == "crc32c":
            self._value = crt.crc32c(bytes(data), self._value)
        else:
            self._value = crt.crc64nvme(bytes(data), self._value)

    def digest(self) -> bytes:
        if self._hash is not None:
            return self._hash.digest()
        width = 8 if self.algorithm == "crc64nvme" else 4
        return self._value.to_bytes(width, "big")

    def value(self) -> str:
        return base64.b64encode(self.digest()).decode()


def header_name(algorithm: str) -> str:
    return f"x-amz-checksum-{algorithm.lower()}"


def composite(algorithm: str, part_values: list[str]) -> str:
    """A multipart object's checksum of its parts' checksums, as S3 reports it (``<base64>-<parts>``)."""
    whole = Checksum(algorithm)
    for value in part_values:
        whole.update(base64.b64decode(value))
    return f"{whole.value()}-{len(part_values)}"
