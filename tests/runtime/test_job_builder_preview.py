"""The JobBuilder's preview: the source read and the mapping applied with Spark (the shared session), the
first output rows shown, nothing written."""

from __future__ import annotations

from pathlib import Path

from gluelab.services import open_services
from gluelab.widgets import JobBuilder


def test_preview_shows_the_mapped_rows(spark: object, glue_ctx: object, warehouse: Path) -> None:
    raw = warehouse / "raw" / "people"
    raw.mkdir(parents=True)
    (raw / "p.csv").write_text("id,name,age\n1,ada,36\n2,alan,41\n")
    services = open_services()
    try:
        builder = JobBuilder(services=services, spark=spark)
        builder.source_kind.value = "path"
        builder.source_path.value = "s3://raw/people/"
        builder.load_schema()
        rows = {row.source: row for row in builder.rows}
        rows["age"].keep.value = False
        rows["name"].target.value = "who"
        builder.target_path.value = "s3://out/people/"
        builder.preview_button.click()
        assert "<th>who</th>" in builder.preview_view.value and "<td>alan</td>" in builder.preview_view.value
        assert sorted((r["id"], r["who"]) for r in builder.preview(limit=5)) == [(1, "ada"), (2, "alan")]
        assert not (warehouse / "out").exists()
    finally:
        services.close()
