"""Classifiers: what format one file holds, and its schema, as a Glue crawler infers them.

The crawler's custom classifiers are tried first, in its order; the first that can read the file with
its settings (certainty 1.0) wins. Otherwise the built-ins are tried in Glue's order: avro, orc,
parquet, json, xml, csv. A file nothing recognizes (or that cannot be read) is :class:`Skipped`, with a
reason for the crawl log; classification never raises.

Text formats are inferred from a sample: the first 1,000 records or 1 MB of (decompressed) data, JSON
up to 10 MB in 1 MB steps while no record is complete. gzip and bzip2 files are read by their magic
bytes, or their ``.gz`` / ``.bz2`` extension. Parquet and ORC schemas come from the file's metadata,
Avro's from the schema in the file header. Top-level column names are lower-cased, as Glue stores them.
"""

from __future__ import annotations

import bz2
import codecs
import json
import os
import pathlib
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .. import patterns
from ..errors import InvalidInputException
from .csv_sniff import CsvSettings, CsvTable, sniff_csv
from .json_infer import MB, Type, infer_json, merge, parse_type, render, unique_names
from .xml_infer import infer_xml, looks_like_xml

CUSTOM_KINDS = ("CsvClassifier", "JsonClassifier", "XMLClassifier")
SAMPLE_BYTES = MB
_CHUNK = 256 * 1024


@dataclass
class FileSchema:
    classification: str  # "csv" | "json" | "parquet" | "orc" | "xml" | "avro" | a custom XML classification
    columns: list[tuple[str, str]]  # (name, Hive type), in order
    compression: str  # "none" | "gzip" | "bzip2"
    parameters: dict[str, str] = field(default_factory=dict)  # table parameters to record
    serde_parameters: dict[str, str] = field(default_factory=dict)
    records: int = 0  # records seen in the sample
    sample_bytes: int = 0  # (uncompressed) bytes of the sample those records came from
    classifier: str = ""  # the custom classifier's name, or the built-in's ("csv", "json", ...)


@dataclass
class Skipped:
    reason: str


def merge_types(a: str, b: str) -> str:
    """The Hive type both fit: bigint+double = double; smaller integers, decimals and date/timestamp
    widen; structs merge fields in first-seen order, arrays and maps their parts; otherwise string."""
    if a == b:
        return a
    return render(merge(parse_type(a), parse_type(b)))


def merge_columns(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The union of two column lists in first-seen order, types of common names merged."""
    merged = dict(a)
    for name, kind in b:
        merged[name] = merge_types(merged[name], kind) if name in merged else kind
    return list(merged.items())


def classify_file(path: pathlib.Path, custom: list[dict] | None = None) -> FileSchema | Skipped:
    """Classify one file with the crawler's custom classifiers (Glue API shapes such as
    ``{"CsvClassifier": {...}}``), then the built-ins."""
    try:
        return _classify(pathlib.Path(path), custom or [])
    except _Corrupt as exc:
        return Skipped(str(exc))
    except OSError as exc:
        return Skipped(f"cannot be read: {exc.strerror or exc}")
    except Exception as exc:  # bad input must never stop a crawl
        return Skipped(f"could not be classified: {type(exc).__name__}: {exc}")


# -- reading a sample ------------------------------------------------------------------------------


class _Corrupt(Exception):
    """Compressed data that does not decompress."""


def _compression(head: bytes, path: pathlib.Path) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit():
        return "bzip2"
    suffix = path.suffix.lower()
    return "gzip" if suffix == ".gz" else "bzip2" if suffix == ".bz2" else "none"


def _plain(fh: BinaryIO) -> Iterator[bytes]:
    while chunk := fh.read(_CHUNK):
        yield chunk


def _gunzip(fh: BinaryIO) -> Iterator[bytes]:
    """Decompressed pieces of (possibly multi-member) gzip data; a truncated stream or trailing garbage
    ends it quietly once some data came out."""
    produced = False
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = fh.read(_CHUNK)
    while data:
        try:
            out = decompressor.decompress(data, _CHUNK)
        except zlib.error as exc:
            if produced:
                return
            raise _Corrupt(f"corrupt gzip data ({exc})") from None
        if out:
            produced = True
            yield out
        if decompressor.unconsumed_tail:
            data = decompressor.unconsumed_tail
        elif decompressor.eof:
            data = decompressor.unused_data or fh.read(_CHUNK)
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            data = fh.read(_CHUNK)
            if not data:  # end of file (perhaps of a truncated stream): what the decompressor holds
                try:
                    tail = decompressor.flush()
                except zlib.error:
                    return
                if tail:
                    yield tail


def _bunzip(fh: BinaryIO) -> Iterator[bytes]:
    """Decompressed pieces of (possibly multi-stream) bzip2 data, tolerant as :func:`_gunzip`."""
    produced = False
    decompressor = bz2.BZ2Decompressor()
    data = fh.read(_CHUNK)
    while True:
        try:
            out = decompressor.decompress(data, _CHUNK)
        except (OSError, ValueError) as exc:
            if produced:
                return
            raise _Corrupt(f"corrupt bzip2 data ({exc})") from None
        if out:
            produced = True
            yield out
        if decompressor.eof:
            data = decompressor.unused_data or fh.read(_CHUNK)
            if not data:
                return
            decompressor = bz2.BZ2Decompressor()
        elif decompressor.needs_input:
            data = fh.read(_CHUNK)
            if not data:
                return
        else:
            data = b""


class _Sample:
    """The first bytes of a file, decompressed, read as far as asked."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = bytearray()
        self._done = False
        self._texts: dict[int, tuple[str | None, bool]] = {}

    def bytes(self, limit: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
        """Up to ``limit`` bytes, and whether there is more."""
        while not self._done and len(self._buffer) <= limit:
            piece = next(self._pieces, None)
            if piece is None:
                self._done = True
            else:
                self._buffer += piece
        return bytes(self._buffer[:limit]), len(self._buffer) > limit

    def text(self, limit: int = SAMPLE_BYTES) -> tuple[str | None, bool]:
        """The sample as UTF-8 text (a character cut at the end is dropped), ``None`` if binary."""
        if limit not in self._texts:
            data, cut = self.bytes(limit)
            text: str | None = None
            if b"\x00" not in data:
                try:
                    text = codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=not cut)
                except UnicodeDecodeError:
                    pass
            self._texts[limit] = (text, cut)
        return self._texts[limit]


