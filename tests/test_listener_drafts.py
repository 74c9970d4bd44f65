"""Mark and Drafts over HTTP: one tap saves the last seconds as a private draft, snapped to
whole sentences; drafts wait in their owner's Drafts (and nowhere else) until refined and
shared. On SQLite and PostgreSQL."""

from __future__ import annotations

from soundbite.bootstrap import Soundbite
from tests.test_clip_support import SONNET_MS, add_sonnet
from tests.test_listener_api import listener
from tests.test_web_support import make_client, sign_in


def test_mark_saves_a_draft_of_the_last_30_seconds_in_whole_sentences(
    app: Soundbite, owner_id: int
) -> None:
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    r = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 40_000})
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["draft"] is True and draft["visibility"] == "private"
    # 10.0-40.0 s, widened to the sentences it touches: "From fairest …" to "… niggarding."
    assert 2_400 <= draft["start_ms"] <= 2_710 and 43_560 <= draft["end_ms"] <= 43_800
    assert draft["text"].startswith("From fairest") and draft["text"].endswith("niggarding.")
    assert draft["snap"] == "sentence"

    listed = ann.get("/api/drafts").json()
    assert [d["id"] for d in listed["items"]] == [draft["id"]] and listed["total"] == 1
    # not one of "your clips" until shared, and never public
    assert ann.get("/api/clips", params={"mine": "true"}).json()["items"] == []
    assert ann.get("/api/clips").json()["items"] == []


def test_mark_length_follows_the_setting_and_the_request(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id, transcribed=False)
    ann = listener(app, "ann")
    ann.patch("/api/account/listening", json={"mark_seconds": 12})
    # no transcript: cut at exactly those times
    short = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 30_000}).json()
    assert (short["start_ms"], short["end_ms"]) == (18_000, 30_000)
    asked = ann.post(
        "/api/drafts", json={"episode_id": episode, "at_ms": 30_000, "seconds": 5}
    ).json()
    assert (asked["start_ms"], asked["end_ms"]) == (25_000, 30_000)
    # marked in the first moments: what there is, at least the shortest clip
    early = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 300}).json()
    assert (early["start_ms"], early["end_ms"]) == (0, 1_000)
    # a playhead past the end (a late report) marks the end
    late = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 10**9}).json()
    assert (late["start_ms"], late["end_ms"]) == (SONNET_MS - 12_000, SONNET_MS)


def test_mark_refuses_bad_input(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    for body in (
        {"episode_id": episode, "at_ms": -1},
        {"episode_id": episode, "at_ms": 1000, "seconds": 4},
        {"episode_id": episode, "at_ms": 1000, "seconds": 121},
        {"episode_id": 0, "at_ms": 1000},
        {"at_ms": 1000},
    ):
        assert ann.post("/api/drafts", json=body).status_code == 422, body
    r = ann.post("/api/drafts", json={"episode_id": 999_999, "at_ms": 1000})
    assert r.status_code == 404
    signed_out = make_client(app).post("/api/drafts", json={"episode_id": episode, "at_ms": 1})
    assert signed_out.status_code == 401


def test_other_listeners_cannot_see_or_touch_a_draft(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    draft = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 20_000}).json()
    share_id = draft["id"]
    assert bob.get("/api/drafts").json()["items"] == []
    for client in (bob, make_client(app)):
        assert client.get(f"/api/clips/{share_id}").status_code == 404
        assert client.get(f"/c/{share_id}").status_code == 404
        assert client.get(f"/c/{share_id}/audio.mp3").status_code == 404
    assert bob.patch(f"/api/clips/{share_id}", json={"visibility": "public"}).status_code == 404
    assert bob.delete(f"/api/clips/{share_id}").status_code == 404
    # the owner (who runs the server) does not see listeners' drafts in any list either
    owner = make_client(app)
    sign_in(owner)
    assert owner.get("/api/drafts").json()["items"] == []
    assert owner.get("/api/clips").json()["items"] == []
    assert ann.get(f"/api/clips/{share_id}").json()["draft"] is True


def test_refine_with_a_note_then_share(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    draft = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 40_000}).json()
    url = f"/api/clips/{draft['id']}"
    changes = {"start_ms": 15_230, "end_ms": 27_280, "note": "the famine line", "title": "Famine"}
    refined = ann.patch(url, json=changes).json()
    assert refined["draft"] is True and refined["note"] == "the famine line"
    assert refined["text"].startswith("But thou")

    # "Save, keep private": out of Drafts, into "your clips", still only hers
    assert ann.get("/api/drafts").json()["total"] == 1
    shared = ann.patch(url, json={"visibility": "public"}).json()
    assert shared["draft"] is False and shared["visibility"] == "public"
    assert ann.get("/api/drafts").json()["total"] == 0
    mine = ann.get("/api/clips", params={"mine": "true"}).json()["items"]
    assert [(c["id"], c["note"]) for c in mine] == [(draft["id"], "the famine line")]
    # shared: the link works for anyone now, and it is listed
    assert bob.get(f"/c/{draft['id']}").status_code == 200
    assert [c["id"] for c in bob.get("/api/clips").json()["items"]] == [draft["id"]]
    # a shared clip does not go back to being a draft
    assert ann.patch(url, json={"draft": True}).status_code == 422


def test_a_made_title_follows_the_refined_words_a_typed_one_stays(
    app: Soundbite, owner_id: int
) -> None:
    """The clip tool sends the draft's title back with new edges: a title Mark made from the
    old first words must not label a clip that now starts elsewhere."""
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    made = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 40_000}).json()
    assert made["title"].startswith("From fairest")
    edges = {"start_ms": 15_230, "end_ms": 27_280}
    url = f"/api/clips/{made['id']}"
    moved = ann.patch(url, json={**edges, "title": made["title"]}).json()
    assert moved["text"].startswith("But thou") and moved["title"].startswith("But thou")

    typed = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 40_000}).json()
    url = f"/api/clips/{typed['id']}"
    ann.patch(url, json={"title": "My favourite lines"})
    kept = ann.patch(url, json={**edges, "title": "My favourite lines"}).json()
    assert kept["title"] == "My favourite lines" and kept["text"].startswith("But thou")


def test_take_out_of_drafts_as_private_and_undo_a_mark(app: Soundbite, owner_id: int) -> None:
    episode = add_sonnet(app, owner_id)
    ann = listener(app, "ann")
    kept = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 20_000}).json()
    undone = ann.post("/api/drafts", json={"episode_id": episode, "at_ms": 30_000}).json()
    out = ann.patch(f"/api/clips/{kept['id']}", json={"draft": False}).json()
    assert (out["draft"], out["visibility"]) == (False, "private")
    assert ann.delete(f"/api/clips/{undone['id']}").status_code == 204  # the toast's Undo
    assert ann.get("/api/drafts").json()["items"] == []
    assert [c["id"] for c in ann.get("/api/clips", params={"mine": "true"}).json()["items"]] == [
        kept["id"]
    ]
