"""Personalisation off: nothing personal is read or computed for that listener.

The proof is structural. Olive's interactions are handed to training as records that refuse
every field but ``user`` (the one field needed to leave her out), so any code that looked at
what she did would fail here. Her vector must never exist, her plays must not even count as
popularity votes, and her feed comes from a function given the catalogue only.
"""

from __future__ import annotations

import numpy as np
import pytest

from soundbite.errors import InvalidInput
from soundbite.recommend.data import Context, Interaction
from soundbite.recommend.model import train, update_listener
from soundbite.recommend.ranker import feed, public_feed
from tests.recommend_support import NOW, crowd, event, library


class Sealed:
    """An opted-out listener's row: its owner can be read, nothing else."""

    def __init__(self, real: Interaction) -> None:
        self.user = real.user

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"read {name!r} of an opted-out listener's interaction")


def olive_and_otto(items_a: str, items_b: str) -> list[Interaction]:
    return [
        *[event("olive", "clip_made", f"{items_a}-ep{n}") for n in range(4)],
        *[event("otto", "complete", f"{items_b}-ep{n}") for n in range(4)],
        event("olive", "subscribe", show=items_a),
        event("olive", "search", query="sourdough"),
    ]


@pytest.fixture(scope="module")
def setup():
    items = library()
    everyone = crowd(items)
    private = olive_and_otto("a-show2", "b-show1")
    sealed = [Sealed(i) for i in private]
    model = train([*everyone, *sealed], items, NOW, opted_out={"olive", "otto"})  # type: ignore[list-item]
    return items, everyone, private, model


def test_training_reads_nothing_but_the_owner_of_an_opted_out_listeners_rows(setup):
    # building the model from Sealed rows is the test: any read would have failed
    assert setup[3].listeners


def test_no_vector_or_evidence_exists_for_them(setup):
    _, _, _, model = setup
    for user in ("olive", "otto"):
        assert not model.collab.has_vector(user)
        assert user not in model.listeners
    assert model.collab.has_vector("a0")  # the others do have one


def test_their_plays_are_not_even_popularity_votes(setup):
    items, everyone, private, model = setup
    without = train(everyone, items, NOW)
    with_them = train([*everyone, *private], items, NOW)
    assert np.array_equal(model.catalogue.popularity, without.catalogue.popularity)
    assert not np.array_equal(with_them.catalogue.popularity, without.catalogue.popularity)


def test_they_get_the_popular_and_newest_rows_whatever_their_history(setup):
    _, _, _, model = setup
    ctx = Context(now=NOW, budget_minutes=20)
    f = public_feed(model.catalogue, ctx)
    assert not f.personalised
    assert [(r.key, r.title) for r in f.rows] == [
        ("popular", "Popular on this server"),
        ("newest", "New on this server"),
    ]
    popular = [p.item.id for p in f.rows[0].picks]
    assert len(popular) == 10
    pop = model.catalogue.popularity
    assert pop[model.catalogue.index[popular[0]]] == pop.max()
    newest = f.rows[1].picks
    assert all(p.reason.text.startswith("New from ") for p in newest)
    dates = [p.item.published_at for p in newest]
    assert dates[0] == max(i.published_at for i in model.catalogue.items)
    # and the public feed never builds a vector either
    assert not model.collab.has_vector("olive") and "olive" not in model.listeners


def test_the_personal_paths_refuse_them(setup):
    _, _, private, model = setup
    with pytest.raises(InvalidInput, match="personalisation is off"):
        feed(model, "olive", Context(now=NOW))
    with pytest.raises(InvalidInput, match="personalisation is off"):
        update_listener(model, "olive", private, NOW)
    assert not model.collab.has_vector("olive")


def test_turning_personalisation_back_on_uses_their_history_again(setup):
    items, everyone, private, _ = setup
    model = train([*everyone, *private], items, NOW)
    f = feed(model, "olive", Context(now=NOW))
    assert model.collab.has_vector("olive")
    top = next(r for r in f.rows if r.key == "for_you").picks
    # her kitchen clips shape it: she has had all of a-show2, so the other four kitchen shows
    # fill eight places (two each, the cap) before anything else
    assert {p.item.id[0] for p in top[:8]} == {"a"}