@dataclass
class _File:
    path: pathlib.Path
    compression: str
    sample: _Sample
    hints: list[str]

    def schema(self, classification: str, columns: list[tuple[str, str]], **rest: Any) -> FileSchema:
        rest.setdefault("classifier", classification)
        return FileSchema(classification, columns, self.compression, **rest)


def _classify(path: pathlib.Path, custom: list[dict]) -> FileSchema | Skipped:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        return Skipped("not a regular file")
    if info.st_size == 0:
        return Skipped("empty file")
    with open(path, "rb") as fh:
        compression = _compression(fh.read(4), path)
        fh.seek(0)
        pieces = {"gzip": _gunzip, "bzip2": _bunzip}.get(compression, _plain)(fh)
        file = _File(path, compression, _Sample(pieces), [])
        data, _ = file.sample.bytes()
        if not data:
            return Skipped("empty file (after decompression)")
        for definition in custom:
            found = _custom(file, definition)
            if found is not None:
                return found
        for builtin in _BUILTINS:
            found = builtin(file)
            if found is not None:
                return found
    text, _ = file.sample.text()
    if text is not None and not text.strip():
        return Skipped("no data (whitespace only)")
    if file.hints:
        return Skipped(file.hints[0])
    return Skipped(f"not a recognized format ({'binary' if text is None else 'text'})")


# -- custom classifiers ----------------------------------------------------------------------------


def check_custom_classifier(definition: dict[str, Any]) -> None:
    """What CreateClassifier and UpdateClassifier check of a classifier's patterns: a JsonPath or a RowTag
    longer than any pattern gluelab takes is InvalidInputException (Grok patterns are refused whole)."""
    for key in ("JsonPath", "RowTag"):
        value = definition.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > patterns.MAX_LENGTH):
            raise InvalidInputException(f"{key} must be a string of at most {patterns.MAX_LENGTH} characters")


def _custom(file: _File, definition: dict) -> FileSchema | None:
    if not isinstance(definition, dict) or len(definition) != 1:
        return None
    kind, settings = next(iter(definition.items()))
    if kind not in CUSTOM_KINDS or not isinstance(settings, dict):
        return None
    name = str(settings.get("Name") or kind)
    if kind == "CsvClassifier":
        return _csv(file, CsvSettings.of_classifier(settings), name)
    if kind == "JsonClassifier":
        path = settings.get("JsonPath")
        return _json(file, str(path), name) if path else None
    row_tag = settings.get("RowTag")
    if not row_tag:
        return None
    return _xml(file, str(row_tag), name, str(settings.get("Classification") or "xml"))


# -- the built-ins, and the text formats custom classifiers share -------------------------------------


