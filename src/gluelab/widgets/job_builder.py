"""JobBuilder: a form that authors an ETL job. The source (a catalog table, its schema from the catalog;
or files under a path, their schema from the crawler's classifiers); a mapping editor filled from that
schema (keep or drop, rename, cast); the target (files under a path with a format and partition keys, or
a catalog table kept up to date); a preview of the output rows (Spark); then "Create job" makes a Glue
script job or a promoted, parameterised notebook job."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as w
import nbformat

from ..crawler.classifiers import FileSchema, classify_file
from ..runtime.listing import walk_files
from ..runtime.paths import to_local
from . import job_code
from .common import default_services, error_text
from .job_code import FORMATS, TYPES, JobSpec, Mapping


class MappingRow(w.HBox):
    def __init__(self, name: str, kind: str):
        self.source, self.source_type = name, kind
        self.keep = w.Checkbox(value=True, indent=False, layout=w.Layout(width="2em"))
        self.target = w.Text(value=name, layout=w.Layout(width="14em"))
        options = list(TYPES) if kind in TYPES else [kind, *TYPES]
        self.cast = w.Dropdown(options=options, value=kind, layout=w.Layout(width="10em"))
        label = w.HTML(f"<code>{html.escape(name)}</code> {html.escape(kind)}", layout=w.Layout(width="16em"))
        super().__init__([self.keep, label, self.target, self.cast])

    def mapping(self) -> Mapping | None:
        if not self.keep.value:
            return None
        return Mapping(
            self.source, self.source_type, self.target.value.strip() or self.source, self.cast.value
        )


class JobBuilder(w.VBox):
    def __init__(self, services: Any = None, spark: Any = None, **kwargs: Any):
        self.services = services or default_services()
        self.spark = spark
        tables = [
            f"{d['Name']}.{t['Name']}"
            for d in self.services.catalog.get_databases({}).get("DatabaseList", [])
            for t in self.services.catalog.get_tables({"DatabaseName": d["Name"]}).get("TableList", [])
        ]
        self.source_kind = w.ToggleButtons(options=["catalog table", "path"], description="Source")
        self.source_table = w.Dropdown(options=tables, description="Table")
        self.source_path = w.Text(description="Path", placeholder="s3://bucket/raw/sales/")
        self.source_format = w.Dropdown(options=FORMATS, description="Format")
        self.load = w.Button(description="Load schema")
        self.rows: list[MappingRow] = []
        self.mapping_box = w.VBox()
        self.target_kind = w.ToggleButtons(options=["path", "catalog table"], description="Target")
        self.target_path = w.Text(description="Path", placeholder="s3://bucket/curated/sales/")
        self.target_format = w.Dropdown(options=FORMATS, value="parquet", description="Format")
        self.partition_keys = w.Text(description="Partitions", placeholder="year,month")
        self.target_table = w.Text(description="Table", placeholder="database.table")
        self.update_behavior = w.Dropdown(options=["UPDATE_IN_DATABASE", "LOG"], description="Updates")
        self.job_name = w.Text(description="Job name")
        self.job_kind = w.ToggleButtons(options=["script", "notebook"], description="As")
        self.preview_button = w.Button(description="Preview")
        self.preview_view = w.HTML()
        self.create = w.Button(description="Create job", button_style="primary")
        self.status = w.HTML()
        self.created: dict[str, Any] | None = None
        self.source_kind.observe(lambda change: self._layout(), names="value")
        self.target_kind.observe(lambda change: self._layout(), names="value")
        self.load.on_click(lambda button: self.load_schema())
        self.preview_button.on_click(lambda button: self.preview())
        self.create.on_click(lambda button: self.submit())
        super().__init__(**kwargs)
        self._layout()

    def _layout(self) -> None:
        source = (
            [self.source_table]
            if self.source_kind.value == "catalog table"
            else [self.source_path, self.source_format]
        )
        target = [self.target_path, self.target_format, self.partition_keys]
        if self.target_kind.value == "catalog table":
            target += [self.target_table, self.update_behavior]
        self.children = [
            self.source_kind, *source, self.load, self.mapping_box,
            self.target_kind, *target,
            self.job_name, self.job_kind, w.HBox([self.preview_button, self.create]),
            self.status, self.preview_view,
        ]  # fmt: skip

    def _say(self, text: str, error: bool = False) -> None:
        self.status.value = f"<span style='color:#b00'>{html.escape(text)}</span>" if error else text

    # -- the source's schema ------------------------------------------------------------------
    def load_schema(self) -> list[tuple[str, str]]:
        """Fill the mapping editor from the source's columns; returns them."""
        try:
            columns = (
                self._table_columns() if self.source_kind.value == "catalog table" else self._file_columns()
            )
        except Exception as exc:  # noqa: BLE001 - shown in the form
            self._say(error_text(exc), error=True)
            return []
        self.rows = [MappingRow(name, kind) for name, kind in columns]
        self.mapping_box.children = self.rows
        self._say(f"{len(columns)} column(s): uncheck to drop, edit to rename, pick a type to cast")
        return columns

    def _table_columns(self) -> list[tuple[str, str]]:
        database, _, table = (self.source_table.value or "").partition(".")
        found = self.services.catalog.get_table({"DatabaseName": database, "Name": table})["Table"]
        columns = found.get("StorageDescriptor", {}).get("Columns", []) + found.get("PartitionKeys", [])
        return [(c["Name"], c["Type"]) for c in columns]

    def _file_columns(self) -> list[tuple[str, str]]:
        root = to_local(self.source_path.value.strip(), self.services.settings.warehouse_dir)
        files = [root] if root.is_file() else walk_files(root)
        for path in files:
            found = classify_file(Path(path))
            if isinstance(found, FileSchema):
                self.source_format.value = (
                    found.classification if found.classification in FORMATS else self.source_format.value
                )
                return list(found.columns)
        raise FileNotFoundError(f"no readable data file under {self.source_path.value}")

    # -- what the form stands for ---------------------------------------------------------------
    def spec(self) -> JobSpec:
        mappings = [m for m in (row.mapping() for row in self.rows) if m is not None]
        if not mappings:
            raise ValueError("the mapping keeps no column: load the schema and keep at least one")
        if not self.target_path.value.strip():
            raise ValueError("the target needs a path")
        from_table = self.source_kind.value == "catalog table"
        return JobSpec(
            source_table=self.source_table.value if from_table else None,
            source_path=None if from_table else self.source_path.value.strip(),
            source_format=self.source_format.value,
            mappings=mappings,
            target_path=self.target_path.value.strip(),
            target_format=self.target_format.value,
            partition_keys=[k.strip() for k in self.partition_keys.value.split(",") if k.strip()],
            target_table=self.target_table.value.strip()
            if self.target_kind.value == "catalog table"
            else None,
            update_behavior=self.update_behavior.value,
        )

    def preview(self, limit: int = 10) -> list[dict[str, Any]]:
        """The first output rows, computed with Spark from the source and the mapping (nothing written)."""
        try:
            spec = self.spec()
            spark = self.spark or _spark(self.services.settings)
            from awsglue.context import GlueContext
            from awsglue.transforms import ApplyMapping

            namespace = {
                "glueContext": GlueContext(spark.sparkContext),
                "ApplyMapping": ApplyMapping,
                "source_path": spec.source_path,
            }
            exec("\n".join(job_code.read_and_map(spec)), namespace)  # noqa: S102 - the code this form generated
            rows = [r.asDict() for r in namespace["mapped"].toDF().limit(limit).collect()]
        except Exception as exc:  # noqa: BLE001 - shown in the form
            self._say(error_text(exc), error=True)
            return []
        headers = [m.target for m in spec.mappings]
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(r.get(h)))}</td>" for h in headers) + "</tr>"
            for r in rows
        )
        self.preview_view.value = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return rows

    def submit(self) -> dict[str, Any] | None:
        """Create the job: a Glue script job, or a promoted notebook job."""
        name = self.job_name.value.strip()
        try:
            if not name:
                raise ValueError("the job needs a name")
            spec = self.spec()
            folder = self.services.settings.home / "authored"
            folder.mkdir(parents=True, exist_ok=True)
            if self.job_kind.value == "script":
                script = folder / f"{name}.py"
                script.write_text(job_code.glue_script(spec))
                self.services.jobs.create_job(
                    {
                        "Name": name,
                        "Role": "gluelab",
                        "Command": {"Name": "glueetl", "ScriptLocation": str(script)},
                        "DefaultArguments": job_code.default_arguments(spec),
                    }
                )
                self.created = {"Name": name, "Script": str(script)}
            else:
                path = folder / f"{name}.ipynb"
                nbformat.write(job_code.notebook(spec), path)
                self.created = self.services.notebooks.promote_notebook(
                    {"NotebookPath": str(path), "Name": name}
                )
        except Exception as exc:  # noqa: BLE001 - shown in the form, nothing half-made is kept
            self._say(error_text(exc), error=True)
            return None
        self._say(f"Created job <b>{html.escape(name)}</b> ({self.job_kind.value})")
        return self.created


def _spark(settings: Any) -> Any:
    from pyspark.sql import SparkSession

    from ..runtime.spark import build_session

    return SparkSession.getActiveSession() or build_session(settings)
