"""Diversity: maximal marginal relevance (Carbonell & Goldstein 1998) with a cap per show.

A feed of ten near-identical moments from one show is a worse feed even when each scores
well. MMR picks greedily the item with the best ``lam * relevance - (1 - lam) * max
similarity to what is already picked``; the cap is a hard rule on top: at most ``per_show``
items from one show in the first ``window`` picks (the issue's "two in the top 10"). Items
held back by the cap may still come after the window.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def rerank(
    candidates: Sequence[int],
    relevance: NDArray[np.float32],
    similarity: NDArray[np.float32],
    shows: Sequence[str],
    k: int,
    lam: float = 0.8,
    per_show: int = 2,
    window: int = 10,
) -> list[int]:
    """Pick ``k`` of ``candidates`` (item indices); ``relevance`` and ``similarity`` are indexed
    by position in ``candidates``; ``shows`` by item index."""
    left = list(range(len(candidates)))
    picked: list[int] = []
    per: Counter[str] = Counter()
    max_sim = np.zeros(len(candidates), dtype=np.float32)
    while left and len(picked) < k:
        capped = len(picked) < window
        allowed = [p for p in left if not capped or per[shows[candidates[p]]] < per_show]
        if not allowed:
            break
        gains = lam * relevance[allowed] - (1.0 - lam) * max_sim[allowed]
        best = allowed[int(np.argmax(gains))]
        picked.append(best)
        left.remove(best)
        per[shows[candidates[best]]] += 1
        max_sim = np.maximum(max_sim, similarity[best])
    return [candidates[p] for p in picked]
