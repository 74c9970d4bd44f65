"""Helpers for the recommendation tests (no tests here): a small library with two tastes.

Five "kitchen" shows talk about bread, ovens and recipes; five "football" shows about goals,
leagues and matches. Ten listeners of each taste play, finish and clip items of their own side
only, so the right answer for a listener of one side is known by construction: the other items
of their side. Every item's words come from its side's vocabulary, so content similarity agrees
with the listening.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from soundbite.recommend.data import Interaction, Item, Kind

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
WORDS = {
    "a": ["bread", "oven", "recipe", "dough", "flour", "yeast", "bake", "kitchen", "butter"],
    "b": ["goal", "league", "match", "striker", "keeper", "penalty", "referee", "derby", "coach"],
}
SHOWS_PER_SIDE = 5
ITEMS_PER_SHOW = 4
_ids = itertools.count(1)


def show_ids(side: str) -> list[str]:
    return [f"{side}-show{n}" for n in range(SHOWS_PER_SIDE)]


def library() -> list[Item]:
    rng = random.Random(16)
    items = []
    for side in "ab":
        for s, show in enumerate(show_ids(side)):
            for n in range(ITEMS_PER_SHOW):
                items.append(
                    Item(
                        id=f"{show}-ep{n}",
                        show=show,
                        show_title=f"{'Kitchen' if side == 'a' else 'Football'} Talk {s}",
                        title=f"{show} episode {n}",
                        published_at=NOW - timedelta(days=3 + 5 * n + s),
                        duration_ms=(10 + 10 * n) * 60_000,  # 10, 20, 30, 40 minutes
                        text=" ".join(rng.choices(WORDS[side], k=60)),
                        highlight=round(0.2 + 0.2 * n, 1),
                    )
                )
    return items


def side_of(item_id: str) -> str:
    return item_id[0]


def event(user: str, kind: Kind, item: str = "", days_ago: float = 1.0, **kw: str) -> Interaction:
    return Interaction(
        id=f"sig{next(_ids)}", user=user, kind=kind, at=NOW - timedelta(days=days_ago),
        item=item, **kw,
    )  # fmt: skip


def crowd(items: list[Item], per_side: int = 10, seed: int = 1) -> list[Interaction]:
    """Listeners a0..a9 and b0..b9, each engaging with half of their own side's items."""
    rng = random.Random(seed)
    out = []
    for side in "ab":
        mine = [i.id for i in items if side_of(i.id) == side]
        for n in range(per_side):
            user = f"{side}{n}"
            for item in rng.sample(mine, len(mine) // 2):
                out.append(event(user, "play", item, days_ago=rng.uniform(1, 20)))
                out.append(event(user, "complete", item, days_ago=rng.uniform(0.5, 1)))
            out.append(event(user, "clip_made", rng.choice(mine), days_ago=2))
    return out
