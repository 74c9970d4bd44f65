"""Files derived from a media file, and where they live in blob storage.

A derived file's key is made of its inputs (the media's SHA-256 and what was computed from it),
so it never goes stale and any number of episodes with the same audio share it. The stages
write these files (``jobs/stages.py``); renders, the analysis stage and the web read them, all
through this one module, so a key or a format has one definition and every reader validates.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from soundbite.domain.media import Peaks
from soundbite.errors import NotFound, StorageMisconfigured
from soundbite.media.frames import VideoStyle
from soundbite.media.loudness import HOP_MS, blocks_within, gated_loudness
from soundbite.media.peaks import peaks_from_dat
from soundbite.media.render import RenderProfile
from soundbite.media.seeking import VERSION as SEEK_INDEX_VERSION
from soundbite.media.seeking import SeekIndex
from soundbite.media.video import VideoContent
from soundbite.store.blobs.base import BlobStorage, derived_key

PEAKS_PER_SECOND = 100  # 10 ms per peak: enough to place a clip edge between two words
# Under 10 s a render measures the span itself (15 ms at most): the blocks' 100 ms grid shifts
# a short span's edges enough to differ by up to 0.9 LU (1.5 s spans), 0.5 LU at 5 s, 0.2 LU
# from 10 s on (speech recordings in tests/data/media, 40 random spans each).
BLOCKS_MIN_SPAN_MS = 10_000


def peaks_key(sha256: str) -> str:
    return derived_key("peaks", sha256, f"{PEAKS_PER_SECOND}pps.dat")


def loudness_blocks_key(sha256: str) -> str:
    """The episode's BS.1770 block energies: float32 little-endian, block k at k * 100 ms."""
    return derived_key("loudness", sha256, f"r128-blocks-{HOP_MS}ms-v1.f32")


def seek_index_key(sha256: str) -> str:
    return derived_key("seek", sha256, f"v{SEEK_INDEX_VERSION}.json")


def load_peaks(storage: BlobStorage, sha256: str) -> Peaks | None:
    """The media's peaks at ``PEAKS_PER_SECOND``, or None before the peaks stage stored them.

    Raises ValueError when the stored file is not a valid mono audiowaveform .dat.
    """
    try:
        return peaks_from_dat(storage.get_bytes(peaks_key(sha256)))
    except NotFound:
        return None


def load_span_loudness(
    storage: BlobStorage, sha256: str, start_ms: int, end_ms: int
) -> float | None:
    """The span's integrated loudness from the episode's blocks (one ranged read), or None
    where the peaks stage stored none (episodes processed before it measured them)."""
    if end_ms - start_ms < BLOCKS_MIN_SPAN_MS:
        return None
    first, stop = blocks_within(start_ms, end_ms)
    try:
        data = b"".join(storage.iter_range(loudness_blocks_key(sha256), 4 * first, 4 * stop - 1))
    except (NotFound, StorageMisconfigured):  # missing; or S3 refusing a range past its end
        return None
    if len(data) < 4 * (stop - first):  # blocks end before the span does: measure it instead
        return None
    return gated_loudness(np.frombuffer(data, dtype="<f4"))


def load_seek_index(storage: BlobStorage, sha256: str) -> SeekIndex | None:
    """The media's seek points, if its probe made any (MP3 only; media/seeking.py)."""
    try:
        return SeekIndex.from_json(storage.get_bytes(seek_index_key(sha256)))
    except NotFound:
        return None


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One clip render: a span of a media file, encoded with a profile; for a video, also what
    its frames show (whose digest is then part of the key: the same span under another title
    is another video)."""

    media_sha256: str
    start_ms: int
    end_ms: int
    profile: RenderProfile
    video: VideoContent | None = None

    @property
    def key(self) -> str:
        variant = f"{self.start_ms}-{self.end_ms}-{self.profile.name}"
        if self.video is not None:
            variant = f"{self.start_ms}-{self.end_ms}-{self.video.digest}-{self.profile.name}"
        return derived_key("clips", self.media_sha256, variant)

    def to_message(self) -> dict[str, Any]:
        """As JSON-safe task arguments (the `render` queue's messages)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_message(cls, body: dict[str, Any]) -> RenderJob:
        profile = dict(body["profile"])
        if profile.get("video") is not None:
            profile["video"] = VideoStyle(**profile["video"])
        video = body.get("video")
        return cls(
            **{
                **body,
                "profile": RenderProfile(**profile),
                "video": VideoContent.from_dict(video) if video is not None else None,
            }
        )
