"""The public half of a trained model: the items, their vectors and the server-wide priors.

Nothing in here belongs to one listener, which is why the opt-out feed (ranker.public_feed) is
given this object and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from soundbite.errors import InvalidInput
from soundbite.recommend import priors
from soundbite.recommend.content import ContentIndex
from soundbite.recommend.data import Item


class Catalogue:
    def __init__(self, items: Sequence[Item], votes: Iterable[Mapping[str, float]]) -> None:
        self.items: list[Item] = []
        self.index: dict[str, int] = {}
        self._extend(items)
        self.content = ContentIndex(items)
        self.popularity = priors.popularity(votes, self.index, len(self.items))

    def _extend(self, items: Sequence[Item]) -> None:
        for item in items:
            if item.id in self.index:
                raise InvalidInput(f"item {item.id!r} is listed twice")
            self.index[item.id] = len(self.items)
            self.items.append(item)
        self.shows = [i.show for i in self.items]
        # shows as small integers, so "items of the shows I subscribe to" is one vector test
        self.show_code: dict[str, int] = {}
        codes = [self.show_code.setdefault(s, len(self.show_code)) for s in self.shows]
        self.show_codes = np.array(codes, dtype=np.int64)
        self.durations = np.array([i.duration_ms for i in self.items], dtype=np.int64)
        self.highlight = np.array([i.highlight for i in self.items], dtype=np.float32)
        self._published = np.array([i.published_at.timestamp() for i in self.items])

    def add(self, items: Sequence[Item]) -> None:
        """New items between trainings: comparable by content at once, no popularity yet."""
        self._extend(items)
        self.content.add(items)
        pad = np.zeros(len(items), dtype=np.float32)
        self.popularity = np.concatenate([self.popularity, pad])

    def of_shows(self, shows: Iterable[str]) -> NDArray[np.bool_]:
        wanted = [self.show_code[s] for s in shows if s in self.show_code]
        return np.isin(self.show_codes, wanted)

    def __len__(self) -> int:
        return len(self.items)

    def recency(self, now: datetime, half_life_days: float) -> NDArray[np.float32]:
        return priors.recency(self._published, now, half_life_days)
