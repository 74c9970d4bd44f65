"""The plain inputs of the recommender: what a listener did, what can be recommended, and when.

Time is a timezone-aware ``datetime`` for events and integer milliseconds for durations, as in
the rest of Soundbite. Every interaction has the id of the row it came from, so that a reason
can point at the signal that caused it (a listener can then see it, or delete it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from soundbite.errors import InvalidInput

Kind = Literal[
    "play", "complete", "skip", "replay", "clip_made", "clip_played", "subscribe", "search"
]
KINDS: frozenset[str] = frozenset(get_args(Kind))
# The kinds that are about one item; "subscribe" is about a show and "search" about a query.
ITEM_KINDS = frozenset(KINDS - {"subscribe", "search"})
ItemKind = Literal["episode", "chapter", "clip", "highlight"]


@dataclass(frozen=True, slots=True)
class Interaction:
    """One signal: ``item`` for plays, skips, clips; ``show`` for subscribe; ``query`` for search.

    A "skip" is a play that stopped in under 30 s (the caller classifies it; see signals.py).
    ``weight`` counts repeats (10 plays of one item can be one interaction of weight 10).
    """

    id: str
    user: str
    kind: Kind
    at: datetime
    item: str = ""
    show: str = ""
    query: str = ""
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"unknown interaction kind {self.kind!r}")
        if self.at.tzinfo is None:
            raise InvalidInput("interaction time must be timezone-aware")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise InvalidInput(f"interaction weight must be a positive number, not {self.weight}")
        if self.kind in ITEM_KINDS and not self.item:
            raise InvalidInput(f"a {self.kind} interaction needs an item")
        if self.kind == "subscribe" and not self.show:
            raise InvalidInput("a subscribe interaction needs a show")
        if self.kind == "search" and not self.query.strip():
            raise InvalidInput("a search interaction needs a query")


@dataclass(frozen=True, slots=True)
class Item:
    """Something a feed can hold: an episode, a chapter, a clip or a suggested highlight.

    ``text`` is what is said in it (transcript words); ``vector`` may replace it with a ready
    embedding (the semantic extra). ``highlight`` is insight's highlight score (0..1).
    """

    id: str
    show: str
    published_at: datetime
    duration_ms: int
    title: str = ""
    show_title: str = ""
    text: str = ""
    vector: tuple[float, ...] | None = None
    highlight: float = 0.0
    kind: ItemKind = "episode"

    def __post_init__(self) -> None:
        if self.published_at.tzinfo is None:
            raise InvalidInput("item publication time must be timezone-aware")
        if self.duration_ms < 0:
            raise InvalidInput(f"item duration must not be negative, not {self.duration_ms}")
        if not 0.0 <= self.highlight <= 1.0:
            raise InvalidInput(f"highlight score must be within 0..1, not {self.highlight}")

    @property
    def label(self) -> str:
        return self.title or self.id


@dataclass(frozen=True, slots=True)
class Context:
    """The session a feed is for: now, the listener's hour of day and time budget (minutes)."""

    now: datetime
    hour: int | None = None
    budget_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise InvalidInput("context time must be timezone-aware")
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise InvalidInput(f"hour of day must be within 0..23, not {self.hour}")
        if self.budget_minutes is not None and not 1 <= self.budget_minutes <= 24 * 60:
            raise InvalidInput(f"time budget must be 1 to 1440 minutes, not {self.budget_minutes}")

    @property
    def local_hour(self) -> int:
        return self.now.hour if self.hour is None else self.hour
