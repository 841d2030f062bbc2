"""The S3 endpoint of a real ``gluelab serve``, driven with boto3 unmodified and with raw HTTP for what
boto3 will not send: multipart uploads, ranged and conditional reads, paging, presigned URLs, virtual-host
addressing, aws-chunked bodies (signed and with trailers), and S3's errors for bad input."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

import boto3
import botocore.config
import pytest
import requests
from botocore.exceptions import ClientError

MB = 1024 * 1024


def code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


# -- boto3, as users write it ---------------------------------------------------------------------------
def test_a_50_mb_upload_goes_multipart_and_downloads_whole(s3, bucket, tmp_path, warehouse):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(50 * MB))
    s3.upload_file(str(source), bucket, "raw/big.bin")  # boto3's default: 8 MB parts
    head = s3.head_object(Bucket=bucket, Key="raw/big.bin")
    assert head["ContentLength"] == 50 * MB
    assert head["ETag"].strip('"').endswith("-7")
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "raw/big.bin", str(target))
    assert target.read_bytes() == source.read_bytes()
    assert (warehouse / bucket / "raw" / "big.bin").read_bytes() == source.read_bytes()
    assert not list((warehouse / ".gluelab-s3" / "tmp").iterdir())


def test_objects_round_trip_with_metadata_and_checksums(s3, bucket):
    s3.put_object(
        Bucket=bucket,
        Key="a/b.json",
        Body=b'{"x": 1}',
        ContentType="application/json",
        Metadata={"owner": "me"},
    )
    got = s3.get_object(Bucket=bucket, Key="a/b.json", ChecksumMode="ENABLED")  # botocore checks the CRC32
    assert got["Body"].read() == b'{"x": 1}'
    assert (got["ContentType"], got["Metadata"]) == ("application/json", {"owner": "me"})
    assert got["ETag"] == '"' + hashlib.md5(b'{"x": 1}').hexdigest() + '"'
    assert got["ChecksumCRC32"] == base64.b64encode(zlib.crc32(b'{"x": 1}').to_bytes(4, "big")).decode()


def test_paginators_list_every_key_and_prefix_once(s3, bucket):
    keys = [f"day={d}/part-{p}.csv" for d in ("01", "02", "03") for p in range(3)] + ["top.txt"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    v2 = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2})
    assert [o["Key"] for page in v2 for o in page.get("Contents", [])] == sorted(keys)
    rolled = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}
    )
    pages = list(rolled)
    assert [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])] == [
        "day=01/",
        "day=02/",
        "day=03/",
    ]
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == ["top.txt"]
    v1 = s3.get_paginator("list_objects").paginate(
        Bucket=bucket, Prefix="day=02/", PaginationConfig={"PageSize": 2}
    )
    assert [o["Key"] for page in v1 for o in page.get("Contents", [])] == [
        f"day=02/part-{p}.csv" for p in range(3)
    ]


def test_ranged_and_conditional_reads(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-4")["Body"].read() == b"234"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=8-")["ContentRange"] == "bytes 8-9/10"
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=20-30")
    assert code(info.value) == "InvalidRange"
    etag = s3.head_object(Bucket=bucket, Key="r")["ETag"]
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="r", IfNoneMatch=etag)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="r", IfMatch='"other"')
    assert code(info.value) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="r", IfMatch=etag)["Body"].read() == b"0123456789"


def test_copy_delete_and_multipart_copy(s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="src", Body=b"s" * (12 * MB))
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    config = boto3.s3.transfer.TransferConfig(multipart_threshold=5 * MB, multipart_chunksize=5 * MB)
    s3.copy({"Bucket": bucket, "Key": "src"}, bucket, "dst-multipart", Config=config)  # UploadPartCopy
    for key in ("dst", "dst-multipart"):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"s" * (12 * MB)
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "src"}, {"Key": "never-was"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["never-was", "src"]
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="src")


def test_multipart_listing_and_abort(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=1, Body=b"p" * (5 * MB))
    s3.upload_part(Bucket=bucket, Key="m", UploadId=upload, PartNumber=2, Body=b"q")
    parts = s3.list_parts(Bucket=bucket, Key="m", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 5 * MB), (2, 1)]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload]
    s3.abort_multipart_upload(Bucket=bucket, Key="m", UploadId=upload)
    with pytest.raises(ClientError) as info:
        s3.list_parts(Bucket=bucket, Key="m", UploadId=upload)
    assert code(info.value) == "NoSuchUpload"


def test_buckets_named_like_livy_routes_are_not_shadowed(s3, lake_server):
    for name in ("sessions", "batches", "version"):
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key="k", Body=name.encode())
        assert s3.get_object(Bucket=name, Key="k")["Body"].read() == name.encode()
    assert {"sessions", "batches", "version"} <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    # Livy still answers its own routes on the same port, and Glue its POST /.
    request = urllib.request.Request(lake_server.url + "/sessions")
    request.add_header(
        "Authorization", "Basic " + base64.b64encode(f"x:{lake_server.token}".encode()).decode()
    )
    with urllib.request.urlopen(request) as response:
        assert "sessions" in response.read().decode()
    assert isinstance(lake_server.client().get_databases()["DatabaseList"], list)
    for name in ("sessions", "batches", "version"):
        s3.delete_object(Bucket=name, Key="k")
        s3.delete_bucket(Bucket=name)


def test_one_endpoint_url_serves_s3_glue_and_sts(lake_server, bucket):
    session = boto3.Session(
        aws_access_key_id="gluelab", aws_secret_access_key=lake_server.token, region_name="us-east-1"
    )
    os.environ["AWS_ENDPOINT_URL"] = lake_server.url
    try:
        assert bucket in [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]]
        assert isinstance(session.client("glue").get_databases()["DatabaseList"], list)
        assert session.client("sts").get_caller_identity()["Account"] == "123456789012"
    finally:
        del os.environ["AWS_ENDPOINT_URL"]


def test_presigned_urls(s3, bucket, lake_server):
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"for anyone with the link")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "shared.txt"}, ExpiresIn=60
    )
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"for anyone with the link"
    tampered = url.replace("shared.txt", "other.txt")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(tampered)
    assert info.value.code == 403 and b"SignatureDoesNotMatch" in info.value.read()
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "up.txt"}, ExpiresIn=60
    )
    assert requests.put(put_url, data=b"uploaded", timeout=30).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"uploaded"
    # Signature Version 4 presigned URLs (what boto3 makes with signature_version="s3v4").
    v4 = boto3.client(
        "s3", config=botocore.config.Config(signature_version="s3v4"), **lake_server.credentials()
    )
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up.txt"}, ExpiresIn=60)
    assert "X-Amz-Signature" in url
    assert requests.get(url, timeout=30).content == b"uploaded"
    assert requests.get(url.replace("up.txt", "shared.txt"), timeout=30).status_code == 403


def test_virtual_host_addressing(lake_server, bucket, monkeypatch):
    # Resolve *.localhost to loopback, as systemd-resolved does (this machine's resolver does not).
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real("127.0.0.1" if str(host).endswith(".localhost") else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    creds = lake_server.credentials()
    creds["endpoint_url"] = creds["endpoint_url"].replace("127.0.0.1", "localhost")
    client = boto3.client("s3", config=botocore.config.Config(s3={"addressing_style": "virtual"}), **creds)
    client.put_object(Bucket=bucket, Key="vhost.txt", Body=b"v")
    assert client.get_object(Bucket=bucket, Key="vhost.txt")["Body"].read() == b"v"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == ["vhost.txt"]


# -- raw requests: what boto3 does not send --------------------------------------------------------------
def _key(secret: str, date: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signed_headers(server, method: str, path: str, payload: str, extra: dict[str, str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """SigV4 headers for a request, written from AWS's documentation (independent of the server's code)."""
    now = dt.datetime.now(dt.UTC)
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = server.url.removeprefix("http://")
    headers = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload, **extra}
    names = sorted(headers)
    canonical = "\n".join(
        [method, path, "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), payload]
    )
    scope = f"{date}/us-east-1/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(_key(server.token, date), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=gluelab/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    headers["_signature"] = signature
    headers["_scope"] = scope
    return headers


def send(server, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
    sent = {k: v for k, v in headers.items() if not k.startswith("_") and k != "host"}
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    return response.status, response.read()


def chunked_body(
    chunks: list[bytes],
    signature: str | None,
    scope: str,
    amz_date: str,
    key: bytes,
    trailer: str = "",
    bad_chunk: int = -1,
) -> bytes:
    """An aws-chunked body; with ``signature``, each chunk signed in the chain AWS documents."""
    out, previous = b"", signature
    for index, chunk in enumerate([*chunks, b""]):
        if signature is None:
            out += f"{len(chunk):x}\r\n".encode() + chunk + (b"\r\n" if chunk else b"")
            continue
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                amz_date,
                scope,
                previous,
                hashlib.sha256(b"").hexdigest(),
                hashlib.sha256(chunk).hexdigest(),
            ]
        )
        previous = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = "0" * 64 if index == bad_chunk else previous
        out += f"{len(chunk):x};chunk-signature={sent}\r\n".encode() + chunk + (b"\r\n" if chunk else b"")
    return out + trailer.encode() + b"\r\n"


def test_signed_aws_chunked_upload_stores_only_the_data(lake_server, s3, bucket):
    chunks = [b"a" * 70000, b"b" * 1000]
    for bad in (-1, 1):
        path = f"/{bucket}/chunked-{bad}"
        headers = signed_headers(
            lake_server,
            "PUT",
            path,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": "71000"},
        )
        key = _key(lake_server.token, headers["x-amz-date"][:8])
        body = chunked_body(
            chunks, headers["_signature"], headers["_scope"], headers["x-amz-date"], key, bad_chunk=bad
        )
        status, answer = send(lake_server, "PUT", path, headers, body)
        if bad < 0:
            assert status == 200, answer
            assert s3.get_object(Bucket=bucket, Key="chunked--1")["Body"].read() == b"".join(chunks)
        else:
            assert status == 403 and b"SignatureDoesNotMatch" in answer
            with pytest.raises(s3.exceptions.NoSuchKey):
                s3.get_object(Bucket=bucket, Key="chunked-1")


@pytest.mark.parametrize("good", [True, False])
def test_unsigned_trailer_checksum_is_checked(lake_server, s3, bucket, good):
    data = b"trailing checksum " * 100
    crc = base64.b64encode(zlib.crc32(data if good else b"other").to_bytes(4, "big")).decode()
    path = f"/{bucket}/trailer-{good}"
    headers = signed_headers(
        lake_server,
        "PUT",
        path,
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        {
            "content-encoding": "aws-chunked",
            "x-amz-decoded-content-length": str(len(data)),
            "x-amz-trailer": "x-amz-checksum-crc32",
        },
    )
    body = chunked_body([data], None, "", "", b"", trailer=f"x-amz-checksum-crc32:{crc}\r\n")
    status, answer = send(lake_server, "PUT", path, headers, body)
    if good:
        assert status == 200, answer
        got = s3.get_object(Bucket=bucket, Key=path.rsplit("/", 1)[1], ChecksumMode="ENABLED")
        assert got["Body"].read() == data and got["ChecksumCRC32"] == crc
    else:
        assert status == 400 and b"BadDigest" in answer


# -- bad input -------------------------------------------------------------------------------------------
def test_unsigned_and_wrongly_signed_requests_are_refused_before_the_body(lake_server, bucket):
    host, port = lake_server.url.removeprefix("http://").split(":")
    for authorization in (
        "",
        "AWS4-HMAC-SHA256 Credential=gluelab/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    ):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            head = f"PUT /{bucket}/huge HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {1024**3}\r\n"
            if authorization:
                head += f"Authorization: {authorization}\r\nx-amz-date: 20260101T000000Z\r\n"
            sock.sendall((head + "\r\n").encode())  # the 1 GB body is never sent
            answer = sock.recv(65536).decode()
        assert answer.startswith("HTTP/1.1 403"), answer
        assert "<Code>AccessDenied</Code>" in answer or "RequestTimeTooSkewed" in answer, answer
    assert not (lake_server.home / "warehouse" / bucket / "huge").exists()


def test_wrong_secret_key_and_region(lake_server, bucket):
    creds = {**lake_server.credentials(), "aws_secret_access_key": "wrong"}
    with pytest.raises(ClientError) as info:
        boto3.client("s3", **creds).list_objects_v2(Bucket=bucket)
    assert code(info.value) == "SignatureDoesNotMatch"
    creds = {**lake_server.credentials(), "aws_access_key_id": "someone"}
    with pytest.raises(ClientError) as info:
        boto3.client("s3", **creds).list_objects_v2(Bucket=bucket)
    assert code(info.value) == "InvalidAccessKeyId"
    headers = signed_headers(lake_server, "GET", f"/{bucket}", hashlib.sha256(b"").hexdigest(), {})
    wrong_region = headers["Authorization"].replace("/us-east-1/", "/eu-west-1/")
    status, answer = send(lake_server, "GET", f"/{bucket}", {**headers, "Authorization": wrong_region})
    assert status == 400 and b"<Region>us-east-1</Region>" in answer


def test_a_body_that_does_not_match_its_signed_hash_is_refused(lake_server, s3, bucket):
    headers = signed_headers(
        lake_server, "PUT", f"/{bucket}/tampered", hashlib.sha256(b"signed").hexdigest(), {}
    )
    status, answer = send(lake_server, "PUT", f"/{bucket}/tampered", headers, b"sent instead")
    assert status == 400 and b"XAmzContentSHA256Mismatch" in answer
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"abc", ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert code(info.value) == "BadDigest"
    assert sorted(p.name for p in (lake_server.home / "warehouse" / bucket).iterdir()) == []


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a/../../escape", "InvalidArgument"),
        ("a/./b", "InvalidArgument"),
        ("a//b", "InvalidArgument"),
        ("nul\x00", "InvalidArgument"),
        ("k" * 1025, "KeyTooLongError"),
    ],
)
def test_keys_the_warehouse_cannot_hold_get_s3_errors(s3, bucket, lake_server, key, expected):
    with pytest.raises(ClientError) as info:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert code(info.value) == expected
    assert not (lake_server.home / "escape").exists()
    assert not (lake_server.home / "warehouse" / "escape").exists()


def test_folder_and_bucket_errors(s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/file", Body=b"x")
    cases = [
        (lambda: s3.get_object(Bucket=bucket, Key="dir"), "NoSuchKey"),  # a GET on a prefix
        (lambda: s3.put_object(Bucket=bucket, Key="dir", Body=b"y"), "ObjectExistsAsFolder"),
        (lambda: s3.put_object(Bucket=bucket, Key="dir/file/x", Body=b"y"), "ParentIsObject"),
        (lambda: s3.delete_bucket(Bucket=bucket), "BucketNotEmpty"),
        (lambda: s3.list_objects_v2(Bucket="no-such-bucket-here"), "NoSuchBucket"),
        (lambda: s3.create_bucket(Bucket="Bad_Name"), "InvalidBucketName"),
        (lambda: s3.get_bucket_policy(Bucket=bucket), "NotImplemented"),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as info:
            call()
        assert code(info.value) == expected, expected
    assert s3.get_object(Bucket=bucket, Key="dir/file")["Body"].read() == b"x"


def test_a_symlink_out_of_the_warehouse_is_access_denied(s3, bucket, warehouse, tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_text("root:x")
    os.symlink(secret, warehouse / bucket / "link")
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="link/passwd")
    assert code(info.value) == "AccessDenied"
    with pytest.raises(ClientError):
        s3.put_object(Bucket=bucket, Key="link/planted", Body=b"x")
    assert not (secret / "planted").exists()
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_a_large_upload_streams_to_disk(lake_server, s3, bucket, tmp_path):
    psutil = pytest.importorskip("psutil")
    source = tmp_path / "large.bin"
    with open(source, "wb") as f:
        f.truncate(300 * MB)  # sparse: cheap to make, real bytes on the wire
    server = psutil.Process(lake_server.pid)
    before = server.memory_info().rss
    with open(source, "rb") as body:
        s3.put_object(Bucket=bucket, Key="large.bin", Body=body)  # one PUT, not multipart
    grown = server.memory_info().rss - before
    assert s3.head_object(Bucket=bucket, Key="large.bin")["ContentLength"] == 300 * MB
    assert grown < 64 * MB, f"the server grew by {grown / MB:.0f} MB for a 300 MB upload"


def test_requests_go_to_the_log(lake_server, s3, bucket):
    s3.put_object(Bucket=bucket, Key=f"logged-{uuid.uuid4().hex}", Body=b"x")
    path = lake_server.home / "logs" / "server.log"
    deadline = time.monotonic() + 10  # the access line is written once the answer has gone out
    while f"s3 PutObject /{bucket}/logged-" not in path.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f"s3 PutObject /{bucket}/logged-" in path.read_text()
    assert Path(lake_server.home / "logs" / "server.log").exists()


def test_concurrent_puts_of_one_key_leave_one_whole_object_and_gets_never_see_half(lake_server, bucket):
    import threading

    def client():  # type: ignore[no-untyped-def]
        return boto3.client("s3", **lake_server.credentials())

    bodies = [bytes([97 + i]) * (3 * MB) for i in range(3)]
    client().put_object(Bucket=bucket, Key="hot", Body=bodies[0])
    seen: list[bytes] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(body: bytes) -> None:
        s3 = client()
        try:
            for _ in range(3):
                s3.put_object(Bucket=bucket, Key="hot", Body=body)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def read() -> None:
        s3 = client()
        while not stop.is_set():
            seen.append(s3.get_object(Bucket=bucket, Key="hot")["Body"].read())

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors
    assert seen and all(body in bodies for body in seen)
    assert client().get_object(Bucket=bucket, Key="hot")["Body"].read() in bodies
