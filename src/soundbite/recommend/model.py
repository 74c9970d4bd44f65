"""Training: from interactions and items to a :class:`Model`, and keeping it up to date.

Training is the slow part and runs as a job, never on the request path; ranking (ranker.py)
only reads the model. A listener's change (a new clip, a deleted history) refits that one
listener's vector against the fixed item vectors (``update_listener``), and new items join
through their content vectors (``add_items``) until the next full training.

A listener who turned personalisation off is dropped at the door: of their interactions only
the ``user`` field is read, to leave them out, so no evidence, vector or popularity vote of
theirs exists anywhere in the model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from soundbite.errors import InvalidInput
from soundbite.recommend.catalogue import Catalogue
from soundbite.recommend.collaborative import CollabOptions, Collaborative, matrix
from soundbite.recommend.data import Interaction, Item
from soundbite.recommend.signals import Evidence, summarise


@dataclass(frozen=True, slots=True)
class Weights:
    """How the ranker mixes its parts (each scaled to about 0..1 first)."""

    collaborative: float = 1.0
    content: float = 0.4
    popularity: float = 0.3
    recency: float = 0.1
    subscribed: float = 0.4
    highlight: float = 0.1
    hour: float = 0.1
    skip: float = 1.0


@dataclass(frozen=True, slots=True)
class Options:
    collab: CollabOptions = field(default_factory=CollabOptions)
    weights: Weights = field(default_factory=Weights)
    half_life_days: float | None = 90.0  # of a listener's evidence
    recency_half_life_days: float = 14.0  # of an item's newness
    mmr_lambda: float = 0.8
    per_show: int = 2
    row_size: int = 10
    pool: int = 100  # candidates re-ranked for diversity


@dataclass
class Model:
    catalogue: Catalogue
    collab: Collaborative
    listeners: dict[str, Evidence]
    opted_out: frozenset[str]
    options: Options
    trained_at: datetime


def _by_user(
    interactions: Iterable[Interaction], opted_out: frozenset[str]
) -> dict[str, list[Interaction]]:
    grouped: dict[str, list[Interaction]] = defaultdict(list)
    for i in interactions:
        if i.user in opted_out:  # the only field of theirs ever read
            continue
        grouped[i.user].append(i)
    return grouped


def _durations(catalogue: Catalogue) -> dict[str, int]:
    return {i.id: i.duration_ms for i in catalogue.items}


def train(
    interactions: Iterable[Interaction],
    items: Sequence[Item],
    now: datetime,
    options: Options | None = None,
    opted_out: Iterable[str] = (),
) -> Model:
    options = options or Options()
    excluded = frozenset(opted_out)
    grouped = _by_user(interactions, excluded)
    durations = {i.id: i.duration_ms for i in items}
    listeners = {
        user: summarise(user, rows, now, options.half_life_days, durations)
        for user, rows in grouped.items()
    }
    catalogue = Catalogue(items, (e.items for e in listeners.values()))
    collab = Collaborative(len(catalogue), options.collab)
    users = [u for u, e in listeners.items() if e.liked]
    collab.fit(users, matrix([listeners[u].items for u in users], catalogue.index, len(catalogue)))
    return Model(catalogue, collab, listeners, excluded, options, now)


def update_listener(
    model: Model, user: str, interactions: Iterable[Interaction], now: datetime
) -> None:
    """Replace one listener's evidence with what their interactions now say (all of them, after
    a new clip or a deletion) and refit their vector; nobody else's feed changes."""
    if user in model.opted_out:
        raise InvalidInput("personalisation is off for this listener")
    rows = [i for i in interactions if i.user == user]
    evidence = summarise(user, rows, now, model.options.half_life_days, _durations(model.catalogue))
    model.listeners[user] = evidence
    known = {k: v for k, v in evidence.items.items() if k in model.catalogue.index}
    n_trained = model.collab.n_items
    index = {k: j for k, j in model.catalogue.index.items() if j < n_trained}
    model.collab.refit_user(user, matrix([known], index, n_trained))


def add_items(model: Model, items: Sequence[Item]) -> None:
    model.catalogue.add(items)
