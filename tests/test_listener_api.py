"""Listener features over HTTP, per user: subscriptions, progress synced across browsers,
history, listener settings, and what the export and account deletion do with them. Each test
runs on SQLite and PostgreSQL; hostile inputs (another listener's rows, unknown ids, positions
past the end) get the answers a listener would expect."""

from __future__ import annotations

import contextlib

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from soundbite.bootstrap import Soundbite
from soundbite.errors import Conflict
from soundbite.services.accounts import add_user
from soundbite.store.listener_models import ListenerSettings, Listening, Subscription
from soundbite.store.recommend_models import ListenerPrivacy, Signal
from tests.test_clip_support import SONNET_MS, add_sonnet
from tests.test_web_support import make_client

PASSWORD = "listener's own sturdy passphrase"


def listener(app: Soundbite, username: str) -> TestClient:
    """A browser of `username` (made on first use), signed in by cookie with its CSRF header."""
    with contextlib.suppress(Conflict):
        add_user(app, username, PASSWORD)
    client = make_client(app)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_progress_follows_the_listener_to_another_browser(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    laptop, phone = listener(app, "ann"), listener(app, "ann")
    before = phone.get(f"/api/episodes/{episode}/progress").json()
    assert (before["position_ms"], before["done"], before["updated_at"]) == (0, False, None)

    r = laptop.put(f"/api/episodes/{episode}/progress", json={"position_ms": 21_500})
    assert r.status_code == 200 and r.json()["position_ms"] == 21_500
    resumed = phone.get(f"/api/episodes/{episode}/progress").json()
    assert (resumed["position_ms"], resumed["done"]) == (21_500, False)
    assert resumed["duration_ms"] == SONNET_MS and resumed["updated_at"]

    # the phone listens on and stops later: the laptop now resumes there (latest report wins)
    phone.put(f"/api/episodes/{episode}/progress", json={"position_ms": 30_000})
    assert laptop.get(f"/api/episodes/{episode}/progress").json()["position_ms"] == 30_000


def test_the_end_of_an_episode_marks_it_done(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    url = f"/api/episodes/{episode}/progress"
    near_end = ann.put(url, json={"position_ms": SONNET_MS - 5_000}).json()
    assert near_end["done"] is True and near_end["position_ms"] == SONNET_MS
    # starting it again is listening again
    assert ann.put(url, json={"position_ms": 3_000}).json()["done"] is False
    assert ann.put(url, json={"position_ms": 4_000, "ended": True}).json()["done"] is True
    # a position past the end (a clock that ran on, a hostile client) is the end, not an error
    past = ann.put(url, json={"position_ms": 10**12}).json()
    assert (past["position_ms"], past["done"]) == (SONNET_MS, True)


def test_progress_refuses_nonsense_and_unknown_episodes(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    for body in ({"position_ms": -1}, {"position_ms": 2**60}, {"position_ms": "soon"}, {}):
        r = ann.put(f"/api/episodes/{episode}/progress", json=body)
        assert r.status_code == 422, (body, r.text)
    for method in ("GET", "PUT"):
        r = ann.request(method, "/api/episodes/999999/progress", json={"position_ms": 1})
        assert r.status_code == 404 and "no episode 999999" in r.json()["detail"]
    assert ann.get("/api/episodes/0/progress").status_code == 422
    # signed out: nothing to keep progress for
    assert make_client(app).get(f"/api/episodes/{episode}/progress").status_code == 401
    # no CSRF header: refused like every other cookie write
    csrf = ann.headers.pop("X-CSRF-Token")
    r = ann.put(f"/api/episodes/{episode}/progress", json={"position_ms": 1000})
    assert r.status_code == 403 and csrf


def test_listeners_never_see_each_others_progress_or_history(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    ann.put(f"/api/episodes/{episode}/progress", json={"position_ms": 12_000})
    # bob asking about the same episode gets his own (nothing), never ann's
    assert bob.get(f"/api/episodes/{episode}/progress").json()["position_ms"] == 0
    assert bob.get("/api/history").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    # and cannot remove it from her history
    assert bob.delete(f"/api/history/{episode}").status_code == 404
    assert ann.get("/api/history").json()["total"] == 1
    bob.put(f"/api/episodes/{episode}/progress", json={"position_ms": 2_000})
    assert ann.get(f"/api/episodes/{episode}/progress").json()["position_ms"] == 12_000


def test_history_newest_first_and_deletable(app: Soundbite, owner_id: int) -> None:
    first = add_sonnet(app, owner_id, title="First")
    second = add_sonnet(app, owner_id, title="Second")
    ann = listener(app, "ann")
    assert ann.get("/api/history").json()["items"] == []
    ann.put(f"/api/episodes/{first}/progress", json={"position_ms": 5_000})
    ann.put(f"/api/episodes/{second}/progress", json={"position_ms": 7_000})
    items = ann.get("/api/history").json()["items"]
    assert [(i["episode_title"], i["position_ms"]) for i in items] == [
        ("Second", 7_000),
        ("First", 5_000),
    ]
    assert items[0]["podcast_title"] and items[0]["duration_ms"] == SONNET_MS
    # playing the first again brings it to the top
    ann.put(f"/api/episodes/{first}/progress", json={"position_ms": 9_000})
    assert [i["episode_id"] for i in ann.get("/api/history").json()["items"]] == [first, second]
    page = ann.get("/api/history", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and [i["episode_id"] for i in page["items"]] == [second]

    assert ann.delete(f"/api/history/{first}").status_code == 204
    assert [i["episode_id"] for i in ann.get("/api/history").json()["items"]] == [second]
    # forgotten from the history means no longer resumed either
    assert ann.get(f"/api/episodes/{first}/progress").json()["position_ms"] == 0
    assert ann.delete(f"/api/history/{first}").status_code == 404
    assert ann.delete("/api/history").status_code == 204
    assert ann.get("/api/history").json()["total"] == 0


def test_subscriptions(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    podcast_id = ann.get(f"/api/episodes/{episode}").json()["podcast_id"]
    url = f"/api/podcasts/{podcast_id}/subscription"
    assert ann.get(url).json() == {"podcast_id": podcast_id, "subscribed": False}
    assert ann.put(url).json()["subscribed"] is True
    assert ann.put(url).status_code == 200  # again: harmless, still one subscription
    subs = ann.get("/api/subscriptions").json()
    assert [(s["podcast_id"], s["episode_count"]) for s in subs] == [(podcast_id, 1)]
    assert ann.get(url).json()["subscribed"] is True
    assert bob.get("/api/subscriptions").json() == [] and bob.get(url).json()["subscribed"] is False

    assert ann.delete(url).json()["subscribed"] is False
    assert ann.get("/api/subscriptions").json() == []
    for method in ("GET", "PUT", "DELETE"):
        assert ann.request(method, "/api/podcasts/999999/subscription").status_code == 404
    assert make_client(app).put(url).status_code == 401


def test_mark_length_setting(app: Soundbite) -> None:
    ann = listener(app, "ann")
    assert ann.get("/api/account/listening").json() == {"mark_seconds": 30}
    assert ann.patch("/api/account/listening", json={"mark_seconds": 45}).json() == {
        "mark_seconds": 45
    }
    assert listener(app, "ann").get("/api/account/listening").json()["mark_seconds"] == 45
    for bad in (4, 121, -30, 10**9):
        r = ann.patch("/api/account/listening", json={"mark_seconds": bad})
        assert r.status_code == 422, bad
    assert listener(app, "bob").get("/api/account/listening").json()["mark_seconds"] == 30


def test_export_carries_listening_and_deletion_removes_it(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    podcast_id = ann.get(f"/api/episodes/{episode}").json()["podcast_id"]
    ann.put(f"/api/podcasts/{podcast_id}/subscription")
    ann.put(f"/api/episodes/{episode}/progress", json={"position_ms": 12_345})
    ann.patch("/api/account/listening", json={"mark_seconds": 20})
    draft = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 40_000}).json()
    kept = ann.post(
        "/api/clips", json={"episode_id": episode, "start_ms": 1000, "end_ms": 5000}
    ).json()

    data = ann.get("/api/account/export").json()
    assert data["format"] == 3
    assert [s["podcast_id"] for s in data["subscriptions"]] == [podcast_id]
    assert [(p["episode_id"], p["position_ms"], p["done"]) for p in data["progress"]] == [
        (episode, 12_345, False)
    ]
    assert [h["episode_id"] for h in data["history"]] == [episode]
    assert [d["share_id"] for d in data["drafts"]] == [draft["id"]]
    assert [c["share_id"] for c in data["clips"]] == [kept["id"]]
    assert data["settings"] == {"mark_seconds": 20, "personalised": True, "history_paused": False}
    # what "For you" kept of it: the play, the subscription, the clips made
    assert {x["kind"] for x in data["signals"]} >= {"play", "subscribe", "clip_made"}

    r = ann.request("DELETE", "/api/account", json={"password": PASSWORD})
    assert r.status_code == 204
    with app.db.read() as s:
        for table in (Subscription, Listening, ListenerSettings, Signal, ListenerPrivacy):
            assert s.scalar(select(func.count()).select_from(table)) == 0, table
    # the owner's own view of the library is untouched
    owner = make_client(app)
    assert owner.get(f"/api/clips/{draft['id']}").status_code == 404
