"""HTTP Range requests (RFC 9110 §14) for anything served from blob storage.

Audio players seek by asking for byte ranges, so episode media and rendered clips both go
through :func:`ranged_response`; it only needs the size, a strong ETag and a way to read a
span of bytes, which every blob store offers (``BlobStorage.iter_range``).

Decisions, each allowed by the RFC:

- A syntactically invalid Range header, a unit other than ``bytes``, or more than
  ``MAX_RANGE_SPECS`` ranges is ignored and the whole file is sent with 200 (§14.2: a server
  MAY ignore Range). Ignoring costs bandwidth, never correctness.
- Several ranges that overlap or sit closer than ``COALESCE_GAP`` bytes are merged into one
  (§14.2 allows coalescing). If more than one range remains we send the whole file with 200
  instead of ``multipart/byteranges``: browsers and podcast players never ask for several
  ranges, while many tiny ranges are a known way to make a server do lots of work for a small
  request. Serving 200 is always a valid answer, so no client breaks.
- No satisfiable range at all gives 416 with ``Content-Range: bytes */<size>`` (§15.5.17).
- ``If-Range`` must match the ETag by strong comparison, else Range is ignored (§13.1.5);
  dates never match, because these responses carry no Last-Modified.
- ``If-None-Match`` (weak comparison) gives 304 for GET and HEAD (§13.1.2).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

MAX_RANGE_SPECS = 64
COALESCE_GAP = 128  # bytes: less than the headers of one more part of a multipart answer
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")  # not \d, which also admits other scripts' digits
_ETAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    """The Range header is valid but none of its ranges overlaps the file."""


def parse_range(header: str | None, size: int) -> list[ByteRange] | None:
    """The satisfiable ranges of a Range header, sorted and coalesced; None to ignore it."""
    if not header:
        return None
    unit, sep, range_set = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = [spec.strip() for spec in range_set.split(",")]
    specs = [spec for spec in specs if spec]  # the list syntax lets empty elements through
    if not specs or len(specs) > MAX_RANGE_SPECS:
        return None
    ranges: list[ByteRange] = []
    for spec in specs:
        match = _SPEC.fullmatch(spec)
        if match is None or match.group(1) == match.group(2) == "":
            return None
        first, last = match.group(1), match.group(2)
        if first == "":  # suffix range: the last N bytes
            suffix = int(last)
            if suffix > 0 and size > 0:
                ranges.append(ByteRange(max(0, size - suffix), size - 1))
            continue
        start = int(first)
        if last and int(last) < start:
            return None  # invalid, not merely unsatisfiable
        if start < size:
            ranges.append(ByteRange(start, min(int(last), size - 1) if last else size - 1))
    if not ranges:
        raise RangeNotSatisfiable
    return _coalesce(ranges)


def _coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    merged: list[ByteRange] = []
    for r in sorted(ranges, key=lambda r: r.start):
        if merged and r.start <= merged[-1].end + 1 + COALESCE_GAP:
            merged[-1] = ByteRange(merged[-1].start, max(merged[-1].end, r.end))
        else:
            merged.append(r)
    return merged


def _etags(header: str) -> list[tuple[bool, str]]:
    """(is_weak, opaque-tag) pairs of an If-None-Match / If-Range list."""
    tags, pos = [], 0
    while pos < len(header):
        match = _ETAG.match(header, pos)
        if match is None:
            break
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
    return tags


def none_match(header: str | None, etag: str) -> bool:
    """True when If-None-Match names our representation (so the answer is 304)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    return any(tag == etag for _, tag in _etags(header))


def if_range_matches(header: str | None, etag: str) -> bool:
    if header is None:
        return True
    tags = _etags(header)
    return len(tags) == 1 and not tags[0][0] and tags[0][1] == etag


def ranged_response(
    request: Request,
    *,
    size: int,
    etag: str,
    media_type: str,
    read: Callable[[int, int], Iterator[bytes] | AsyncIterator[bytes]],
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Answer GET or HEAD for a blob: 200, 206, 304 or 416.

    ``etag`` is the opaque tag without quotes and must change whenever the bytes do;
    ``read(start, end)`` yields bytes start..end inclusive (an async iterator may wait for
    bytes still being written: a clip render in progress).
    """
    quoted = f'"{etag}"'
    common = {"Accept-Ranges": "bytes", "ETag": quoted, **(headers or {})}
    if none_match(request.headers.get("if-none-match"), quoted):
        return Response(status_code=304, headers=common)
    ranges: list[ByteRange] | None = None
    if if_range_matches(request.headers.get("if-range"), quoted):
        try:
            ranges = parse_range(request.headers.get("range"), size)
        except RangeNotSatisfiable:
            return JSONResponse(
                {"detail": f"the requested range is outside the file ({size} bytes)"},
                status_code=416,
                headers={**common, "Content-Range": f"bytes */{size}"},
            )
    if ranges is not None and len(ranges) == 1:
        part = ranges[0]
        status, start, end = 206, part.start, part.end
        common["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        status, start, end = 200, 0, size - 1
    common["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD" or end < start:  # HEAD, or an empty file
        return Response(status_code=status, headers=common, media_type=media_type)
    return StreamingResponse(
        read(start, end), status_code=status, headers=common, media_type=media_type
    )
