"""What is worth showing to anyone: popular on this server, and new.

Popularity counts listeners, not plays (one listener's hundred plays is one vote), and each
vote fades with the age of its evidence, so "popular" means popular lately. Recency fades with
the item's publication date. Both are scaled to 0..1 so the ranker can mix them with the
personal scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

Scores = NDArray[np.float32]


def popularity(
    listeners: Iterable[Mapping[str, float]], item_index: Mapping[str, int], n_items: int
) -> Scores:
    """Per item: sum over listeners of min(1, their decayed positive evidence), log-scaled."""
    votes = np.zeros(n_items, dtype=np.float64)
    for evidence in listeners:
        for item, c in evidence.items():
            j = item_index.get(item)
            if j is not None and c > 0:
                votes[j] += min(1.0, c)
    scaled = np.log1p(votes)
    top = scaled.max() if n_items else 0.0
    return (scaled / top if top > 0 else scaled).astype(np.float32)


def recency(published_s: NDArray[np.float64], now: datetime, half_life_days: float) -> Scores:
    """1 for an item published now, 1/2 one half-life ago; future dates count as now.

    ``published_s`` are POSIX seconds (one array, so a feed of 10,000 items costs one
    vector operation rather than 10,000 datetime subtractions).
    """
    ages = np.maximum(0.0, (now.timestamp() - published_s) / 86400)
    return (0.5 ** (ages / half_life_days)).astype(np.float32)
