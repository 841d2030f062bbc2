"""What an empty write removes: only what holds no row (issue 21, point 5), never a file another writer
added to the same folder meanwhile."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq

from gluelab.runtime.formats import _entries, _remove_new_entries


def test_an_empty_write_removes_its_markers_and_rowless_files_and_keeps_everything_else(tmp_path):
    target = tmp_path / "curated" / "orders"
    target.mkdir(parents=True)
    pq.write_table(pa.table({"id": [1]}), target / "part-00000-old.snappy.parquet")
    before = _entries(target)
    # What Spark leaves after a write of no rows, and what a concurrent writer added meanwhile.
    pq.write_table(pa.table({"id": pa.array([], pa.int64())}), target / "part-00000-empty.snappy.parquet")
    (target / "_SUCCESS").write_bytes(b"")
    pq.write_table(pa.table({"id": [2, 3]}), target / "part-00000-other.snappy.parquet")
    _remove_new_entries(before, "parquet", 0)
    assert sorted(p.name for p in target.iterdir()) == [
        "part-00000-old.snappy.parquet",
        "part-00000-other.snappy.parquet",
    ]


def test_new_folders_go_only_when_nothing_with_rows_is_in_them(tmp_path):
    (tmp_path / "curated").mkdir()
    before = _entries(tmp_path / "curated" / "daily" / "csv")
    made = tmp_path / "curated" / "daily" / "csv"
    made.mkdir(parents=True)
    (made / "part-00000-a.csv").write_text("id,amount\n")  # the header alone
    (made / "part-00001-a.csv.gz").write_bytes(gzip.compress(b"id,amount\n"))
    (made / "_SUCCESS").write_bytes(b"")
    _remove_new_entries(before, "csv", 1)
    assert not (tmp_path / "curated" / "daily").exists()

    made.mkdir(parents=True)
    (made / "part-00000-b.csv").write_text("7,12.5\n")  # one row, written without a header
    before = (tmp_path / "curated" / "daily", None)
    _remove_new_entries(before, "csv", 0)
    assert (made / "part-00000-b.csv").read_text() == "7,12.5\n"
