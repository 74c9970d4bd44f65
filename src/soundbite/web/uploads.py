"""Reading a multipart upload straight from the request stream into a capped file.

We do not use FastAPI's ``UploadFile``: Starlette parses the whole body before the route
runs, spooling each file to a ``SpooledTemporaryFile`` (1 MiB in memory, then the system
temp dir) with no size limit. Memory stays bounded, but a 50 GB upload would still fill
``/tmp`` before we could say no. Here python-multipart's push parser is fed chunk by chunk
from ``request.stream()``: the file goes to a temp folder under the data dir (same file
system as the media store, so storing it is cheap) and is refused the moment it passes the cap.

Only the fields we know are accepted (``file``, ``title``, ``transcript``), each at most
once, so the number and size of parts is bounded too.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from soundbite.errors import InvalidInput, TooLarge
from soundbite.services.schemas import MAX_ROW_ID

MAX_TITLE_BYTES = 4096
MAX_ID_BYTES = 12
STALE_SECONDS = 24 * 3600


@dataclass
class UploadForm:
    file_path: Path | None = None
    filename: str = ""
    content_type: str | None = None
    title: str | None = None
    podcast_id: int | None = None
    transcript: bytes | None = None
    transcript_filename: str | None = None
    transcript_content_type: str | None = None


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    # kept as sent: browsers put UTF-8 field and file names here, which the header parser
    # reads only from bytes (given a str, it encodes it as Latin-1 and fails on anything wider)
    disposition: bytes = b""
    name: str = ""
    filename: str | None = None
    size: int = 0
    sink: BinaryIO | bytearray | None = None


class _FormReader:
    """python-multipart callbacks that route each part to its sink, counting bytes."""

    def __init__(self, workdir: Path, max_file_bytes: int, max_transcript_bytes: int) -> None:
        self.workdir = workdir
        self.limits = {
            "file": max_file_bytes,
            "transcript": max_transcript_bytes,
            "title": MAX_TITLE_BYTES,
            "podcast_id": MAX_ID_BYTES,
        }
        self.form = UploadForm()
        self.seen: set[str] = set()
        self.part = _Part()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.finished = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self.header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self.header_value.extend(d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def part_begin(self) -> None:
        self.part = _Part()

    def header_end(self) -> None:
        name = self.header_field.decode("latin-1").strip().lower()
        if name == "content-disposition":
            self.part.disposition = bytes(self.header_value).strip()
        self.part.headers[name] = self.header_value.decode("utf-8", "replace").strip()
        self.header_field.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name not in self.limits:
            raise InvalidInput(
                f"unexpected form field {name!r}: send file, title, podcast_id or transcript"
            )
        if name in self.seen:
            raise InvalidInput(f"the form field {name!r} was sent twice")
        self.seen.add(name)
        self.part.name = name
        raw = options.get(b"filename")
        self.part.filename = _basename(raw.decode("utf-8", "replace")) if raw else None
        if name == "file":
            suffix = PurePosixPath(self.part.filename or "").suffix
            # keep a plain extension: it is a hint for container probing, nothing more
            safe_suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 10 else ""
            path = self.workdir / f"upload{safe_suffix.lower()}"
            self.form.file_path = path
            self.part.sink = path.open("wb")
        else:
            self.part.sink = bytearray()

    def part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.size += end - start
        limit = self.limits[part.name]
        if part.size > limit:
            if part.name == "file":
                raise TooLarge(f"the upload is larger than the limit of {limit} bytes")
            raise InvalidInput(f"the {part.name} field is larger than {limit} bytes")
        if isinstance(part.sink, bytearray):
            part.sink.extend(data[start:end])
        elif part.sink is not None:
            # a blocking write, but to the local disk's page cache in chunks of ~64 KiB:
            # cheaper than a thread hop per chunk
            part.sink.write(data[start:end])

    def part_end(self) -> None:
        part, form = self.part, self.form
        if isinstance(part.sink, bytearray):
            if part.name == "title":
                form.title = part.sink.decode("utf-8", "replace").strip() or None
            elif part.name == "podcast_id":
                form.podcast_id = _row_id(part.sink.decode("ascii", "replace").strip())
            else:
                form.transcript = bytes(part.sink)
                form.transcript_filename = part.filename
                form.transcript_content_type = part.headers.get("content-type")
        elif part.sink is not None:
            part.sink.close()
            form.filename = part.filename or ""
            form.content_type = part.headers.get("content-type")
        part.sink = None

    def end(self) -> None:
        self.finished = True

    def close(self) -> None:
        if self.part.sink is not None and not isinstance(self.part.sink, bytearray):
            self.part.sink.close()


def _row_id(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_ROW_ID:
        raise InvalidInput(f"podcast_id is a podcast's number (1 to {MAX_ROW_ID})")
    return int(text)


def _basename(filename: str) -> str:
    # some clients send a full client-side path; only the last part is the name
    return filename.replace("\\", "/").rsplit("/", 1)[-1][:255]


async def read_upload_form(
    request: Request, workdir: Path, *, max_file_bytes: int, max_transcript_bytes: int
) -> UploadForm:
    """Stream the request's multipart body; the file lands in ``workdir``.

    Raises TooLarge past the file cap and InvalidInput for anything malformed. The caller
    owns ``workdir`` and removes it, whatever happens.
    """
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInput("send the episode as multipart/form-data with a `file` field")
    reader = _FormReader(workdir, max_file_bytes, max_transcript_bytes)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidInput(f"the multipart form is malformed: {exc}") from None
    finally:
        reader.close()
    if not reader.finished:
        raise InvalidInput("the upload ended before the form was complete")
    if reader.form.file_path is None:
        raise InvalidInput("the form has no `file` field")
    return reader.form


def sweep_stale(folder: Path, max_age_s: float = STALE_SECONDS) -> None:
    """Remove upload folders a killed process left behind (none is older than a request)."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age_s
    for entry in folder.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
