"""From interactions to evidence: how much each thing a listener did says about their taste.

Implicit feedback (Hu, Koren & Volinsky 2008) has no ratings, only actions of different
strength. Making a clip is the strongest: the listener chose a moment worth sharing. A replay
or a completion says more than a play; playing someone's clip says a little. A skip (a play
that stopped in under ``SKIP_SECONDS``) is the one negative: the listener tried it and left.
Repeats count on a log scale, so one listener's thousand plays of one item do not drown the
rest of their history; old evidence fades with a half-life, so tastes may change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from soundbite.recommend.data import Interaction

SKIP_SECONDS = 30
KIND_WEIGHTS: Mapping[str, float] = {
    "play": 1.0,
    "complete": 2.0,
    "replay": 2.5,
    "clip_played": 1.5,
    "clip_made": 4.0,
    "skip": -1.5,
}
_HOURS = {"morning": range(5, 12), "day": range(12, 18), "evening": range(18, 24)}


def is_skip(listened_ms: int) -> bool:
    """The caller's rule for turning a short play into a "skip" interaction."""
    return 0 <= listened_ms < SKIP_SECONDS * 1000


def part_of_day(hour: int) -> str:
    return next((name for name, hours in _HOURS.items() if hour in hours), "night")


def decay(at: datetime, now: datetime, half_life_days: float | None) -> float:
    """1 now, 1/2 after one half-life; evidence from the future (clock skew) counts as now."""
    if half_life_days is None:
        return 1.0
    age_days = max(0.0, (now - at).total_seconds() / 86400)
    return float(0.5 ** (age_days / half_life_days))


def confidence(interaction: Interaction, now: datetime, half_life_days: float | None) -> float:
    """Signed strength of one interaction; 0 for kinds that are not about an item."""
    kind_weight = KIND_WEIGHTS.get(interaction.kind, 0.0)
    repeats = math.log1p(interaction.weight) / math.log(2)  # weight 1 -> 1
    return kind_weight * repeats * decay(interaction.at, now, half_life_days)


@dataclass
class Evidence:
    """What one listener's own interactions say; built only from that listener's rows."""

    user: str
    items: dict[str, float] = field(default_factory=dict)  # item -> signed confidence
    cite: dict[str, Interaction] = field(default_factory=dict)  # item -> strongest positive
    in_progress: dict[str, Interaction] = field(default_factory=dict)  # started, not finished
    clipped: list[Interaction] = field(default_factory=list)  # newest first
    subscriptions: dict[str, Interaction] = field(default_factory=dict)  # show -> subscribe
    searches: list[Interaction] = field(default_factory=list)  # newest first
    # minutes of what they finished, by part of day ("morning", ...), for context.py
    finished_minutes: dict[str, list[float]] = field(default_factory=dict)

    @property
    def liked(self) -> dict[str, float]:
        return {item: c for item, c in self.items.items() if c > 0}

    @property
    def skipped(self) -> dict[str, float]:
        return {item: c for item, c in self.items.items() if c < 0}


def summarise(
    user: str,
    interactions: Iterable[Interaction],
    now: datetime,
    half_life_days: float | None,
    durations_ms: Mapping[str, int],
) -> Evidence:
    """Fold one listener's interactions (any order) into evidence."""
    evidence = Evidence(user)
    best: dict[str, float] = {}
    finished: set[str] = set()
    started: dict[str, Interaction] = {}
    for i in sorted(interactions, key=lambda i: i.at):
        if i.kind == "subscribe":
            evidence.subscriptions.setdefault(i.show, i)
            continue
        if i.kind == "search":
            evidence.searches.insert(0, i)
            continue
        c = confidence(i, now, half_life_days)
        evidence.items[i.item] = evidence.items.get(i.item, 0.0) + c
        if c > best.get(i.item, 0.0):
            best[i.item] = c
            evidence.cite[i.item] = i
        if i.kind == "clip_made":
            evidence.clipped.insert(0, i)
        elif i.kind == "play":
            started[i.item] = i
        elif i.kind in ("complete", "skip"):
            finished.add(i.item)
            if i.kind == "complete" and i.item in durations_ms:
                part = part_of_day(i.at.hour)
                minutes = durations_ms[i.item] / 60_000
                evidence.finished_minutes.setdefault(part, []).append(minutes)
    evidence.in_progress = {k: v for k, v in started.items() if k not in finished}
    return evidence
