"""The code a JobBuilder generates: a Glue ETL script, or a parameterised notebook, that reads a source (a
catalog table, or files under a path), applies a mapping (rename, cast, drop) and writes a target (files
under a path, optionally partitioned, or a catalog table kept up to date with ``enableUpdateCatalog``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nbformat

FORMATS = ("csv", "json", "parquet", "orc")
TYPES = ("string", "int", "bigint", "double", "float", "boolean", "date", "timestamp", "decimal(10,2)")


@dataclass
class Mapping:
    source: str
    source_type: str
    target: str
    target_type: str


@dataclass
class JobSpec:
    source_table: str | None = None  # "database.table"
    source_path: str | None = None
    source_format: str = "csv"
    mappings: list[Mapping] = field(default_factory=list)
    target_path: str = ""
    target_format: str = "parquet"
    partition_keys: list[str] = field(default_factory=list)
    target_table: str | None = None  # "database.table", kept up to date in the catalog
    update_behavior: str = "UPDATE_IN_DATABASE"


def _source_lines(spec: JobSpec) -> list[str]:
    if spec.source_table:
        database, table = spec.source_table.split(".", 1)
        return [
            "source = glueContext.create_dynamic_frame.from_catalog(",
            f"    database={database!r}, table_name={table!r}, transformation_ctx='source'",
            ")",
        ]
    options = "{'withHeader': True}" if spec.source_format == "csv" else "{}"
    return [
        "source = glueContext.create_dynamic_frame.from_options(",
        "    connection_type='s3',",
        "    connection_options={'paths': [source_path], 'recurse': True},",
        f"    format={spec.source_format!r},",
        f"    format_options={options},",
        "    transformation_ctx='source',",
        ")",
    ]


def read_and_map(spec: JobSpec) -> list[str]:
    """The lines that read the source and map it (``mapped``): what a preview runs."""
    mappings = ",\n".join(
        f"        ({m.source!r}, {m.source_type!r}, {m.target!r}, {m.target_type!r})" for m in spec.mappings
    )
    return [
        *_source_lines(spec),
        "mapped = ApplyMapping.apply(",
        "    frame=source,",
        "    mappings=[",
        mappings + ",",
        "    ],",
        "    transformation_ctx='mapped',",
        ")",
    ]


def _body(spec: JobSpec) -> list[str]:
    lines = read_and_map(spec)
    if spec.target_table:
        database, table = spec.target_table.split(".", 1)
        lines += [
            "sink = glueContext.getSink(",
            "    connection_type='s3', path=target_path, enableUpdateCatalog=True,",
            f"    updateBehavior={spec.update_behavior!r}, partitionKeys={spec.partition_keys!r},",
            ")",
            f"sink.setFormat({spec.target_format!r})",
            f"sink.setCatalogInfo(catalogDatabase={database!r}, catalogTableName={table!r})",
            "sink.writeFrame(mapped)",
        ]
    else:
        lines += [
            "glueContext.write_dynamic_frame.from_options(",
            "    frame=mapped,",
            "    connection_type='s3',",
            f"    connection_options={{'path': target_path, 'partitionKeys': {spec.partition_keys!r}}},",
            f"    format={spec.target_format!r},",
            ")",
        ]
    return lines


def glue_script(spec: JobSpec) -> str:
    """A Glue ETL script; the paths are job arguments (``--source_path``, ``--target_path``) with the
    builder's values as the job's defaults."""
    names = ["JOB_NAME", "target_path"] + ([] if spec.source_table else ["source_path"])
    lines = [
        "import sys",
        "",
        "from awsglue.context import GlueContext",
        "from awsglue.job import Job",
        "from awsglue.transforms import ApplyMapping",
        "from awsglue.utils import getResolvedOptions",
        "from pyspark.context import SparkContext",
        "",
        f"args = getResolvedOptions(sys.argv, {names!r})",
        "glueContext = GlueContext(SparkContext.getOrCreate())",
        "job = Job(glueContext)",
        "job.init(args['JOB_NAME'], args)",
        "target_path = args['target_path']",
        *([] if spec.source_table else ["source_path = args['source_path']"]),
        "",
        *_body(spec),
        "job.commit()",
    ]
    return "\n".join(lines) + "\n"


def default_arguments(spec: JobSpec) -> dict[str, str]:
    arguments = {"--target_path": spec.target_path}
    if not spec.source_table:
        arguments["--source_path"] = spec.source_path or ""
    return arguments


def notebook(spec: JobSpec) -> Any:
    """A notebook for the same job: a ``parameters`` cell (the paths), then the code in cells."""
    parameters = [f"target_path = {spec.target_path!r}  # where the output goes"]
    if not spec.source_table:
        parameters.insert(0, f"source_path = {spec.source_path!r}  # the files read")
    tagged = nbformat.v4.new_code_cell("\n".join(parameters))
    tagged.metadata["tags"] = ["parameters"]
    setup = "\n".join(
        [
            "from awsglue.context import GlueContext",
            "from awsglue.transforms import ApplyMapping",
            "from pyspark.context import SparkContext",
            "",
            "glueContext = GlueContext(SparkContext.getOrCreate())",
        ]
    )
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "glue_pyspark_local",
        "display_name": "Glue PySpark (local)",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Generated by gluelab's JobBuilder"),
        tagged,
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("\n".join(_body(spec))),
        nbformat.v4.new_code_cell("print('rows written:', mapped.count())"),
    ]
    return nb
