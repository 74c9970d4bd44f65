"""HTTP Range and conditional requests (RFC 9110) on /media, and the parser behind them."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.store.blobs import media_key
from soundbite.store.models import MediaBlob
from soundbite.web.ranges import MAX_RANGE_SPECS, ByteRange, RangeNotSatisfiable, parse_range
from tests.test_web_support import SPEECH

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-499", [(0, 499)]),
        ("bytes=0-0", [(0, 0)]),
        ("bytes=500-", [(500, 999)]),
        ("bytes=-500", [(500, 999)]),
        ("bytes=-5000", [(0, 999)]),  # a suffix longer than the file is the whole file
        ("bytes=900-5000", [(900, 999)]),  # last-pos past the end is clipped
        ("BYTES=1-2", [(1, 2)]),  # the unit is case-insensitive
        ("bytes= 1-2 , ,3-4", [(1, 4)]),  # list whitespace and empty elements; adjacent merge
        ("bytes=0-9,5-20", [(0, 20)]),  # overlapping
        ("bytes=0-9,100-109", [(0, 109)]),  # a gap smaller than a multipart part's headers
        ("bytes=0-9,500-509", [(0, 9), (500, 509)]),
        ("bytes=1000-,0-0", [(0, 0)]),  # unsatisfiable ranges beside a good one are dropped
    ],
)
def test_satisfiable_ranges(header: str, expected: list[tuple[int, int]]) -> None:
    assert parse_range(header, SIZE) == [ByteRange(a, b) for a, b in expected]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "bytes=",
        "bytes=-",
        "bytes=5-1",
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=0x1-2",
        "bytes=٣-4",
        "items=0-1",
        "0-1",
        "bytes=0-1,x",
        "bytes=" + ",".join(["0-0"] * (MAX_RANGE_SPECS + 1)),
    ],
)
def test_invalid_range_headers_are_ignored(header: str | None) -> None:
    assert parse_range(header, SIZE) is None


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", SIZE),
        ("bytes=1000-2000", SIZE),
        ("bytes=-0", SIZE),
        ("bytes=0-", 0),
        ("bytes=-5", 0),
    ],
)
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


@pytest.fixture
def audio(app: Soundbite) -> tuple[str, bytes]:
    """A media blob stored the way ingest stores it (no need to run ingest for HTTP tests)."""
    data = SPEECH.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    app.storage.put_bytes(media_key(sha), data)
    with app.db.write() as s:
        s.add(MediaBlob(sha256=sha, size=len(data), content_type="audio/flac"))
    return sha, data


def test_whole_file_and_headers(client: TestClient, audio: tuple[str, bytes]) -> None:
    sha, data = audio
    r = client.get(f"/media/{sha}")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "audio/flac"
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["accept-ranges"] == "bytes"
    assert r.headers["etag"] == f'"{sha}"'
    assert r.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_range_bodies_are_exact(client: TestClient, audio: tuple[str, bytes]) -> None:
    sha, data = audio
    size = len(data)
    for header, start, end in [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=-500", size - 500, size - 1),
        (f"bytes={size - 10}-", size - 10, size - 1),
        ("bytes=5-9,8-20", 5, 20),
        (f"bytes={size - 1}-{size + 100}", size - 1, size - 1),
    ]:
        r = client.get(f"/media/{sha}", headers={"Range": header})
        assert r.status_code == 206, header
        assert r.content == data[start : end + 1], header
        assert r.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert r.headers["content-length"] == str(end - start + 1)


def test_unsatisfiable_and_multiple_ranges(client: TestClient, audio: tuple[str, bytes]) -> None:
    sha, data = audio
    r = client.get(f"/media/{sha}", headers={"Range": f"bytes={len(data)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(data)}"
    assert "outside the file" in r.json()["detail"]
    # several distant ranges: the whole file with 200 (we do not send multipart/byteranges)
    r = client.get(f"/media/{sha}", headers={"Range": "bytes=0-9,50000-50009"})
    assert r.status_code == 200 and r.content == data and "content-range" not in r.headers
    # a malformed header is ignored rather than refused
    r = client.get(f"/media/{sha}", headers={"Range": "bytes=9-1"})
    assert r.status_code == 200 and r.content == data


def test_conditional_requests(client: TestClient, audio: tuple[str, bytes]) -> None:
    sha, data = audio
    url = f"/media/{sha}"
    for tag in [f'"{sha}"', f'W/"{sha}"', f'"other", "{sha}"', "*"]:
        r = client.get(url, headers={"If-None-Match": tag})
        assert r.status_code == 304 and r.content == b"", tag
        assert r.headers["etag"] == f'"{sha}"'
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    ranged = {"Range": "bytes=0-9"}
    r = client.get(url, headers={**ranged, "If-Range": f'"{sha}"'})
    assert r.status_code == 206 and r.content == data[:10]
    for stale in ['"other"', f'W/"{sha}"', "Sun, 06 Nov 1994 08:49:37 GMT"]:
        r = client.get(url, headers={**ranged, "If-Range": stale})
        assert r.status_code == 200 and r.content == data, stale


def test_head(client: TestClient, audio: tuple[str, bytes]) -> None:
    sha, data = audio
    r = client.head(f"/media/{sha}")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-length"] == str(len(data))
    r = client.head(f"/media/{sha}", headers={"Range": "bytes=-10"})
    assert r.status_code == 206 and r.content == b""
    assert r.headers["content-range"] == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"


def test_unknown_media_and_untrusted_types(
    app: Soundbite, client: TestClient, audio: tuple[str, bytes]
) -> None:
    assert client.get(f"/media/{'a' * 64}").status_code == 404
    assert client.get("/media/not-a-hash").status_code == 422
    sha, _ = audio
    with app.db.write() as s:
        s.get_one(MediaBlob, sha).content_type = "text/html"  # as a hostile feed might claim
    r = client.get(f"/media/{sha}")
    assert r.headers["content-type"] == "application/octet-stream"
