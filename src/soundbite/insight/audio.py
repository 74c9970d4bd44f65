"""Loudness over time, read from the waveform peaks the pipeline already stored.

The peaks stage decodes each episode once and keeps min/max pairs every 10 ms; the peak-to-peak
range of a 10 ms frame is a fair proxy for its loudness (it follows the RMS within a few dB on
speech), so highlights get an energy curve without decoding the audio a second time. Prefix
sums make the mean over any span O(1), which matters when thousands of candidate spans are
scored. Pure Python: 360k frames for an hour take ~0.1 s, no numpy needed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate

from soundbite.domain.media import Peaks

_FLOOR_DB = -90.0


@dataclass(frozen=True, slots=True)
class Loudness:
    frame_ms: float
    full_scale: int  # peak-to-peak range of a full-scale frame
    prefix: tuple[int, ...]  # prefix[i] = sum of the ranges of frames before i

    @property
    def duration_ms(self) -> float:
        return (len(self.prefix) - 1) * self.frame_ms

    def mean_db(self, start_ms: int, end_ms: int) -> float | None:
        """Mean level of the span in dBFS, or None when the span lies outside the audio."""
        a = max(0, int(start_ms / self.frame_ms))
        b = min(len(self.prefix) - 1, int(end_ms / self.frame_ms))
        if b <= a:
            return None
        mean = (self.prefix[b] - self.prefix[a]) / (b - a)
        return 20 * math.log10(mean / self.full_scale) if mean > 0 else _FLOOR_DB


def loudness_from_peaks(peaks: Peaks) -> Loudness:
    data = peaks.data
    ranges = (data[i + 1] - data[i] for i in range(0, len(data) - 1, 2))
    return Loudness(
        frame_ms=1000 / peaks.pixels_per_second,
        full_scale=2**peaks.bits,
        prefix=(0, *accumulate(ranges)),
    )
