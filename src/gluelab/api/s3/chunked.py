"""``Content-Encoding: aws-chunked`` bodies, decoded as they stream in: chunks ``<hex size>[;chunk-signature=
<sig>]\\r\\n<data>\\r\\n``, a final zero-size chunk, then trailer lines (``x-amz-checksum-crc32:<base64>``,
``x-amz-trailer-signature:<sig>``) and an empty line. Only the decoded bytes are stored; signed chunks and
trailers are checked against their signatures (``auth.ChunkSignatures``)."""

from __future__ import annotations

import hashlib

from ...lake.errors import IncompleteBody, InvalidRequest
from .auth import ChunkSignatures

MAX_LINE = 4096


class AwsChunkedDecoder:
    def __init__(self, signatures: ChunkSignatures | None):
        self.signatures = signatures
        self._buffer = bytearray()
        self._remaining = 0  # data bytes left in the current chunk
        self._state = "header"  # header | data | data-end | trailer | done
        self._chunk_signature: str | None = None
        self._chunk_hash = hashlib.sha256() if signatures else None
        self._trailer_lines: list[str] = []
        self.trailers: dict[str, str] = {}
        self.decoded = 0

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes) -> list[bytes]:
        """The decoded data in ``data`` (chunk framing removed)."""
        out: list[bytes] = []
        view = memoryview(data)
        while view:
            if self._state == "data":
                take = view[: self._remaining]
                out.append(bytes(take))
                if self._chunk_hash is not None:
                    self._chunk_hash.update(take)
                self._remaining -= len(take)
                self.decoded += len(take)
                view = view[len(take) :]
                if self._remaining == 0:
                    self._end_chunk()
                    self._state = "data-end"
                continue
            if self._state == "done":
                if bytes(view).strip(b"\r\n"):
                    raise InvalidRequest("Data follows the end of an aws-chunked body.")
                return out
            newline = bytes(view).find(b"\n")
            if newline < 0:
                self._buffer += view
                if len(self._buffer) > MAX_LINE:
                    raise InvalidRequest("An aws-chunked line is too long.")
                return out
            self._buffer += view[: newline + 1]
            view = view[newline + 1 :]
            line = bytes(self._buffer).rstrip(b"\r\n").decode("latin-1")
            self._buffer.clear()
            self._line(line)
        return out

    def _line(self, line: str) -> None:
        if self._state == "data-end":
            if line:
                raise InvalidRequest("An aws-chunked chunk is longer than its declared size.")
            self._state = "header"
            return
        if self._state == "header":
            size_text, _, extension = line.partition(";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise InvalidRequest(f"An aws-chunked chunk header is malformed: {line[:80]!r}") from None
            signature = None
            if extension.startswith("chunk-signature="):
                signature = extension.removeprefix("chunk-signature=").strip()
            if self.signatures is not None and signature is None:
                raise InvalidRequest("A signed aws-chunked body has a chunk without a chunk-signature.")
            self._chunk_signature = signature
            self._remaining = size
            if size == 0:
                self._end_chunk()
                self._state = "trailer"
            else:
                self._state = "data"
            return
        if self._state == "trailer":
            if not line:
                self._finish_trailer()
                return
            name, sep, value = line.partition(":")
            if not sep:
                raise InvalidRequest(f"An aws-chunked trailer is malformed: {line[:80]!r}")
            name = name.strip().lower()
            if name == "x-amz-trailer-signature":
                if self.signatures is not None:
                    text = "".join(f"{ln}\n" for ln in self._trailer_lines)
                    self.signatures.check_trailer(text, value.strip())
            else:
                self._trailer_lines.append(f"{name}:{value.strip()}")
                self.trailers[name] = value.strip()

    def _end_chunk(self) -> None:
        if self.signatures is not None and self._chunk_hash is not None:
            self.signatures.check_chunk(self._chunk_hash.hexdigest(), self._chunk_signature or "")
            self._chunk_hash = hashlib.sha256()

    def _finish_trailer(self) -> None:
        self._state = "done"

    def finish(self) -> dict[str, str]:
        """The trailers, once the whole body was seen (IncompleteBody otherwise)."""
        if self._state == "trailer" and not self._buffer:
            self._state = "done"  # no trailer lines and no closing empty line: some clients stop here
        if self._state != "done":
            raise IncompleteBody("The aws-chunked body ended before its final chunk.")
        return self.trailers
