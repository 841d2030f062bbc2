"""Property-based fuzzing of the S3 endpoint over real HTTP, against a real ``gluelab serve`` (S3 keeps
nothing in the store, so SQLite alone): random methods on the service, bucket and object paths with
hostile bucket names and keys (``..``, NUL, lone surrogates, 1 KiB and more, leading and doubled
slashes), sub-resources and query values, headers (ranges, copy sources, conditions, checksums, payload
hashes, aws-chunked without its framing) and bodies, signed as botocore signs, presigned, signed and then
tampered with, signed with another key, and not signed at all. For every request:

1. the server never answers 5xx;
2. every 4xx is S3's XML error document (a HEAD's, its ``x-amz-error-code`` header);
3. nothing is written in the home outside the warehouse.

``GLUELAB_FUZZ_EXAMPLES`` (default 50) sets the examples per test; raise it for a longer hunt.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import boto3
import botocore.config
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st

from tests.api.test_fuzz import FUZZ_SETTINGS, HUGE_INTS, SHORT_TEXT
from tests.helpers import ServerProcess
from tests.security.test_bodies import Answer, exchange

BUCKET = "fuzz-bucket"
LIVY_NAMES = {"", "sessions", "batches", "version", "ping"}  # unsigned, these paths are Livy's or Glue's


def escaped(text: str, safe: str = "") -> str:
    return quote(text, safe=safe, errors="surrogatepass")


# -- strategies --------------------------------------------------------------------------------------
# fmt: off
BUCKETS = st.one_of(
    st.sampled_from([
        BUCKET, BUCKET, BUCKET, "missing-bucket", "new-bucket", "UPPER", "a", "ab", "x" * 63, "x" * 64,
        "under_score", "..", ".", "-start", "end-", "a..b", "192.168.0.1", "xn--abc", f"{BUCKET}.",
        "sessions", "%2e%2e", "b\x00", "\u00e9t\u00e9",
    ]),
    SHORT_TEXT,
)
KEYS = st.one_of(
    st.sampled_from([
        "seed.txt", "dir/", "dir/inner.txt", "new.txt", "../escape", "a/../../b", "/leading", "a//b", ".",
        "..", "./x", "dir/../seed.txt", "k" * 1024, "k" * 1025, "nul\x00", "\ud800", "%", "%ff", "a\\b",
        "\U0001f600", "\n", " ", ".gluelab", "_temporary/0", "dir/.hidden", "?", "#", "a;b", "\x7f",
    ]),
    SHORT_TEXT,
    st.lists(SHORT_TEXT, min_size=2, max_size=4).map("/".join),
)
SUBRESOURCES = [
    "uploads", "uploadId", "partNumber", "delete", "list-type", "prefix", "delimiter", "max-keys",
    "max-uploads", "max-parts", "part-number-marker", "continuation-token", "start-after", "marker",
    "encoding-type", "fetch-owner", "key-marker", "upload-id-marker", "versionId", "acl", "tagging",
    "select", "location", "versioning", "response-content-type", "x-id", "attributes", "cors",
]
QUERY_VALUES = st.one_of(
    st.sampled_from([
        "", "0", "1", "-1", "2", "1000", "1001", "10000", "10001", "abc", "url", "true", "1.5", "\u0663",
        "/", "dir/", "%ff", "bm90LWEtdG9rZW4=", "eyJrIjogMX0=", "!!!", "x" * 2000,
    ]),
    st.sampled_from(HUGE_INTS).map(str), SHORT_TEXT,
)
HEADERS = {
    "Range": st.sampled_from(["bytes=0-0", "bytes=5-1", "bytes=-0", "bytes=0-", "bytes=99999999999999999999-",
                              "bytes=0-1,2-3", "lines=0-1", "bytes=", "bytes=-99999999999999999999"]),
    "x-amz-copy-source": st.one_of(SHORT_TEXT.map(escaped), st.sampled_from([
        f"{BUCKET}/seed.txt", f"/{BUCKET}/seed.txt", "/", "", f"{BUCKET}/missing", "missing-bucket/k",
        "../../etc/passwd", f"{BUCKET}/seed.txt?versionId=1", f"{BUCKET}/%ff",
    ])),
    "x-amz-copy-source-range": st.sampled_from(["bytes=0-0", "bytes=9-1", "junk"]),
    "If-Match": st.sampled_from(['"abc"', "*", "", "\"\""]),
    "If-None-Match": st.sampled_from(['"abc"', "*", ""]),
    "If-Modified-Since": st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "yesterday", "", "0"]),
    "If-Unmodified-Since": st.sampled_from(["Wed, 21 Oct 2099 07:28:00 GMT", "not a date"]),
    "Content-MD5": st.sampled_from(["", "1B2M2Y8AsgTpgAmY7PhCfg==", "not base64", "AAAA"]),
    "x-amz-checksum-crc32": st.sampled_from(["AAAAAA==", "junk", ""]),
    "x-amz-checksum-sha256": st.sampled_from(["junk", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]),
    "x-amz-sdk-checksum-algorithm": st.sampled_from(["CRC32", "SHA1", "MD5", "junk"]),
    "x-amz-trailer": st.sampled_from(["x-amz-checksum-crc32", "x-amz-checksum-junk", ""]),
    "x-amz-decoded-content-length": st.sampled_from(["0", "5", "-1", "abc", "99999999999999999999"]),
    "Content-Encoding": st.sampled_from(["aws-chunked", "gzip", "aws-chunked, gzip", ""]),
    "x-amz-meta-fuzz": st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    "x-amz-metadata-directive": st.sampled_from(["COPY", "REPLACE", "junk"]),
    "x-amz-storage-class": st.sampled_from(["STANDARD", "GLACIER", "junk"]),
    "Content-Type": st.sampled_from(["application/xml", "text/plain", "", "x/y; charset=junk"]),
}
PAYLOAD_HASHES = st.sampled_from([
    "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "0" * 64, "junk", "",
])
XML_BODIES = st.sampled_from([
    b"", b"<", b"<Delete></Delete>", b"<Delete><Object><Key>seed.txt</Key></Object></Delete>",
    b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
    b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>',
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Delete><Object><Key>&c;</Key></Object></Delete>',
    b"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>",
    b"\xff\xfe<\x00", b"<Delete><Object><Key>\x00</Key></Object></Delete>",
])
BODIES = st.one_of(XML_BODIES, st.binary(max_size=256), st.sampled_from([b"x" * 70_000, b"0\r\n\r\n"]))
SIGNINGS = st.sampled_from(
    ["signed"] * 5 + ["presigned", "tampered", "stranger", "elsewhere", "unsigned", "unsigned"]
)
# fmt: on


def sign(
    server: ServerProcess, signing: str, method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[str, dict[str, str]]:
    """The URL and headers of the request, signed (or not) the way ``signing`` names."""
    if signing == "unsigned":
        return url, headers
    key_id = "stranger" if signing == "stranger" else "gluelab"
    credentials = Credentials(key_id, server.token)
    region = "eu-west-1" if signing == "elsewhere" else "us-east-1"
    if signing == "presigned":  # the URL is signed, the body is not
        request = AWSRequest(method=method, url=server.url + url, headers=headers)
        S3SigV4QueryAuth(credentials, "s3", region, expires=60).add_auth(request)
        return request.url.removeprefix(server.url), headers
    request = AWSRequest(method=method, url=server.url + url, data=body, headers=headers)
    S3SigV4Auth(credentials, "s3", region).add_auth(request)
    signed = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    if signing == "tampered":
        signed["X-Amz-Date"] = "20200101T000000Z"
    return url, signed


def is_s3_error(answer: Answer, method: str) -> bool:
    if method == "HEAD":
        return bool(answer.headers.get("x-amz-error-code")) or answer.status in (304, 412)
    if answer.status == 304:
        return True
    return answer.body.startswith(b"<?xml") and b"<Error><Code>" in answer.body and b"</Code>" in answer.body


def not_implemented(answer: Answer, method: str) -> bool:
    """S3's own 501 for what this endpoint does not serve (a sub-resource, POST on a bucket but ?delete);
    a HEAD answer has no body, so its code is in ``x-amz-error-code``."""
    if answer.status != 501:
        return False
    if method == "HEAD":
        return answer.headers.get("x-amz-error-code") == "NotImplemented"
    return b"<Code>NotImplemented</Code>" in answer.body


def outside_warehouse(home: Path) -> set[str]:
    """Files in the home but not in the warehouse or the logs (which requests may write)."""
    skip = {home / "warehouse", home / "logs"}
    return {str(p.relative_to(home)) for p in home.rglob("*") if not any(p.is_relative_to(s) for s in skip)}


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("fuzz-s3") / "home", GLUELAB_SCHEDULER="false").start()
    config = botocore.config.Config(retries={"max_attempts": 1})
    s3 = boto3.client("s3", config=config, **server.credentials())
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="seed.txt", Body=b"seed")
    s3.put_object(Bucket=BUCKET, Key="dir/inner.txt", Body=b"inner")
    server.files = outside_warehouse(server.home)  # type: ignore[attr-defined]
    yield server
    server.stop()


def check(
    server: ServerProcess,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    host: str | None = None,
) -> Answer:
    chunked = "chunked" in headers.pop("_chunked", "")
    answer = exchange(server, method, url, headers, body, chunked=chunked, host=host)
    where = f"{method} {url[:300]} headers={headers} body={body[:300]!r}"
    assert answer.status is not None, f"no answer: {where}\n{server.output()[-3000:]}"
    assert answer.status < 500 or not_implemented(answer, method), (
        f"{answer.status} {answer.body[:1000]!r}: {where}\n{server.output()[-3000:]}"
    )
    if answer.status >= 300:
        assert is_s3_error(answer, method), f"not S3's error: {answer.status} {answer.body[:500]!r}: {where}"
    assert outside_warehouse(server.home) == server.files, f"wrote outside the warehouse: {where}"  # type: ignore[attr-defined]
    return answer


@FUZZ_SETTINGS
@given(data=st.data())
def test_any_request_on_buckets_and_objects(s3_server: ServerProcess, data: st.DataObject) -> None:
    method = data.draw(st.sampled_from(["GET", "HEAD", "PUT", "POST", "DELETE"]), label="method")
    signing = data.draw(SIGNINGS, label="signing")
    bucket = data.draw(BUCKETS, label="bucket")
    if signing == "unsigned" and bucket in LIVY_NAMES:
        bucket = BUCKET  # unsigned, that path is Livy's (tests/security/test_fuzz_livy.py)
    shape = data.draw(st.sampled_from(["service", "bucket", "object", "object", "object"]), label="shape")
    key = data.draw(KEYS, label="key")
    if shape == "service" and method == "POST":
        method = "GET"  # POST / is Glue's and STS's, whatever its signature (tests/api/test_fuzz.py)
    url = "/" if shape == "service" and signing != "unsigned" else f"/{escaped(bucket)}"
    if shape == "object":
        url += "/" + escaped(key, safe=data.draw(st.sampled_from(["", "/"]), label="slashes kept"))
    query = data.draw(
        st.lists(st.tuples(st.sampled_from(SUBRESOURCES) | SHORT_TEXT, QUERY_VALUES), max_size=3)
    )
    if query:
        url += "?" + "&".join(
            escaped(k) + ("" if v == "" and k in SUBRESOURCES[:4] else "=" + escaped(v)) for k, v in query
        )
    headers = {
        name: data.draw(HEADERS[name], label=name)
        for name in data.draw(st.sets(st.sampled_from(sorted(HEADERS)), max_size=4))
    }
    body = data.draw(BODIES if method in ("PUT", "POST") else st.just(b""), label="body")
    url, headers = sign(s3_server, signing, method, url, headers, body)
    if data.draw(st.booleans(), label="payload hash after signing"):
        headers["x-amz-content-sha256"] = data.draw(PAYLOAD_HASHES)
    if method == "PUT" and data.draw(st.booleans(), label="chunked"):
        headers["_chunked"] = "chunked"
    check(s3_server, method, url, headers, body)


@FUZZ_SETTINGS
@given(data=st.data())
def test_virtual_host_requests(s3_server: ServerProcess, data: st.DataObject) -> None:
    """``bucket.localhost``: S3's whatever the path, signed or not."""
    method = data.draw(st.sampled_from(["GET", "HEAD", "PUT", "DELETE"]), label="method")
    bucket = data.draw(st.sampled_from([BUCKET, "missing-bucket", "UPPER", "a_b", "x" * 70]), label="bucket")
    key = data.draw(KEYS, label="key")
    host = f"{bucket}.localhost:{s3_server.info['port']}"
    url = "/" + escaped(key, safe="/")
    headers: dict[str, str] = {}
    if data.draw(st.booleans(), label="signed"):
        request = AWSRequest(method=method, url=f"http://{host}{url}", data=b"v", headers={})
        S3SigV4Auth(Credentials("gluelab", s3_server.token), "s3", "us-east-1").add_auth(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    check(s3_server, method, url, headers, b"v" if method == "PUT" else b"", host=host)


def test_the_endpoint_still_serves_after_the_fuzzing(s3_server: ServerProcess) -> None:
    config = botocore.config.Config(retries={"max_attempts": 1})
    s3 = boto3.client("s3", config=config, **s3_server.credentials())
    s3.create_bucket(Bucket="after-fuzz")
    s3.put_object(Bucket="after-fuzz", Key="k", Body=b"v")
    assert s3.get_object(Bucket="after-fuzz", Key="k")["Body"].read() == b"v"