def _csv(file: _File, settings: CsvSettings, name: str = "csv") -> FileSchema | None:
    text, cut = file.sample.text()
    if text is None:
        return None
    table = sniff_csv(text, cut, settings)
    if not isinstance(table, CsvTable):
        if table.startswith("a single row"):
            file.hints.append(f"not a recognized format (text): {table}")
        return None
    parameters = {"delimiter": table.delimiter}
    if table.has_header:
        parameters["skip.header.line.count"] = "1"
    parameters["areColumnsQuoted"] = "true" if table.quoted else "false"
    parameters["columnsOrdered"] = "true"
    return file.schema(
        "csv",
        table.columns,
        parameters=parameters,
        serde_parameters={"field.delim": table.delimiter},
        records=table.records,
        sample_bytes=len(text[: table.sample_chars].encode("utf-8")),
        classifier=name,
    )


def _json(file: _File, json_path: str | None = None, name: str = "json") -> FileSchema | None:
    found = infer_json(file.sample.text, json_path)
    if found is None:
        text, _ = file.sample.text()
        if json_path is None and text is not None and text.lstrip()[:1] in ("{", "["):
            file.hints.append("not a recognized format (text): invalid JSON, or JSON without objects")
        return None
    columns, records, sample_bytes = found
    return file.schema(
        "json",
        columns,
        parameters={"jsonPath": json_path} if json_path else {},
        serde_parameters={"paths": ",".join(sorted(n for n, _ in columns))},
        records=records,
        sample_bytes=sample_bytes,
        classifier=name,
    )


def _xml(
    file: _File, row_tag: str | None = None, name: str = "xml", classification: str = "xml"
) -> FileSchema | None:
    data, cut = file.sample.bytes()
    if not looks_like_xml(data):
        return None
    table = infer_xml(data, cut, row_tag)
    if table is None:
        if row_tag is None:
            file.hints.append("not a recognized format (text): malformed XML")
        return None
    return file.schema(
        classification,
        table.columns,
        parameters={"rowTag": row_tag or table.row_tag},
        records=table.records,
        sample_bytes=table.sample_bytes,
        classifier=name,
    )


def _builtin_json(file: _File) -> FileSchema | None:
    return _json(file)


def _builtin_xml(file: _File) -> FileSchema | None:
    return _xml(file)


def _builtin_csv(file: _File) -> FileSchema | None:
    return _csv(file, CsvSettings())


def _parquet(file: _File) -> FileSchema | None:
    head, _ = file.sample.bytes(4)
    if head != b"PAR1":
        return None

    def read() -> tuple[Any, int]:
        import pyarrow.parquet as pq

        metadata = pq.read_metadata(file.path)
        return metadata.schema.to_arrow_schema(), metadata.num_rows

    return _columnar(file, "parquet", "Parquet", read)


def _orc(file: _File) -> FileSchema | None:
    head, _ = file.sample.bytes(3)
    if head != b"ORC":
        return None

    def read() -> tuple[Any, int]:
        from pyarrow import orc

        with open(file.path, "rb") as fh:
            reader = orc.ORCFile(fh)
            return reader.schema, reader.nrows

    return _columnar(file, "orc", "ORC", read)


def _columnar(
    file: _File, classification: str, title: str, read: Callable[[], tuple[Any, int]]
) -> FileSchema | None:
    """A Parquet or ORC file's schema and row count, from its metadata (only uncompressed files)."""
    if file.compression != "none":
        file.hints.append(f"{file.compression}-compressed {title} files are not readable")
        return None
    try:
        schema, rows = read()
        names = unique_names([f.name for f in schema])
        columns = [(n, _arrow_type(f.type)) for n, f in zip(names, schema, strict=True)]
    except Exception as exc:  # whatever pyarrow makes of a corrupt file
        file.hints.append(f"corrupt {title} file: {exc}")
        return None
    return file.schema(classification, columns, records=rows, sample_bytes=os.path.getsize(file.path))


def _arrow_type(t: Any) -> str:
    """The Hive type of an Arrow type (as Glue maps Parquet and ORC types)."""
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(t):
        return _arrow_type(t.value_type)
    if types.is_struct(t):
        return (
            "struct<"
            + ",".join(f"{t.field(i).name}:{_arrow_type(t.field(i).type)}" for i in range(t.num_fields))
            + ">"
        )
    if types.is_map(t):
        return f"map<{_arrow_type(t.key_type)},{_arrow_type(t.item_type)}>"
    if types.is_list(t) or types.is_large_list(t) or types.is_fixed_size_list(t):
        return f"array<{_arrow_type(t.value_type)}>"
    if types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if types.is_timestamp(t):
        return "timestamp"
    if types.is_date(t):
        return "date"
    if types.is_binary(t) or types.is_large_binary(t) or types.is_fixed_size_binary(t):
        return "binary"
    return _ARROW_SCALARS.get(str(t), "string")


