"""Seek points for media whose demuxer cannot seek without reading: MP3.

An MP3 file has no index. To start decoding at minute 30, FFmpeg demuxes every frame before it
and counts (its bitrate-based guess is off by up to a frame, too far for a sample-accurate
cut). From a local file that costs ~0.1 s; from S3 it means fetching half the episode.

So the probe, which reads every packet once anyway, notes the byte position and the exact time
of a packet every ``INTERVAL_S`` seconds. A render then opens a view of the stream that
begins at the last point before its span (:class:`ByteView`) and tells the decoder where that
is (``decode_span(offset_s=…)``). MP3 frames are self-contained apart from the bit reservoir
(at most 511 bytes back) and the filterbank's overlap, both rebuilt within the half second of
preroll the decoder throws away, so the samples come out identical to decoding the whole file
(``tests/test_storage_contract.py`` compares them byte for byte).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any, BinaryIO

INTERVAL_S = 5.0
# containers read from the start to seek; their packets can be demuxed from any frame onwards
NEEDS_SEEK_POINTS = frozenset({"mp3"})
VERSION = 1


@dataclass(frozen=True, slots=True)
class SeekPoint:
    seconds: float  # where this packet's audio starts, on the decoder's output timeline
    offset: int  # its first byte in the file


@dataclass(frozen=True, slots=True)
class SeekIndex:
    points: tuple[SeekPoint, ...]

    def to_json(self) -> bytes:
        body = {"version": VERSION, "points": [[p.seconds, p.offset] for p in self.points]}
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> SeekIndex | None:
        """The index, or None if it was written by another version (then nobody uses it)."""
        body = json.loads(data)
        if body.get("version") != VERSION:
            return None
        return cls(tuple(SeekPoint(float(s), int(o)) for s, o in body["points"]))

    def before(self, seconds: float) -> SeekPoint | None:
        """The last point at or before `seconds` past the first one (starting at the first
        point is what opening the whole file does anyway)."""
        chosen = None
        for point in self.points[1:]:
            if point.seconds > seconds:
                break
            chosen = point
        return chosen


class SeekPointRecorder:
    """Fed every packet's (time, byte position) in order; keeps one per ``INTERVAL_S``."""

    def __init__(self) -> None:
        self.points: list[SeekPoint] = []
        self._next = 0.0

    def add(self, seconds: float, offset: int | None) -> None:
        if offset is None or offset < 0 or seconds < self._next:
            return
        self.points.append(SeekPoint(seconds, offset))
        self._next = seconds + INTERVAL_S

    def index(self) -> SeekIndex | None:
        return SeekIndex(tuple(self.points)) if len(self.points) > 1 else None


class ByteView(io.RawIOBase):
    """A read-only, seekable view of `stream` from byte `offset` on, as if it were a file."""

    def __init__(self, stream: BinaryIO, offset: int) -> None:
        self._stream, self._offset = stream, offset
        self._stream.seek(offset)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._stream.tell() - self._offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = self._offset + max(0, offset)
            return self._stream.seek(target) - self._offset
        if whence == io.SEEK_CUR:
            return self._stream.seek(offset, io.SEEK_CUR) - self._offset
        return self._stream.seek(offset, io.SEEK_END) - self._offset

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
