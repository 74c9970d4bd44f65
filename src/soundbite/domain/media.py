"""Facts about a media file, and waveform peaks, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# What an in-process decoder (PyAV) reads: a file on this machine, or a seekable stream of one
MediaSource = Path | BinaryIO


@dataclass(frozen=True, slots=True)
class MediaInfo:
    duration_ms: int
    codec: str  # audio codec name, e.g. "mp3", "aac", "flac"
    channels: int
    sample_rate: int
    bit_rate: int | None
    container: str  # e.g. "mp3", "mov,mp4,m4a,3gp,3g2,mj2"
    has_video: bool = False


@dataclass(frozen=True, slots=True)
class Peaks:
    """Min/max pairs per pixel, in the audiowaveform (BBC) v2 layout that wavesurfer.js reads.

    data = [min0, max0, min1, max1, ...] as signed integers of `bits` bits.
    """

    sample_rate: int
    samples_per_pixel: int
    bits: int
    data: list[int]

    @property
    def length(self) -> int:
        return len(self.data) // 2

    @property
    def pixels_per_second(self) -> float:
        return self.sample_rate / self.samples_per_pixel
