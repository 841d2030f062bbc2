"""How a catalog table's storage descriptor names its data format, both ways: the SerDe, input/output
formats and ``classification`` a format is written with, and the format (with Glue format_options) a
table's descriptor means. Shared by the runtime's catalog reads and writes and by crawlers."""

from __future__ import annotations

from typing import Any

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

SERDES: dict[str, dict[str, str]] = {
    "parquet": {
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    },
    "orc": {
        "InputFormat": "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    },
    "json": {
        "InputFormat": TEXT_INPUT,
        "OutputFormat": TEXT_OUTPUT,
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
    },
    "csv": {
        "InputFormat": TEXT_INPUT,
        "OutputFormat": TEXT_OUTPUT,
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
    },
    "xml": {
        "InputFormat": "com.ibm.spss.hive.serde2.xml.XmlInputFormat",
        "OutputFormat": TEXT_OUTPUT,
        "SerializationLibrary": "com.ibm.spss.hive.serde2.xml.XmlSerDe",
    },
    "avro": {
        "InputFormat": "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
    },
}
JDBC_CLASSIFICATIONS = ("postgresql", "mysql")


def storage_for(
    fmt: str, format_options: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(StorageDescriptor fields without Columns/Location, table Parameters) for writing ``fmt``."""
    name = "parquet" if fmt == "glueparquet" else fmt
    serde = SERDES[name]
    options = format_options or {}
    serde_params: dict[str, str] = {}
    params = {"classification": name}
    if name == "csv":
        serde_params["field.delim"] = str(options.get("separator", ","))
        if str(options.get("writeHeader", True)).lower() == "true":
            params["skip.header.line.count"] = "1"
        params["delimiter"] = serde_params["field.delim"]
    if name == "json":
        serde_params["paths"] = ""
    if name == "xml" and options.get("rowTag"):
        params["rowTag"] = str(options["rowTag"])
    descriptor = {
        "InputFormat": serde["InputFormat"],
        "OutputFormat": serde["OutputFormat"],
        "SerdeInfo": {"SerializationLibrary": serde["SerializationLibrary"], "Parameters": serde_params},
        "Compressed": False,
        "NumberOfBuckets": -1,
        "StoredAsSubDirectories": False,
    }
    if not serde_params or serde_params == {"paths": ""}:
        descriptor["SerdeInfo"].pop("Parameters")
    return descriptor, params


def format_of(table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Glue format and format_options a catalog table's data is read with."""
    params = table.get("Parameters") or {}
    descriptor = table.get("StorageDescriptor") or {}
    serde = descriptor.get("SerdeInfo") or {}
    serde_params = serde.get("Parameters") or {}
    library = (serde.get("SerializationLibrary") or "").lower()
    classification = (
        params.get("classification") or descriptor.get("Parameters", {}).get("classification") or ""
    ).lower()
    if not classification:
        input_format = (descriptor.get("InputFormat") or "").lower()
        for name, known in SERDES.items():
            if (
                known["SerializationLibrary"].lower() == library
                or known["InputFormat"].lower() == input_format
            ):
                if name in ("json", "csv") and known["SerializationLibrary"].lower() != library:
                    continue
                classification = name
                break
        if "opencsvserde" in library or "lazysimpleserde" in library:
            classification = "csv"
    options: dict[str, Any] = {}
    if classification == "csv":
        delimiter = (
            serde_params.get("field.delim") or serde_params.get("separatorChar") or params.get("delimiter")
        )
        if delimiter:
            options["separator"] = delimiter
        if serde_params.get("quoteChar"):
            options["quoteChar"] = serde_params["quoteChar"]
        if serde_params.get("escapeChar"):
            options["escaper"] = serde_params["escapeChar"]
        header = params.get("skip.header.line.count") or serde_params.get("skip.header.line.count")
        options["withHeader"] = str(header or "0") != "0"
    if classification == "xml" and params.get("rowTag"):
        options["rowTag"] = params["rowTag"]
    if classification == "json" and params.get("jsonPath"):
        options["jsonPath"] = params["jsonPath"]
    return classification, options
