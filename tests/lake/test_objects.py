"""The lake's object store over a warehouse folder, without HTTP: which keys it holds, S3's listing order
and paging (against a brute-force model of S3's rules), multipart joins, folders, and whole objects under
concurrent writers and readers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluelab.lake import BucketLister, Lake, Uploads
from gluelab.lake.errors import (
    AccessDenied,
    BucketNotEmpty,
    EntityTooSmall,
    InvalidArgument,
    InvalidBucketName,
    InvalidPart,
    InvalidPartOrder,
    KeyTooLongError,
    NoSuchBucket,
    NoSuchKey,
    ObjectExistsAsFolder,
    ParentIsObject,
    PreconditionFailed,
)
from gluelab.lake.multipart import MIN_PART_BYTES


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "warehouse")
    lake.warehouse.mkdir()
    lake.create_bucket("data")
    return lake


def put(lake: Lake, key: str, body: bytes = b"x", bucket: str = "data", **kwargs):  # type: ignore[no-untyped-def]
    writer = lake.writer()
    writer.write(body)
    return lake.put(bucket, key, writer.finish(), **kwargs)


def read(lake: Lake, key: str, bucket: str = "data") -> bytes:
    info, fd = lake.open(bucket, key)
    if fd is None:
        return b""
    try:
        return os.pread(fd, info.size + 1, 0)
    finally:
        os.close(fd)


# -- keys ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key",
    [
        "a",
        "a/b/c.csv",
        "dt=2024-01-01/part 0.parquet",
        "émoji-😀.txt",
        "a%20b",
        "x?y#z",
        "folder/",
        "_SUCCESS",
    ],
)
def test_keys_the_lake_holds(lake, key):
    info = put(lake, key, b"" if key.endswith("/") else b"abc")
    assert info.key == key
    assert read(lake, key) == (b"" if key.endswith("/") else b"abc")


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("a/../b", InvalidArgument),
        ("../escape", InvalidArgument),
        ("a/./b", InvalidArgument),
        ("a//b", InvalidArgument),
        ("/leading", InvalidArgument),
        ("nul\x00byte", InvalidArgument),
        ("k" * 1025, KeyTooLongError),
        ("d/" + "s" * 256, KeyTooLongError),
        ("", InvalidArgument),
    ],
)
def test_keys_it_refuses_and_nothing_is_written(lake, key, error):
    def user_files() -> list[Path]:
        return sorted(p for p in lake.warehouse.rglob("*") if lake.internal not in (p, *p.parents))

    before = user_files()
    with pytest.raises(error):
        put(lake, key)
    assert user_files() == before
    assert not list(lake.tmp_dir.iterdir())  # the received body was removed too


@pytest.mark.parametrize("name", ["UPPER", "a_b", "ab", "-x-", "192.168.0.1", "x" * 64])
def test_bucket_names_s3_refuses(lake, name):
    with pytest.raises(InvalidBucketName):
        lake.create_bucket(name)


def test_unknown_bucket_and_key(lake):
    with pytest.raises(NoSuchBucket):
        put(lake, "k", bucket="nope")
    with pytest.raises(NoSuchKey):
        lake.head("data", "missing")
    put(lake, "dir/file")
    with pytest.raises(NoSuchKey):  # a GET on a prefix
        lake.head("data", "dir")
    with pytest.raises(NoSuchKey):
        lake.head("data", "dir/file/")


def test_a_symlink_out_of_the_warehouse_is_never_read_nor_listed(lake, tmp_path):
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd").write_text("root")
    os.symlink(outside, lake.warehouse / "data" / "link")
    with pytest.raises(AccessDenied):
        lake.head("data", "link/passwd")
    with pytest.raises(AccessDenied):
        put(lake, "link/new")
    assert not (outside / "new").exists()
    listing = BucketLister(lake.warehouse).list(lake.bucket_dir("data"))
    assert [o.key for o in listing.objects] == []


# -- folders and conflicts -------------------------------------------------------------------------------
def test_an_object_cannot_also_be_a_folder(lake):
    put(lake, "a/b")
    with pytest.raises(ObjectExistsAsFolder):
        put(lake, "a")
    with pytest.raises(ParentIsObject, match="'a/b' is an object"):
        put(lake, "a/b/c")
    assert read(lake, "a/b") == b"x"


def test_deleting_the_last_key_of_a_folder_removes_the_folder(lake):
    put(lake, "x/y/z.csv")
    lake.delete("data", "x/y/z.csv")
    assert not (lake.warehouse / "data" / "x").exists()
    lake.delete("data", "x/y/z.csv")  # deleting what is not there is not an error, as on S3
    with pytest.raises(BucketNotEmpty):
        put(lake, "keep")
        lake.delete_bucket("data")


def test_if_none_match_creates_only_a_new_key(lake):
    put(lake, "once", b"1", if_none_match=True)
    with pytest.raises(PreconditionFailed):
        put(lake, "once", b"2", if_none_match=True)
    assert read(lake, "once") == b"1"


def test_a_file_changed_outside_the_endpoint_loses_its_md5_etag(lake):
    info = put(lake, "f", b"hello", content_type="text/plain", metadata={"k": "v"})
    assert info.etag == "5d41402abc4b2a76b9719d911017c592"
    assert (info.content_type, info.metadata) == ("text/plain", {"k": "v"})
    (lake.warehouse / "data" / "f").write_bytes(b"rewritten by Spark")
    again = lake.head("data", "f")
    assert again.etag.endswith("-1") and again.size == 18
    assert again.metadata == {}


# -- listing -------------------------------------------------------------------------------------------
def model(keys: set[str], prefix: str, delimiter: str) -> list[tuple[str, str]]:
    """S3's listing rules by brute force: keys in UTF-8 order, rolled up at the delimiter."""
    items: list[tuple[str, str]] = []
    for key in sorted(keys, key=lambda k: k.encode()):
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            common = key[: cut + len(delimiter)]
            if ("prefix", common) not in items[-1:]:
                items.append(("prefix", common))
        else:
            items.append(("key", key))
    return items


