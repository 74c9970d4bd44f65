"""Seek points and byte views (media/seeking.py); the render from them is checked sample for
sample against the whole file in tests/test_storage_contract.py."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

from soundbite.media.probe import probe
from soundbite.media.seeking import INTERVAL_S, ByteView, SeekIndex, SeekPoint, SeekPointRecorder
from tests.conftest import DATA

SONNET = DATA / "media" / "librivox_sonnet001_en.mp3"  # 53 s


def test_an_mp3_probe_records_a_point_every_interval_and_other_formats_none() -> None:
    recorder = SeekPointRecorder()
    info = probe(SONNET, seek_points=recorder)
    index = recorder.index()
    assert index is not None
    seconds = [p.seconds for p in index.points]
    assert len(seconds) == int(info.duration_ms / 1000 // INTERVAL_S) + 1
    assert all(INTERVAL_S <= b - a < INTERVAL_S + 0.1 for a, b in itertools.pairwise(seconds))
    offsets = [p.offset for p in index.points]
    assert offsets == sorted(offsets) and offsets[-1] < SONNET.stat().st_size
    # each offset is the start of an MP3 frame: a frame sync
    data = SONNET.read_bytes()
    assert all(data[o] == 0xFF and data[o + 1] & 0xE0 == 0xE0 for o in offsets)

    flac = SeekPointRecorder()
    probe(DATA / "web" / "librispeech_61-70968-0000.flac", seek_points=flac)
    assert flac.index() is None  # FLAC seeks by itself


def test_the_point_before_a_time_and_versioned_json() -> None:
    index = SeekIndex(tuple(SeekPoint(5.0 * i, 1000 * i) for i in range(5)))
    assert index.before(4.9) is None  # the first point is the file's start: nothing gained
    assert index.before(5.0) == SeekPoint(5.0, 1000)
    assert index.before(17.2) == SeekPoint(15.0, 3000)
    assert index.before(1e9) == SeekPoint(20.0, 4000)
    assert SeekIndex.from_json(index.to_json()) == index
    newer = json.dumps({"version": 99, "points": [[0, 0]]}).encode()
    assert SeekIndex.from_json(newer) is None


def test_a_byte_view_is_a_file_that_starts_at_its_offset(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    view = io.BufferedReader(ByteView(io.BytesIO(data), 100))
    assert view.read(3) == data[100:103] and view.tell() == 3
    assert view.seek(10) == 10 and view.read(2) == data[110:112]
    assert view.seek(-4, io.SEEK_END) == len(data) - 104 and view.read() == data[-4:]
    assert view.seek(-50) == 0  # never before its start