_ARROW_SCALARS = {
    "bool": "boolean",
    "int8": "tinyint",
    "int16": "smallint",
    "int32": "int",
    "int64": "bigint",
    "uint8": "smallint",
    "uint16": "int",
    "uint32": "bigint",
    "uint64": "bigint",
    "halffloat": "float",
    "float": "float",
    "double": "double",
}


# -- Avro -----------------------------------------------------------------------------------------


def _avro(file: _File) -> FileSchema | None:
    head, _ = file.sample.bytes(4)
    if head != b"Obj\x01":
        return None
    data, _ = file.sample.bytes()
    columns: list[tuple[str, str]] = []
    records = 0
    try:
        metadata, pos = _avro_header(data)
        schema = json.loads(metadata[b"avro.schema"])
        kind = _avro_type(schema, {})
        fields = kind[1] if isinstance(kind, tuple) and kind[0] == "struct" else {}
        columns = list(zip(unique_names(list(fields)), map(render, fields.values()), strict=True))
        while pos < len(data):  # data blocks: count, size, bytes, 16-byte sync marker
            count, pos = _avro_long(data, pos)
            size, pos = _avro_long(data, pos)
            if count < 0 or size < 0 or pos + size + 16 > len(data):
                break
            records += count
            pos += size + 16
    except (KeyError, IndexError, ValueError, TypeError, AttributeError, RecursionError):
        pass  # an unreadable header or schema: still Avro, without columns
    return file.schema("avro", columns, records=records, sample_bytes=len(data))


def _avro_long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _avro_header(data: bytes) -> tuple[dict[bytes, bytes], int]:
    """The file metadata map, and where the data blocks start."""
    metadata: dict[bytes, bytes] = {}
    pos = 4
    while True:
        count, pos = _avro_long(data, pos)
        if count == 0:
            return metadata, pos + 16  # after the sync marker
        if count < 0:
            count = -count
            _, pos = _avro_long(data, pos)
        for _ in range(count):
            key, pos = _avro_bytes(data, pos)
            metadata[key], pos = _avro_bytes(data, pos)


def _avro_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = _avro_long(data, pos)
    if length < 0 or pos + length > len(data):
        raise ValueError("truncated Avro header")
    return data[pos : pos + length], pos + length


_AVRO_PRIMITIVES = {
    "null": None,
    "boolean": "boolean",
    "int": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "bytes": "binary",
    "string": "string",
}
_AVRO_LOGICAL = {
    "date": "date",
    "timestamp-millis": "timestamp",
    "timestamp-micros": "timestamp",
    "local-timestamp-millis": "timestamp",
    "local-timestamp-micros": "timestamp",
}


def _avro_type(schema: Any, named: dict[str, Type]) -> Type:
    """An Avro schema as a type value; ``named`` holds the record, enum and fixed types defined so far.
    Nullable unions are their other branch; other unions are ``uniontype``."""
    if isinstance(schema, list):
        branches = [_avro_type(s, named) for s in schema if s != "null"]
        if len(branches) == 1:
            return branches[0]
        return ("uniontype", tuple(branches)) if branches else None
    if isinstance(schema, str):
        if schema in _AVRO_PRIMITIVES:
            return _AVRO_PRIMITIVES[schema]
        return named.get(schema, named.get(schema.rsplit(".", 1)[-1], "string"))
    kind, logical = schema.get("type"), schema.get("logicalType")
    if logical == "decimal":
        return f"decimal({int(schema['precision'])},{int(schema.get('scale', 0))})"
    if logical in _AVRO_LOGICAL:
        return _AVRO_LOGICAL[logical]
    if kind == "record":
        _name(schema, named, "string")  # a recursive reference reads as a string
        fields = {str(f["name"]): _avro_type(f["type"], named) for f in schema.get("fields", [])}
        return _name(schema, named, ("struct", fields))
    if kind in ("enum", "fixed"):
        return _name(schema, named, "string" if kind == "enum" else "binary")
    if kind == "array":
        return ("array", _avro_type(schema["items"], named))
    if kind == "map":
        return ("map", "string", _avro_type(schema["values"], named))
    return _avro_type(kind, named)


def _name(schema: dict, named: dict[str, Type], kind: Type) -> Type:
    """Register a named type under its name and its short name (references may use either; the
    namespaces a short name inherits are not tracked)."""
    name = str(schema.get("name", ""))
    named[name] = named[name.rsplit(".", 1)[-1]] = kind
    return kind


_BUILTINS: tuple[Callable[[_File], FileSchema | None], ...] = (
    _avro,
    _orc,
    _parquet,
    _builtin_json,
    _builtin_xml,
    _builtin_csv,
)