def pages(lister, bucket_dir, prefix, delimiter, size):  # type: ignore[no-untyped-def]
    items, after = [], ""
    for _ in range(1000):
        page = lister.list(bucket_dir, prefix, delimiter, after, size)
        items += [("key", o.key) for o in page.objects] + [("prefix", p) for p in page.prefixes]
        if not page.truncated:
            return items
        after = page.resume_after
    raise AssertionError("listing never ended")


def representable(keys: list[str]) -> set[str]:
    """Keys a folder tree can hold together: no key is also a folder of another."""
    kept: set[str] = set()
    for key in keys:
        parts = key.split("/")
        folders = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if key in {"/".join(k.split("/")[:i]) for k in kept for i in range(1, k.count("/") + 1)}:
            continue
        if folders & kept:
            continue
        kept.add(key)
    return kept


segment = st.text(alphabet="ab-0/é~", min_size=1, max_size=3).filter(lambda s: "/" not in s)
key_strategy = st.lists(segment, min_size=1, max_size=3).map("/".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.lists(key_strategy, min_size=1, max_size=25),
    prefix=st.sampled_from(["", "a", "a/", "b-", "é", "a/b"]),
    delimiter=st.sampled_from(["", "/", "-"]),
    size=st.integers(min_value=1, max_value=7),
)
def test_listing_matches_s3s_rules_page_by_page(tmp_path_factory, keys, prefix, delimiter, size):
    lake = Lake(tmp_path_factory.mktemp("w"))
    lake.create_bucket("data")
    stored = representable(keys)
    for key in stored:
        put(lake, key)
    lister = BucketLister(lake.warehouse)
    sorted_by_page = pages(lister, lake.bucket_dir("data"), prefix, delimiter, size)
    expected = model(stored, prefix, delimiter)
    # A page lists its keys before its common prefixes; sort within the whole listing to compare.
    assert sorted(sorted_by_page, key=lambda i: i[1].encode()) == expected
    assert len(sorted_by_page) == len(expected)


def test_empty_folders_are_their_keys_and_roll_up(lake):
    put(lake, "logs/", b"")
    put(lake, "data.csv")
    lister = BucketLister(lake.warehouse)
    assert [o.key for o in lister.list(lake.bucket_dir("data")).objects] == ["data.csv", "logs/"]
    rolled = lister.list(lake.bucket_dir("data"), delimiter="/")
    assert ([o.key for o in rolled.objects], rolled.prefixes) == (["data.csv"], ["logs/"])
    inside = lister.list(lake.bucket_dir("data"), prefix="logs/", delimiter="/")
    assert [o.key for o in inside.objects] == ["logs/"]


def test_start_after_inside_a_rolled_up_folder_keeps_the_folder(lake):
    for key in ("a/1", "a/2", "b"):
        put(lake, key)
    lister = BucketLister(lake.warehouse)
    page = lister.list(lake.bucket_dir("data"), delimiter="/", after="a/1")
    assert (page.prefixes, [o.key for o in page.objects]) == (["a/"], ["b"])
    page = lister.list(lake.bucket_dir("data"), delimiter="/", after="a/2")
    assert (page.prefixes, [o.key for o in page.objects]) == ([], ["b"])


