"""The "For you" ranking on a library with two tastes, where the right answer is known."""

from __future__ import annotations

import pytest

from soundbite.errors import InvalidInput
from soundbite.recommend.data import Context, Interaction, Item
from soundbite.recommend.model import train, update_listener
from soundbite.recommend.ranker import Feed, feed, recommend
from tests.recommend_support import NOW, crowd, event, library, side_of

CTX = Context(now=NOW)


def picks(f: Feed, key: str) -> list[str]:
    row = next((r for r in f.rows if r.key == key), None)
    return [] if row is None else [p.item.id for p in row.picks]


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return library()


@pytest.fixture(scope="module")
def history(items: list[Item]) -> list[Interaction]:
    alice = [event("alice", "complete", "a-show0-ep0"), event("alice", "play", "a-show1-ep1")]
    bruno = [event("bruno", "complete", "b-show0-ep0"), event("bruno", "replay", "b-show2-ep1")]
    return crowd(items) + alice + bruno


def test_each_listener_gets_their_own_side(items, history):
    model = train(history, items, NOW)
    for user, side in (("alice", "a"), ("bruno", "b")):
        top = picks(feed(model, user, CTX), "for_you")
        assert len(top) == 10
        assert {side_of(i) for i in top} == {side}, (user, top)


def test_what_a_listener_already_liked_is_not_recommended_again(items, history):
    model = train(history, items, NOW)
    top = picks(feed(model, "bruno", CTX), "for_you")
    assert "b-show0-ep0" not in top and "b-show2-ep1" not in top


def test_no_show_has_more_than_two_items_in_any_ranked_rows_top_ten(items, history):
    # carol subscribes to one show and clipped from it: relevance alone would fill her rows
    # with it. ("Continue listening" is her own list, not a ranking: no cap there.)
    carol = [
        event("carol", "subscribe", show="a-show3"),
        event("carol", "clip_made", "a-show3-ep0"),
        *[event("carol", "complete", f"a-show{n}-ep0") for n in range(3)],
    ]
    model = train(history + carol, items, NOW)
    f = feed(model, "carol", Context(now=NOW, budget_minutes=45))
    assert len(f.rows) >= 4
    for row in f.rows:
        shows = [p.item.show for p in row.picks[:10]]
        assert max(shows.count(s) for s in shows) <= 2, (row.key, shows)


def test_mmr_caps_a_dominant_show_at_two_in_the_top_ten():
    import numpy as np

    from soundbite.recommend.diversity import rerank

    shows = ["big"] * 12 + [f"s{n}" for n in range(12)]
    relevance = np.array([2.0] * 12 + [1.0 - n / 100 for n in range(12)], dtype=np.float32)
    picked = rerank(list(range(24)), relevance, np.eye(24, dtype=np.float32), shows, k=14)
    assert [shows[p] for p in picked[:10]].count("big") == 2
    assert picked[:2] == [0, 1]  # the two best of the big show still lead
    assert [shows[p] for p in picked[10:]].count("big") == 4  # held back, not dropped


def test_every_item_has_a_reason_that_points_at_a_real_signal(items, history):
    model = train(history, items, NOW)
    mine = {i.id: i for i in history if i.user == "alice"}
    titles = {i.id: i.title for i in items}
    f = feed(model, "alice", Context(now=NOW, budget_minutes=20))
    assert [r.key for r in f.rows][:2] == ["continue", "for_you"]
    for row in f.rows:
        for p in row.picks:
            r = p.reason
            assert r.text.strip(), p
            if r.signal_kind == "interaction":
                signal = mine[r.signal_id]  # her own play, clip or subscription
                if r.text == "Pick up where you left off":
                    assert (signal.kind, signal.item) == ("play", p.item.id)
                else:  # the reason names the item that signal was about
                    assert titles[signal.item] in r.text, (r, signal)
            elif r.signal_kind == "popularity":
                assert (r.text, r.signal_id) == ("Popular on this server", "server")
            elif r.signal_kind == "budget":
                assert (r.text, r.signal_id) == ("Fits your next 20 minutes", "20")
                assert p.item.duration_ms <= 20 * 60_000
            else:
                assert r.signal_kind == "recency" and r.signal_id == p.item.show


