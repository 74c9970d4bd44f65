"""GET /api/for-you and its controls over HTTP, on SQLite and PostgreSQL: listeners with
different histories get different feeds with reasons; opting out gives the popular feed and
builds nothing personal; a paused history records nothing; deleting history changes the feed
after the next training; admins exclude podcasts; nobody sees a podcast they may not read."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from soundbite.bootstrap import Soundbite
from soundbite.services import for_you_model
from soundbite.store.recommend_models import RecommendModel, Signal
from tests.for_you_support import add_shows, feed, finish, items, podcast_of, titles, train
from tests.test_listener_api import listener
from tests.test_web_support import make_client

PERSONAL_ROWS = {"continue", "for_you", "new_from_shows", "because_clipped", "fits"}


def _signal_ids(client: TestClient) -> set[str]:
    r = client.get("/api/for-you/signals", params={"limit": 500})
    assert r.status_code == 200, r.text
    return {s["id"] for s in r.json()["items"]}


def _model(app: Soundbite) -> for_you_model.Trained:
    loaded = for_you_model.latest(app)
    assert loaded is not None
    return loaded[1]


def test_two_listeners_get_different_feeds_with_reasons(app: Soundbite, owner_id: int) -> None:
    shows = add_shows(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    for e in shows["Kitchen Table"][:2]:
        finish(ann, e)
    for e in shows["Orbit Hour"][:2]:
        finish(bob, e)
    assert train(app) == 1

    ann_feed, bob_feed = feed(ann, budget=20), feed(bob, budget=20)
    assert ann_feed["personalised"] and ann_feed["source"] == "model"
    ann_top, bob_top = items(ann_feed)[0], items(bob_feed)[0]
    # each is offered more of what they finished, and told why, with a link to that signal
    assert ann_top["title"].startswith("Kitchen Table"), titles(ann_feed)
    assert bob_top["title"].startswith("Orbit Hour"), titles(bob_feed)
    assert ann_top["reason"]["text"].startswith("Because you finished Kitchen Table")
    assert ann_top["reason"]["signal_id"] in _signal_ids(ann)
    assert ann_top["reason"]["link"] == f"/for-you/signals#signal-{ann_top['reason']['signal_id']}"
    assert titles(ann_feed) != titles(bob_feed)
    for item in items(ann_feed) + items(bob_feed):
        assert item["reason"]["text"], item
        if item["reason"]["signal_kind"] == "interaction":  # never someone else's signal
            mine = _signal_ids(ann) if item in items(ann_feed) else _signal_ids(bob)
            assert item["reason"]["signal_id"] in mine
    # the time budget the listener picked is a row of items that fit it
    fits = next(r for r in ann_feed["rows"] if r["key"] == "fits")
    assert fits["title"] == "Fits your next 20 minutes"
    assert all(i["duration_ms"] <= 20 * 60_000 for i in fits["items"])


def test_personalisation_off_gives_the_popular_feed_and_builds_nothing_personal(
    app: Soundbite, owner_id: int
) -> None:
    shows = add_shows(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    garden_only_ann = shows["Garden Talk"][0]
    finish(ann, garden_only_ann)
    finish(ann, shows["Kitchen Table"][0])
    finish(bob, shows["Orbit Hour"][0])
    r = ann.put("/api/for-you/privacy", json={"personalised": False})
    assert r.json() == {"personalised": False, "history_paused": False}
    train(app)

    data = feed(ann, budget=20)
    assert data["personalised"] is False
    assert {row["key"] for row in data["rows"]} <= {"popular", "newest"}
    assert not {row["key"] for row in data["rows"]} & PERSONAL_ROWS
    ann_signals = _signal_ids(ann)
    assert ann_signals  # still kept (and exportable), just never used
    assert not {i["reason"]["signal_id"] for i in items(data)} & ann_signals
    # nothing of hers is in the model: no evidence, no vector, not even a popularity vote
    model = _model(app).model
    ann_id = ann.get("/api/auth/me").json()["user"]["id"]
    assert f"u{ann_id}" not in model.listeners and not model.collab.has_vector(f"u{ann_id}")
    assert model.catalogue.popularity[model.catalogue.index[f"e{garden_only_ann}"]] == 0
    # bob, who did not opt out, still has his own
    assert feed(bob)["personalised"] is True

    # back on: the next (incremental) run takes her in again
    ann.put("/api/for-you/privacy", json={"personalised": True})
    train(app)
    assert feed(ann)["personalised"] is True
    assert f"u{ann_id}" in _model(app).model.listeners


def test_paused_history_records_no_new_signals(app: Soundbite, owner_id: int) -> None:
    shows = add_shows(app, owner_id)
    ann = listener(app, "ann")
    finish(ann, shows["Kitchen Table"][0])
    before = _signal_ids(ann)
    assert ann.put("/api/for-you/privacy", json={"history_paused": True}).status_code == 200

    finish(ann, shows["Orbit Hour"][0])
    ann.get("/api/search", params={"q": "rocket"})
    ann.put(f"/api/podcasts/{podcast_of(ann, shows['Garden Talk'][0])}/subscription")
    assert _signal_ids(ann) == before

    ann.put("/api/for-you/privacy", json={"history_paused": False})
    ann.get("/api/search", params={"q": "rocket"})
    kinds = [s["kind"] for s in ann.get("/api/for-you/signals").json()["items"]]
    assert kinds[0] == "search" and len(kinds) == len(before) + 1


def test_signals_of_plays_skips_replays_clips_subscriptions_and_searches(
    app: Soundbite, owner_id: int
) -> None:
    shows = add_shows(app, owner_id)
    ann = listener(app, "ann")
    kitchen, orbit = shows["Kitchen Table"], shows["Orbit Hour"]
    finish(ann, kitchen[0])
    # 10 s of one episode, then another: the first was a skip
    ann.put(f"/api/episodes/{orbit[0]}/progress", json={"position_ms": 0})
    ann.put(f"/api/episodes/{orbit[0]}/progress", json={"position_ms": 10_000})
    ann.put(f"/api/episodes/{orbit[1]}/progress", json={"position_ms": 0})
    assert ann.put(f"/api/podcasts/{podcast_of(ann, orbit[0])}/subscription").status_code == 200
    ann.get("/api/search", params={"q": "  sourdough   crust "})
    rows = ann.get("/api/for-you/signals").json()["items"]
    kinds = {(s["kind"], s["episode_id"]) for s in rows}
    assert ("play", kitchen[0]) in kinds and ("complete", kitchen[0]) in kinds
    assert ("skip", orbit[0]) in kinds and ("play", orbit[1]) in kinds
    assert any(s["kind"] == "search" and s["query"] == "sourdough crust" for s in rows)
    assert any(s["kind"] == "subscribe" for s in rows)
    # finishing it again in a later session is a replay
    with app.db.write() as s:
        for row in s.scalars(select(Signal).where(Signal.episode_id == kitchen[0])):
            row.at = row.updated_at = row.at - timedelta(hours=2)
    ann.put(f"/api/episodes/{kitchen[0]}/progress", json={"position_ms": 60_000})
    latest = ann.get("/api/for-you/signals").json()["items"][0]
    assert (latest["kind"], latest["episode_id"]) == ("replay", kitchen[0])
    # another listener's signal cannot be deleted, or even confirmed to exist
    bob = listener(app, "bob")
    r = bob.delete(f"/api/for-you/signals/{rows[0]['id']}")
    assert r.status_code == 404 and "no signal" in r.json()["detail"]
    assert ann.delete(f"/api/for-you/signals/{rows[0]['id']}").status_code == 204
    assert rows[0]["id"] not in _signal_ids(ann)


def test_deleting_history_changes_the_feed_after_the_next_training(
    app: Soundbite, owner_id: int
) -> None:
    shows = add_shows(app, owner_id)
    ann = listener(app, "ann")
    first = shows["Kitchen Table"][0]
    finish(ann, first)
    train(app)
    cited = {i["reason"]["text"] for i in items(feed(ann))}
    assert "Because you finished Kitchen Table 1" in cited

    assert ann.delete(f"/api/history/{first}").status_code == 204
    assert not [s for s in ann.get("/api/for-you/signals").json()["items"] if s["episode_id"]]
    # the served model is the trained one until the next run (never trained on a request)
    assert "Because you finished Kitchen Table 1" in {i["reason"]["text"] for i in items(feed(ann))}
    train(app)
    after = feed(ann)
    assert "Because you finished Kitchen Table 1" not in {i["reason"]["text"] for i in items(after)}
    assert not [r for r in after["rows"] if r["key"] == "continue"]
    with app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(RecommendModel)) >= 1


def test_an_admin_excludes_a_podcast_at_once(
    app: Soundbite, owner_id: int, client: TestClient
) -> None:
    shows = add_shows(app, owner_id)
    ann = listener(app, "ann")
    finish(ann, shows["Orbit Hour"][0])
    train(app)
    assert any(t.startswith("Orbit Hour") for t in titles(feed(ann)))
    orbit_podcast = podcast_of(ann, shows["Orbit Hour"][0])

    r = ann.put(f"/api/for-you/excluded-podcasts/{orbit_podcast}")
    assert r.status_code == 403 and "only an admin" in r.json()["detail"]
    assert client.put("/api/for-you/excluded-podcasts/999999").status_code == 404
    assert client.put(f"/api/for-you/excluded-podcasts/{orbit_podcast}").status_code == 204
    listed = client.get("/api/for-you/excluded-podcasts").json()
    assert [x["title"] for x in listed] == ["Orbit Hour"]
    # hidden before the next training, and left out of it
    assert not any(t.startswith("Orbit Hour") for t in titles(feed(ann)))
    train(app)
    assert not any(t.startswith("Orbit Hour") for t in titles(feed(ann)))
    assert not any(t.startswith("Orbit Hour") for t in titles(feed(make_client(app))))

    assert client.delete(f"/api/for-you/excluded-podcasts/{orbit_podcast}").status_code == 204
    train(app)  # incremental: its items join the model again by their words
    assert any(t.startswith("Orbit Hour") for t in titles(feed(ann)))


def test_nobody_sees_a_podcast_they_may_not_read(app: Soundbite, owner_id: int) -> None:
    shows = add_shows(app, owner_id)
    anonymous = make_client(app)
    # before any training: the cold-start rows, straight from the database
    cold = feed(anonymous)
    assert cold["source"] == "cold_start" and cold["personalised"] is False
    assert titles(cold) and not any(t.startswith("Members Lounge") for t in titles(cold))
    ann = listener(app, "ann")
    finish(ann, shows["Members Lounge"][0])
    train(app)
    data = feed(anonymous, budget=60)
    assert data["source"] == "model" and titles(data)
    assert not any(t.startswith("Members Lounge") for t in titles(data))
    # members-only podcasts are for signed-in accounts (services/for_you._readable_podcast_ids)
    assert any(t.startswith("Members Lounge") for t in titles(feed(listener(app, "bob"))))


def test_a_fresh_process_serves_the_saved_model(app: Soundbite, owner_id: int) -> None:
    shows = add_shows(app, owner_id)
    ann = listener(app, "ann")
    finish(ann, shows["Kitchen Table"][0])
    train(app)
    before = titles(feed(ann))
    fresh = Soundbite.from_settings(app.settings)
    try:
        for_you_model._loaded.clear()  # as in a new process
        again = listener(fresh, "ann")
        assert titles(feed(again)) == before
    finally:
        fresh.close()


def test_a_tampered_model_blob_is_refused(app: Soundbite, owner_id: int) -> None:
    add_shows(app, owner_id)
    train(app)
    row = for_you_model.latest_row(app)
    assert row is not None
    app.storage.put_bytes(row.blob_key, b"not the model")
    for_you_model._loaded.clear()
    # logged, and the listener gets the cold-start rows rather than an error
    assert feed(listener(app, "ann"))["source"] == "cold_start"


def test_bad_feed_parameters_are_refused(app: Soundbite) -> None:
    anonymous = make_client(app)
    for params in ({"budget": 0}, {"budget": 100_000}, {"hour": 24}, {"hour": -1}, {"budget": "x"}):
        assert anonymous.get("/api/for-you", params=params).status_code == 422, params
    assert anonymous.get("/api/for-you/signals").status_code == 401
    assert anonymous.put("/api/for-you/privacy", json={"personalised": False}).status_code == 401