def test_a_large_folder_is_listed_in_pages_and_sees_new_keys(lake):
    for i in range(600):
        put(lake, f"f/{i:04d}")
    lister = BucketLister(lake.warehouse)
    folder = lake.bucket_dir("data")
    first = lister.list(folder, prefix="f/", max_keys=500)
    assert first.truncated and first.objects[-1].key == "f/0499"
    put(lake, "f/0599a")  # right after a listing: must show, cached or not
    rest = lister.list(folder, prefix="f/", after=first.resume_after, max_keys=500)
    assert [o.key for o in rest.objects][-2:] == ["f/0599", "f/0599a"]


# -- multipart -----------------------------------------------------------------------------------------
def part(lake: Lake, uploads: Uploads, upload, number: int, body: bytes):  # type: ignore[no-untyped-def]
    writer = lake.writer()
    writer.write(body)
    return uploads.add_part(upload, number, writer.finish())


def test_multipart_joins_parts_with_s3s_etag(lake):
    import hashlib

    uploads = Uploads(lake)
    upload = uploads.create("data", "big.bin", "application/x-test", {"a": "b"}, None)
    bodies = [b"1" * MIN_PART_BYTES, b"2" * MIN_PART_BYTES, b"3" * 10]
    parts = [part(lake, uploads, upload, n, body) for n, body in enumerate(bodies, 1)]
    info = uploads.complete(upload, [(p.number, p.etag, {}) for p in parts])
    md5s = b"".join(hashlib.md5(b).digest() for b in bodies)
    assert info.etag == hashlib.md5(md5s).hexdigest() + "-3"
    assert read(lake, "big.bin") == b"".join(bodies)
    assert (info.content_type, info.metadata) == ("application/x-test", {"a": "b"})
    assert not (uploads.root / upload.upload_id).exists()


def test_multipart_refusals_keep_the_upload(lake):
    uploads = Uploads(lake)
    upload = uploads.create("data", "k", None, {}, None)
    small = part(lake, uploads, upload, 1, b"small")
    last = part(lake, uploads, upload, 2, b"last")
    with pytest.raises(EntityTooSmall):
        uploads.complete(upload, [(1, small.etag, {}), (2, last.etag, {})])
    with pytest.raises(InvalidPartOrder):
        uploads.complete(upload, [(2, last.etag, {}), (1, small.etag, {})])
    with pytest.raises(InvalidPart):
        uploads.complete(upload, [(1, "0" * 32, {})])
    with pytest.raises(NoSuchKey):
        lake.head("data", "k")
    assert [p.number for p in uploads.parts(upload)] == [1, 2]
    assert uploads.complete(upload, [(2, last.etag, {})]).size == 4


# -- whole objects -------------------------------------------------------------------------------------
def test_concurrent_writers_leave_one_whole_object_and_readers_never_see_half(lake):
    size = 2 * 1024 * 1024
    bodies = [bytes([65 + i]) * size for i in range(4)]
    seen: list[bytes] = []
    stop = threading.Event()

    def write(body: bytes) -> None:
        for _ in range(5):
            put(lake, "hot.bin", body)

    def read_loop() -> None:
        while not stop.is_set():
            try:
                seen.append(read(lake, "hot.bin"))
            except NoSuchKey:
                pass

    put(lake, "hot.bin", bodies[0])
    readers = [threading.Thread(target=read_loop) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert seen and all(s in bodies for s in seen)
    assert read(lake, "hot.bin") in bodies
    assert not list(lake.tmp_dir.iterdir())


def test_abandoned_bodies_and_uploads_are_removed_after_a_while(lake):
    import json as json_
    import time as time_

    uploads = Uploads(lake)
    fresh = uploads.create("data", "fresh", None, {}, None)
    old = uploads.create("data", "old", None, {}, None)
    record = uploads.root / old.upload_id / "upload.json"
    stored = json_.loads(record.read_text())
    stored["initiated"] = "2020-01-01T00:00:00+00:00"
    record.write_text(json_.dumps(stored))
    assert uploads.remove_stale(days=7) == 1
    assert [u.key for u in uploads.list("data")] == ["fresh"] and fresh.upload_id
    writer = lake.writer()
    writer.write(b"half an upload the server never finished")
    os.close(writer.fd)  # as a crash would leave it
    writer.fd = None
    day_ago = time_.time() - 2 * 24 * 3600
    os.utime(writer.path, (day_ago, day_ago))
    assert lake.remove_stale_temporaries() == 1 and not writer.path.exists()
