"""The s3:// <-> warehouse mapping (and what it refuses) and Glue's S3 listing: recurse, exclusions, hidden
files, missing prefixes. Pure file-system tests: no Spark."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gluelab.errors import InvalidInputException
from gluelab.runtime.listing import SourceFile, list_files, parse_exclusions
from gluelab.runtime.paths import is_s3, spark_path, to_local, to_s3


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    root = tmp_path / "warehouse"
    root.mkdir()
    return root


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def uris(files: list[SourceFile]) -> list[str]:
    return [f.uri for f in files]


# -- mapping -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["s3", "s3a", "s3n", "S3", "S3A"])
def test_s3_schemes_map_into_the_warehouse(wh, scheme):
    assert is_s3(f"{scheme}://bucket/k")
    assert (
        to_local(f"{scheme}://my-bucket/raw/orders/part-0.csv", wh) == wh / "my-bucket/raw/orders/part-0.csv"
    )


def test_bucket_alone_and_trailing_slash(wh):
    assert to_local("s3://bucket", wh) == wh / "bucket"
    assert to_local("s3://bucket/", wh) == wh / "bucket"
    assert to_local("s3://bucket/dir/", wh) == wh / "bucket/dir"


def test_keys_are_literal_as_hadoop_and_s3_take_them(wh):
    # Hadoop's Path("s3://bucket/a%20b") and S3 both name the key "a%20b": no percent-decoding here either.
    assert to_local("s3://bucket/a%20b/c=1.csv", wh) == wh / "bucket/a%20b/c=1.csv"
    assert to_local("s3://bucket/a b/c?x#y.csv", wh) == wh / "bucket/a b/c?x#y.csv"
    assert to_local("s3://bucket/%2e%2e/%2e%2e/etc", wh) == wh / "bucket/%2e%2e/%2e%2e/etc"


def test_file_uri_and_absolute_path_are_local(wh, tmp_path):
    assert to_local(f"file://{tmp_path}/in/x.csv", wh) == tmp_path / "in/x.csv"
    assert to_local(f"{tmp_path}/in/x.csv", wh) == tmp_path / "in/x.csv"
    assert not is_s3(f"{tmp_path}/in/x.csv")


@pytest.mark.parametrize(
    "location", ["relative/path.csv", "hdfs://nn/x", "gs://bucket/x", "", "s3:/bucket/x"]
)
def test_other_locations_are_refused(wh, location):
    with pytest.raises(InvalidInputException):
        to_local(location, wh)


@pytest.mark.parametrize(
    "bucket",
    [
        "Upper",  # capitals
        "under_score",
        "ab",  # too short
        "a" * 64,  # too long
        "-dash",
        "dash-",
        "two..dots",
        "192.168.1.10",  # an IP address
        "xn--punycode",
        "",
    ],
)
def test_invalid_bucket_names_are_refused(wh, bucket):
    with pytest.raises(InvalidInputException, match="bucket"):
        to_local(f"s3://{bucket}/key", wh)


@pytest.mark.parametrize("bucket", ["abc", "my.bucket.name", "a1-b2", "a" * 63])
def test_valid_bucket_names(wh, bucket):
    assert to_local(f"s3://{bucket}/k", wh) == wh / bucket / "k"


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/../../etc/passwd",
        "s3://bucket/../other-bucket/key",  # into another bucket: an escape from this one
        "s3://bucket/a/../../x",
        "s3://bucket/..",
        "s3a://bucket/a/b/../../../../x",
    ],
)
def test_dot_dot_escapes_are_refused(wh, uri):
    with pytest.raises(InvalidInputException) as info:
        to_local(uri, wh)
    assert info.value.code == "InvalidInputException"
    assert "refused" in str(info.value)


def test_dot_dot_within_the_bucket_stays_in_it(wh):
    assert to_local("s3://bucket/a/../b/x.csv", wh) == wh / "bucket/b/x.csv"


def test_symlink_out_of_the_warehouse_is_refused(wh, tmp_path):
    outside = tmp_path / "outside"
    touch(outside / "secret.csv", "a,b\n")
    (wh / "bucket").mkdir()
    os.symlink(outside, wh / "bucket" / "link")
    with pytest.raises(InvalidInputException, match="outside the warehouse"):
        to_local("s3://bucket/link/secret.csv", wh)
    with pytest.raises(InvalidInputException, match="outside the warehouse"):
        to_local("s3://bucket/link", wh)
    with pytest.raises(InvalidInputException, match="outside the warehouse"):
        list_files(["s3://bucket/link/"], wh)


def test_symlinked_bucket_out_of_the_warehouse_is_refused(wh, tmp_path):
    outside = tmp_path / "elsewhere"
    touch(outside / "x.json")
    os.symlink(outside, wh / "evil")
    with pytest.raises(InvalidInputException, match="outside the warehouse"):
        to_local("s3://evil/x.json", wh)


def test_listing_refuses_a_file_symlink_pointing_outside(wh, tmp_path):
    secret = touch(tmp_path / "secret.txt", "password")
    touch(wh / "bucket/data/ok.csv")
    os.symlink(secret, wh / "bucket/data/evil.csv")
    with pytest.raises(InvalidInputException, match="outside the warehouse"):
        list_files(["s3://bucket/data/"], wh)


def test_symlink_inside_the_warehouse_is_fine(wh):
    touch(wh / "bucket/real/a.csv")
    os.symlink(wh / "bucket/real", wh / "bucket/alias")
    assert to_local("s3://bucket/alias/a.csv", wh) == wh / "bucket/alias/a.csv"
    assert uris(list_files(["s3://bucket/alias/"], wh)) == ["s3://bucket/alias/a.csv"]


def test_to_s3_is_the_inverse_inside_the_warehouse(wh, tmp_path):
    assert to_s3(wh / "bucket/dir/x.csv", wh) == "s3://bucket/dir/x.csv"
    assert to_s3(tmp_path / "elsewhere/x.csv", wh) is None
    assert to_s3(wh, wh) is None
    uri = "s3://bucket/year=2024/month=01/part 0.parquet"
    assert to_s3(to_local(uri, wh), wh) == uri


def test_spark_path_keeps_s3_for_the_lake_and_makes_local_paths_file_uris(wh, tmp_path):
    # Spark reads s3:// itself (the lake's FileSystem), so the location goes as the user wrote it, once
    # checked by the same rules.
    assert spark_path("s3://bucket/year=2024/my file.csv", wh) == "s3://bucket/year=2024/my file.csv"
    assert spark_path("s3a://bucket/out/", wh) == "s3a://bucket/out/"
    assert spark_path(f"{tmp_path}/out/", wh) == f"file://{tmp_path}/out/"
    with pytest.raises(InvalidInputException, match="refused"):
        spark_path("s3://bucket/../x", wh)


def test_to_s3_is_none_for_warehouse_folders_that_are_not_buckets(wh):
    assert to_s3(wh / "_spark" / "t", wh) is None
    assert to_s3(wh / ".gluelab-s3" / "tmp" / "x", wh) is None


# -- listing -----------------------------------------------------------------------------------------------
@pytest.fixture
def tree(wh: Path) -> Path:
    base = wh / "bucket/data"
    for name in [
        "a.csv",
        "b.json",
        "notes.tmp",
        "_SUCCESS",
        ".part-0.csv.crc",
        "part-1.csv.crc",
        ".hidden",
        "sub/c.csv",
        "sub/d.tmp",
        "sub/deeper/e.csv",
        "_temporary/0/f.csv",
        ".spark-staging/g.csv",
    ]:
        touch(base / name)
    return base


def test_listing_without_recurse_takes_the_top_level_only(wh, tree):
    assert uris(list_files(["s3://bucket/data/"], wh)) == [
        "s3://bucket/data/a.csv",
        "s3://bucket/data/b.json",
        "s3://bucket/data/notes.tmp",
    ]


def test_listing_with_recurse_descends_but_skips_hidden_folders(wh, tree):
    assert uris(list_files(["s3://bucket/data"], wh, recurse=True)) == [
        "s3://bucket/data/a.csv",
        "s3://bucket/data/b.json",
        "s3://bucket/data/notes.tmp",
        "s3://bucket/data/sub/c.csv",
        "s3://bucket/data/sub/d.tmp",
        "s3://bucket/data/sub/deeper/e.csv",
    ]


def test_listed_files_carry_local_path_size_and_mtime(wh, tree):
    (tree / "a.csv").write_text("12345")
    os.utime(tree / "a.csv", (1_700_000_000, 1_700_000_000.5))
    [a] = [f for f in list_files(["s3://bucket/data/"], wh) if f.uri.endswith("a.csv")]
    assert (a.local, a.size, a.mtime_ms) == (tree / "a.csv", 5, 1_700_000_000_500)


# "**/*.tmp" also takes the top-level file: patterns match the full s3:// URI too, as on Glue.
@pytest.mark.parametrize("exclusions", ['["**.tmp"]', ["**.tmp"], '["**/*.tmp"]', ("**.tmp",)])
def test_exclusions_as_json_string_or_list(wh, tree, exclusions):
    exclusions = list(exclusions) if isinstance(exclusions, tuple) else exclusions
    files = list_files(["s3://bucket/data/"], wh, recurse=True, exclusions=parse_exclusions(exclusions))
    assert not [u for u in uris(files) if u.endswith(".tmp")]
    assert "s3://bucket/data/sub/deeper/e.csv" in uris(files)


def test_single_star_stays_within_one_folder(wh, tree):
    files = list_files(["s3://bucket/data/"], wh, recurse=True, exclusions=["*.csv"])
    assert uris(files) == [
        "s3://bucket/data/b.json",
        "s3://bucket/data/notes.tmp",
        "s3://bucket/data/sub/c.csv",
        "s3://bucket/data/sub/d.tmp",
        "s3://bucket/data/sub/deeper/e.csv",
    ]


def test_double_star_folder_pattern_and_full_uri_pattern(wh, tree):
    files = list_files(["s3://bucket/data/"], wh, recurse=True, exclusions=["sub/**"])
    assert uris(files) == ["s3://bucket/data/a.csv", "s3://bucket/data/b.json", "s3://bucket/data/notes.tmp"]
    files = list_files(["s3://bucket/data/"], wh, recurse=True, exclusions=["s3://bucket/data/sub/**.csv"])
    assert "s3://bucket/data/sub/c.csv" not in uris(files)
    assert "s3://bucket/data/sub/d.tmp" in uris(files)
    files = list_files(["s3://bucket/data/"], wh, exclusions=["?.csv"])
    assert "s3://bucket/data/a.csv" not in uris(files)


def test_braces_and_character_classes(wh, tree):
    files = list_files(["s3://bucket/data/"], wh, recurse=True, exclusions=["**.{csv,json}"])
    assert uris(files) == ["s3://bucket/data/notes.tmp", "s3://bucket/data/sub/d.tmp"]
    files = list_files(["s3://bucket/data/"], wh, exclusions=["[a-b].*"])
    assert uris(files) == ["s3://bucket/data/notes.tmp"]
    files = list_files(["s3://bucket/data/"], wh, exclusions=["[!a].*"])
    assert uris(files) == ["s3://bucket/data/a.csv", "s3://bucket/data/notes.tmp"]


@pytest.mark.parametrize("bad", ["**.tmp", '{"a": 1}', "[unclosed"])
def test_exclusions_that_are_not_a_json_list_are_refused(bad):
    with pytest.raises(InvalidInputException, match="exclusions"):
        parse_exclusions(bad)


def test_an_unclosed_brace_is_refused(wh, tree):
    with pytest.raises(InvalidInputException, match="not a valid glob"):
        list_files(["s3://bucket/data/"], wh, exclusions=["*.{csv,json"])


def test_no_exclusions(wh, tree):
    assert parse_exclusions(None) == parse_exclusions("") == parse_exclusions("[]") == []


def test_a_missing_prefix_is_empty(wh):
    assert list_files(["s3://bucket/nothing/here/"], wh, recurse=True) == []
    assert list_files(["s3://no-such-bucket/"], wh) == []


def test_a_file_path_names_itself_and_duplicates_are_listed_once(wh, tree):
    files = list_files(["s3://bucket/data/a.csv", "s3://bucket/data/", "s3://bucket/data/a.csv"], wh)
    assert uris(files).count("s3://bucket/data/a.csv") == 1


def test_local_directories_list_too(tmp_path, wh):
    touch(tmp_path / "in/x.csv")
    touch(tmp_path / "in/_SUCCESS")
    files = list_files([f"file://{tmp_path}/in/"], wh)
    assert [f.local for f in files] == [tmp_path / "in/x.csv"]
    assert [f.local for f in list_files([str(tmp_path / "in")], wh)] == [tmp_path / "in/x.csv"]


@pytest.mark.parametrize("bad", [None, "", 3])
def test_listing_refuses_bad_path_entries(wh, bad):
    with pytest.raises(InvalidInputException, match="paths"):
        list_files([bad], wh)


def test_spark_path_of_listed_files_with_equals_and_spaces(wh):
    touch(wh / "bucket/t/year=2024/my file.csv")
    [f] = list_files(["s3://bucket/t/"], wh, recurse=True)
    assert f.uri == "s3://bucket/t/year=2024/my file.csv"
    assert f.spark_path == "s3://bucket/t/year=2024/my file.csv"
    assert f.reported == "s3://bucket/t/year=2024/my file.csv"


def test_spark_path_of_listed_files_escapes_glob_characters(wh, tmp_path):
    touch(wh / "bucket/t/a[1]{x}*.csv")
    touch(tmp_path / "in/b?.csv")
    [f] = list_files(["s3://bucket/t/"], wh)
    assert f.spark_path == "s3://bucket/t/a\\[1\\]\\{x\\}\\*.csv"
    [g] = list_files([f"{tmp_path}/in/"], wh)
    assert g.spark_path == f"file://{tmp_path}/in/b\\?.csv"
    assert g.reported == f"{tmp_path}/in/b?.csv"