def test_continue_listening_holds_what_was_started_and_not_finished(items, history):
    model = train(history, items, NOW)
    row = next(r for r in feed(model, "alice", CTX).rows if r.key == "continue")
    assert [p.item.id for p in row.picks] == ["a-show1-ep1"]
    play = next(i for i in history if i.user == "alice" and i.kind == "play")
    assert (row.picks[0].reason.signal_id, row.picks[0].reason.text) == (
        play.id, "Pick up where you left off",
    )  # fmt: skip


def test_the_for_you_reason_names_an_item_the_listener_played(items, history):
    model = train(history, items, NOW)
    row = next(r for r in feed(model, "bruno", CTX).rows if r.key == "for_you")
    texts = {p.reason.text for p in row.picks}
    assert texts <= {
        "Because you finished b-show0 episode 0",
        "Because you replayed b-show2 episode 1",
    }, texts


def test_a_skip_lowers_the_item(items, history):
    model = train(history, items, NOW)
    before = recommend(model, "alice", CTX, k=40)
    target = before[0]
    skipped = model.catalogue.items[target].id
    mine = [i for i in history if i.user == "alice"]
    update_listener(model, "alice", [*mine, event("alice", "skip", skipped, days_ago=0.1)], NOW)
    after = recommend(model, "alice", CTX, k=40)
    assert after.index(target) > before.index(target) + 5, (before, after)


def test_a_new_clip_changes_that_listeners_feed_and_nobody_elses(items, history):
    model = train(history, items, NOW)
    bruno_before = feed(model, "bruno", CTX)
    assert "because_clipped" not in [r.key for r in feed(model, "alice", CTX).rows]
    mine = [i for i in history if i.user == "alice"]
    clip = event("alice", "clip_made", "b-show4-ep2", days_ago=0.01)
    update_listener(model, "alice", [*mine, clip], NOW)
    after = feed(model, "alice", CTX)
    row = next(r for r in after.rows if r.key == "because_clipped")
    assert row.title == "Because you clipped b-show4 episode 2"
    assert {side_of(p.item.id) for p in row.picks[:5]} == {"b"}
    assert all(p.reason.signal_id == clip.id for p in row.picks)
    assert feed(model, "bruno", CTX) == bruno_before


def test_a_new_listener_gets_popular_items_and_their_shows_highlights(items, history):
    model = train([*history, event("dora", "subscribe", show="b-show3")], items, NOW)
    f = feed(model, "dora", CTX)
    new = next(r for r in f.rows if r.key == "new_from_shows")
    assert {p.item.show for p in new.picks} == {"b-show3"}
    assert all(p.reason.text == "New from Football Talk 3" for p in new.picks)
    top = picks(f, "for_you")
    # her show's best highlight leads; the rest is what is popular on the server
    assert top[0] == "b-show3-ep3"
    popular = picks(feed(train(history, items, NOW), "nobody", CTX), "for_you")
    assert set(top[1:]) & set(popular)


def test_a_new_item_enters_through_content_similarity(items, history):
    from soundbite.recommend.model import add_items

    model = train(history, items, NOW)
    fresh = Item(
        id="a-new", show="a-show9", title="Bread special", published_at=NOW,
        duration_ms=15 * 60_000, text="bread dough oven sourdough flour knead yeast " * 8,
    )  # fmt: skip
    add_items(model, [fresh])
    mine = [i for i in history if i.user == "alice"]
    update_listener(model, "alice", [*mine, event("alice", "clip_made", "a-show0-ep1")], NOW)
    f = feed(model, "alice", CTX)
    assert "a-new" in picks(f, "for_you") + picks(f, "because_clipped")
    assert "a-new" not in picks(feed(model, "bruno", CTX), "for_you")


def test_the_budget_row_only_holds_what_fits(items, history):
    model = train(history, items, NOW)
    f = feed(model, "alice", Context(now=NOW, budget_minutes=20))
    row = next(r for r in f.rows if r.key == "fits")
    assert row.title == "Fits your next 20 minutes" and row.picks
    assert all(p.item.duration_ms <= 20 * 60_000 for p in row.picks)


