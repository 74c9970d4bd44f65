"""Context: does an item suit this session's time budget and this time of day?

A budget of N minutes favours items that fill it without running over: an item that fits
scores its share of the budget (a 19-minute episode for a 20-minute budget scores 0.95, a
2-minute clip 0.1), one that does not fit scores 0. Time of day is learnt from the listener:
if what they finish in the morning is around 15 minutes long and in the evening an hour,
items near that length score higher at that time. With no history the fit is neutral (0.5).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from soundbite.recommend.signals import part_of_day

Scores = NDArray[np.float32]


def budget_fit(durations_ms: NDArray[np.int64], budget_minutes: int) -> Scores:
    share = durations_ms / (budget_minutes * 60_000)
    return np.where((share > 0) & (share <= 1.0), share, 0.0).astype(np.float32)


def hour_fit(
    durations_ms: NDArray[np.int64], hour: int, finished_minutes: Mapping[str, Sequence[float]]
) -> Scores:
    """exp(-|log(duration / usual)|): 1 at the usual length for this part of day, 1/2 at 2x."""
    usual = finished_minutes.get(part_of_day(hour))
    if not usual:
        return np.full(len(durations_ms), 0.5, dtype=np.float32)
    typical = max(statistics.median(usual), 0.5)
    minutes = np.maximum(durations_ms / 60_000, 0.5)
    return np.exp(-np.abs(np.log2(minutes / typical)) * np.log(2)).astype(np.float32)