def test_training_is_deterministic(items, history):
    assert feed(train(history, items, NOW), "alice", CTX) == feed(
        train(history, items, NOW), "alice", CTX
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: event("x", "play", ""),  # no item
        lambda: event("x", "subscribe"),  # no show
        lambda: event("x", "search"),  # no query
        lambda: Interaction(id="1", user="x", kind="like", at=NOW, item="i"),  # type: ignore[arg-type]
        lambda: Interaction(id="1", user="x", kind="play", at=NOW.replace(tzinfo=None), item="i"),
        lambda: Interaction(id="1", user="x", kind="play", at=NOW, item="i", weight=float("inf")),
        lambda: Interaction(id="1", user="x", kind="play", at=NOW, item="i", weight=-1),
        lambda: Context(now=NOW, hour=24),
        lambda: Context(now=NOW, budget_minutes=0),
        lambda: Context(now=NOW, budget_minutes=10**9),
    ],
)
def test_bad_input_is_refused_with_a_message(build):
    with pytest.raises(InvalidInput) as e:
        build()
    assert e.value.message


def test_an_item_listed_twice_is_refused(items):
    with pytest.raises(InvalidInput, match="listed twice"):
        train([], [*items, items[0]], NOW)


def test_deleting_history_takes_its_influence_out_of_the_feed(items, history):
    model = train(history, items, NOW)
    assert {side_of(i) for i in picks(feed(model, "bruno", CTX), "for_you")} == {"b"}
    update_listener(model, "bruno", [], NOW)  # he deleted everything
    after = feed(model, "bruno", CTX)
    assert picks(after, "for_you") == picks(feed(model, "nobody", CTX), "for_you")
    assert all(p.reason.signal_kind != "interaction" for r in after.rows for p in r.picks)


def test_a_search_shapes_the_feed_and_is_named_as_the_reason(items, history):
    searched = event("erin", "search", query="penalty referee")
    model = train([*history, searched], items, NOW)
    row = next(r for r in feed(model, "erin", CTX).rows if r.key == "for_you")
    assert {side_of(p.item.id) for p in row.picks} == {"b"}
    assert {(p.reason.text, p.reason.signal_id) for p in row.picks[:3]} == {
        ("Because you searched for “penalty referee”", searched.id)
    }


def test_time_of_day_and_budget_fit():
    import numpy as np

    from soundbite.recommend.context import budget_fit, hour_fit
    from soundbite.recommend.signals import is_skip

    minutes = np.array([5, 19, 20, 21, 60]) * 60_000
    assert budget_fit(minutes, 20).tolist() == pytest.approx([0.25, 0.95, 1.0, 0.0, 0.0])
    usual = {"morning": [10.0, 12.0, 14.0], "evening": [60.0]}
    morning, evening = hour_fit(minutes, 8, usual), hour_fit(minutes, 21, usual)
    assert morning.argmax() != evening.argmax() and evening.argmax() == 4
    assert hour_fit(minutes, 14, usual).tolist() == [0.5] * 5  # no afternoon history: neutral
    assert is_skip(29_999) and not is_skip(30_000)


def test_a_brand_new_listeners_first_clip_shapes_their_feed_without_retraining(items, history):
    model = train(history, items, NOW)
    assert not model.collab.has_vector("zed")
    update_listener(model, "zed", [event("zed", "clip_made", "b-show1-ep1")], NOW)
    assert model.collab.has_vector("zed")
    assert {side_of(i) for i in picks(feed(model, "zed", CTX), "for_you")[:8]} == {"b"}


def test_hostile_histories_are_ignored_not_trusted(items, history):
    model = train([*history, event("alice", "clip_made", "no-such-item")], items, NOW)
    assert picks(feed(model, "alice", CTX), "for_you")  # an unknown item is simply left out
    # someone else's rows handed in for alice do not become hers
    bruno = [i for i in history if i.user == "bruno"]
    update_listener(model, "alice", bruno, NOW)
    assert picks(feed(model, "alice", CTX), "for_you") == picks(
        feed(model, "nobody", CTX), "for_you"
    )
