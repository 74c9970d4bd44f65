"""The clips API on both databases: create in one round trip, rules, visibility, events, export.

The episode is the real demo recording with its real Whisper transcript (from a file, so no
model runs here); renders are tested in test_clip_renders.py.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.domain.secrets import BASE62
from soundbite.services.accounts import create_api_token, ensure_owner
from soundbite.services.library import add_feed_document
from soundbite.store.clip_models import Clip, ClipEvent, ClipEventSalt
from soundbite.store.models import User
from tests.conftest import make_settings
from tests.test_clip_support import SONNET_MS, add_sonnet, word
from tests.test_web_support import make_client, sign_in

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
HOSTILE = '<script>alert("x")</script> & "friends"'


def clip(client: TestClient, episode_id: int, start: int, end: int, **fields: object) -> dict:
    r = client.post(
        "/api/clips", json={"episode_id": episode_id, "start_ms": start, "end_ms": end, **fields}
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def other_user(app: Soundbite, name: str = "guest") -> TestClient:
    """A second, non-owner account, signed in by API token."""
    with app.db.write() as s:
        user = User(username=name, role="listener")
        s.add(user)
        s.flush()
        user_id = user.id
    c = make_client(app)
    c.headers["Authorization"] = f"Bearer {create_api_token(app, user_id, 'test')}"
    return c


def test_create_answers_with_everything_at_once(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)
    # "thou," and "eyes," have a pause on each side, so the clip keeps exactly these words
    thou, eyes = word("thou"), word("eyes")
    body = clip(client, episode_id, thou.start_ms + 80, eyes.end_ms - 50)
    assert re.fullmatch(f"[{BASE62}]{{17}}", body["id"])
    # whole words, edges in the quiet between words (within a quarter second of the transcript)
    assert abs(body["start_ms"] - thou.start_ms) <= 250
    assert abs(body["end_ms"] - eyes.end_ms) <= 250
    assert body["duration_ms"] == body["end_ms"] - body["start_ms"]
    assert body["text"].startswith("thou, contracted to")
    assert body["text"].endswith("bright eyes,")
    assert body["title"].startswith("thou, contracted") and len(body["title"]) <= 128
    assert (body["snap"], body["visibility"], body["source"]) == ("word", "public", "listener")
    assert body["share_url"] == f"http://testserver/c/{body['id']}"
    assert re.fullmatch(rf"{body['share_url']}/audio\.mp3\?v=[0-9a-f]{{16}}", body["audio_url"])
    links = body["links"]
    assert links["embed"] == f"http://testserver/embed/{body['id']}"
    assert links["audio"]["m4a"].startswith(f"{body['share_url']}/audio.m4a?v=")
    assert links["oembed"].startswith("http://testserver/oembed?url=http%3A%2F%2Ftestserver%2Fc%2F")
    assert client.get(f"/api/clips/{body['id']}").json() == body
    with app.db.read() as s:
        kinds = s.scalars(select(ClipEvent.kind)).all()
    assert kinds == ["created"]


def test_the_configured_public_url_is_used(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(
        make_settings(tmp_path / "d", database_url, public_base_url="https://clips.example.org/")
    )
    try:
        ensure_owner(sb)
        with sb.db.read() as s:
            me = s.scalars(
                select(User.id).where(User.role == "admin").order_by(User.id).limit(1)
            ).one()
        c = make_client(sb)  # session cookies are Secure behind https: sign in by token
        c.headers["Authorization"] = f"Bearer {create_api_token(sb, me, 'test')}"
        body = clip(c, add_sonnet(sb, me), 3000, 9000)
        assert body["share_url"] == f"https://clips.example.org/c/{body['id']}"
        assert body["audio_url"].startswith("https://clips.example.org/c/")
    finally:
        sb.close()


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (9000, 4000, "reversed"),
        (4000, 4000, "empty"),
        (-10, 4000, "starts before the episode"),
        (50_000, SONNET_MS + 1, "ends after the episode"),
        (4000, 4500, "too short"),
    ],
)
def test_spans_that_break_a_rule_are_422_saying_which(
    app: Soundbite, client: TestClient, owner_id: int, start: int, end: int, says: str
) -> None:
    episode_id = add_sonnet(app, owner_id)
    r = client.post("/api/clips", json={"episode_id": episode_id, "start_ms": start, "end_ms": end})
    assert r.status_code == 422 and says in r.json()["detail"], r.text


def test_too_long_unknown_and_malformed(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(make_settings(tmp_path / "d", database_url, clip_max_seconds=10))
    try:
        ensure_owner(sb)
        c = make_client(sb)
        sign_in(c)
        with sb.db.read() as s:
            me = s.scalars(
                select(User.id).where(User.role == "admin").order_by(User.id).limit(1)
            ).one()
        episode_id = add_sonnet(sb, me)
        post = lambda **kw: c.post("/api/clips", json={"episode_id": episode_id, **kw})  # noqa: E731
        r = post(start_ms=1000, end_ms=12_000)
        assert r.status_code == 422 and "too long: 11000 ms" in r.json()["detail"]
        assert "at most 10000 ms" in r.json()["detail"]
        # word snapping never pushes a clip over the limit
        assert post(start_ms=2600, end_ms=12_600).json()["duration_ms"] <= 10_000
        r = c.post("/api/clips", json={"episode_id": 999, "start_ms": 0, "end_ms": 5000})
        assert r.status_code == 404
        assert post(start_ms=0, end_ms=5000, snap="syllable").status_code == 422
        assert post(start_ms=0, end_ms=5000, title="x" * 129).status_code == 422
        assert post(start_ms=0, end_ms=5000, visibility="secret").status_code == 422
    finally:
        sb.close()


def test_sentence_and_exact_snapping(app: Soundbite, client: TestClient, owner_id: int) -> None:
    episode_id = add_sonnet(app, owner_id)
    contracted = word("contracted")
    sentence = clip(
        client, episode_id, contracted.start_ms, contracted.end_ms + 900, snap="sentence"
    )
    assert sentence["text"].startswith("But thou, contracted") and sentence["text"].endswith(
        "thy self-thy foe."
    )
    exact = clip(client, episode_id, 10_123, 17_456, snap="none")
    assert (exact["start_ms"], exact["end_ms"], exact["snap"]) == (10_123, 17_456, "none")


def test_episodes_without_a_transcript_keep_the_exact_span(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id, transcribed=False)
    body = clip(client, episode_id, 10_123, 17_456)
    assert (body["start_ms"], body["end_ms"], body["text"]) == (10_123, 17_456, None)
    assert body["title"] == "Sonnet 1 at 0:10"


def test_change_and_delete(app: Soundbite, client: TestClient, owner_id: int) -> None:
    episode_id = add_sonnet(app, owner_id)
    body = clip(client, episode_id, 3000, 9000, title=HOSTILE, note="mine")
    assert body["title"] == HOSTILE  # stored as given; escaped wherever it is shown
    r = client.patch(f"/api/clips/{body['id']}", json={"title": "Better", "visibility": "unlisted"})
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["visibility"], r.json()["note"]) == (
        "Better",
        "unlisted",
        "mine",
    )
    assert r.json()["audio_url"] == body["audio_url"]  # same span, same audio
    moved = client.patch(
        f"/api/clips/{body['id']}", json={"start_ms": 31_000, "end_ms": 36_000}
    ).json()
    assert moved["text"].startswith("Thou that art now") and moved["audio_url"] != body["audio_url"]
    assert client.patch(f"/api/clips/{body['id']}", json={"end_ms": 1000}).status_code == 422
    assert client.delete(f"/api/clips/{body['id']}").status_code == 204
    assert client.get(f"/api/clips/{body['id']}").status_code == 404
    assert client.delete(f"/api/clips/{body['id']}").status_code == 404


def test_private_is_404_and_unlisted_is_never_listed(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)
    public = clip(client, episode_id, 3000, 9000)
    unlisted = clip(client, episode_id, 15_000, 20_000, visibility="unlisted")
    private = clip(client, episode_id, 31_000, 36_000, visibility="private")
    guest, anonymous = other_user(app), make_client(app)

    for who in (guest, anonymous):
        assert who.get(f"/api/clips/{public['id']}").status_code == 200
        assert who.get(f"/api/clips/{unlisted['id']}").status_code == 200
        for url in (
            f"/api/clips/{private['id']}",
            f"/c/{private['id']}",
            f"/embed/{private['id']}",
            f"/c/{private['id']}/audio.mp3",
            f"/c/{private['id']}/card.png",
        ):
            r = who.get(url)
            assert r.status_code == 404, url
            assert private["title"] not in r.text
    assert anonymous.get(private["share_url"]).text == anonymous.get("/c/NoSuchClip12345").text

    listed = guest.get("/api/clips").json()
    assert [c["id"] for c in listed["items"]] == [public["id"]] and listed["total"] == 1
    assert guest.get("/api/clips", params={"mine": True}).json()["total"] == 0
    assert guest.get("/api/clips", params={"visibility": "unlisted"}).status_code == 422
    # the podcast is private (members only): its clips are listed to no signed-out visitor
    assert anonymous.get("/api/clips").json()["total"] == 0
    mine = client.get("/api/clips", params={"mine": True}).json()
    assert {c["id"] for c in mine["items"]} == {public["id"], unlisted["id"], private["id"]}
    only = client.get("/api/clips", params={"mine": True, "visibility": "unlisted"}).json()
    assert [c["id"] for c in only["items"]] == [unlisted["id"]]
    assert client.get("/api/clips", params={"episode_id": episode_id + 1}).status_code == 404

    assert guest.patch(f"/api/clips/{public['id']}", json={"title": "mine now"}).status_code == 403
    assert guest.delete(f"/api/clips/{public['id']}").status_code == 403
    assert guest.get(f"/api/clips/{public['id']}/stats").status_code == 403
    assert guest.patch(f"/api/clips/{private['id']}", json={"title": "x"}).status_code == 404
    assert (
        anonymous.post(
            "/api/clips", json={"episode_id": episode_id, "start_ms": 0, "end_ms": 5000}
        ).status_code
        == 401
    )


FEED = """<?xml version="1.0"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Creator Cast</title><link>https://example.org</link><description>d</description>
<item><title>Episode 1</title><guid>ep-1</guid><itunes:duration>10:00</itunes:duration>
<enclosure url="https://example.org/1.mp3" type="audio/mpeg" length="1000"/>
<podcast:soundbite startTime="73.5" duration="60.0">{title}</podcast:soundbite>
<podcast:soundbite startTime="120" duration="30"></podcast:soundbite>
<podcast:soundbite startTime="900" duration="30">Past the end</podcast:soundbite>
</item></channel></rss>"""


def test_feed_soundbites_become_creator_clips_and_export_back(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    feed = FEED.format(title="&lt;b&gt;The &amp; best&lt;/b&gt; bit").encode()
    podcast = add_feed_document(app, feed, "https://example.org/feed.xml", owner_id)
    listed = client.get("/api/clips").json()
    assert listed["total"] == 2  # the one past the end of the 10-minute episode is skipped
    first, second = sorted(listed["items"], key=lambda c: c["start_ms"])
    assert (first["start_ms"], first["end_ms"], first["source"]) == (73_500, 133_500, "creator")
    assert first["title"] == "<b>The & best</b> bit" and first["owner"] == "owner"
    assert second["title"] == "Episode 1 at 2:00"
    assert client.get("/api/clips").json()["total"] == 2  # made once
    assert client.get("/api/clips", params={"source": "creator"}).json()["total"] == 2
    assert podcast.podcast_id

    r = client.get("/api/clips/soundbites", params={"id": [first["id"], second["id"]]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(r.text)
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    [item] = root.findall("item")
    assert (item.findtext("guid") or "").endswith("ep-1")  # as the feed parser stored it
    bites = item.findall("podcast:soundbite", ns)
    assert [(b.get("startTime"), b.get("duration"), b.text) for b in bites] == [
        ("73.5", "60", "<b>The & best</b> bit"),
        ("120", "30", "Episode 1 at 2:00"),
    ]
    assert "<b>" not in r.text  # escaped in the document
    assert client.get("/api/clips/soundbites", params={"id": "NoSuchClip"}).status_code == 404


def test_one_podcasts_clips_are_listed_to_whoever_may_read_it(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    """The settings page previews the brand on one of the podcast's clips: `podcast_id` lists
    that podcast's public clips (and with `mine`, the caller's own), never another's."""
    episode_id = add_sonnet(app, owner_id)
    uploads = client.get(f"/api/episodes/{episode_id}").json()["podcast_id"]
    public = clip(client, episode_id, 3000, 9000)
    private = clip(client, episode_id, 31_000, 36_000, visibility="private")
    feed = add_feed_document(
        app, FEED.format(title="Soundbite").encode(), "https://example.org/feed.xml", owner_id
    )
    other = feed.podcast_id
    assert other != uploads
    guest, anonymous = other_user(app), make_client(app)

    def ids(who: TestClient, **params: object) -> set[str]:
        r = who.get("/api/clips", params=params)
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    assert ids(guest, podcast_id=uploads) == {public["id"]}
    assert ids(client, podcast_id=uploads, mine=True) == {public["id"], private["id"]}
    from_feed = ids(client, podcast_id=other)
    assert len(from_feed) == 2 and not from_feed & {public["id"], private["id"]}
    # the uploads podcast is private: to a visitor it is not there, as one that does not exist
    for who, podcast_id in ((anonymous, uploads), (client, 999_999)):
        r = who.get("/api/clips", params={"podcast_id": podcast_id})
        assert r.status_code == 404 and "no podcast" in r.text


def test_events_count_listeners_once_a_day_and_keep_no_address(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    body = clip(client, add_sonnet(app, owner_id), 3000, 9000)
    anonymous = make_client(app)
    url = f"/api/clips/{body['id']}/events"

    def send(kind: str, ua: str = BROWSER, **extra: str) -> bool:
        r = anonymous.post(url, json={"kind": kind, **extra}, headers={"User-Agent": ua})
        assert r.status_code == 202, r.text
        return bool(r.json()["counted"])

    assert send("played") and not send("played")  # the same listener, the same day
    assert send("played", ua=BROWSER + " Firefox")  # another listener
    assert not send("played", ua="Slackbot-LinkExpanding 1.0") and not send("played", ua="")
    assert send("shared", channel="x") and send("shared", channel="copy")
    assert not send("shared", channel="x")
    r = anonymous.post(
        url, json={"kind": "shared", "channel": "myspace"}, headers={"User-Agent": BROWSER}
    )
    assert r.status_code == 422 and "unknown share channel" in r.json()["detail"]
    assert anonymous.post(url, json={"kind": "liked"}).status_code == 422
    page = anonymous.get(f"/c/{body['id']}/episode", headers={"User-Agent": BROWSER})
    assert page.status_code == 200

    stats = client.get(f"/api/clips/{body['id']}/stats").json()
    assert (stats["plays"], stats["shares"], stats["clickthroughs"]) == (2, 2, 1)
    assert stats["shares_by_channel"] == {"x": 1, "copy": 1}
    assert len(stats["days"]) == 30 and stats["days"][-1]["plays"] == 2
    assert anonymous.get(f"/api/clips/{body['id']}/stats").status_code == 401

    with app.db.read() as s:
        listeners = s.scalars(select(ClipEvent.listener).where(ClipEvent.kind != "created")).all()
        salts = s.scalars(select(ClipEventSalt.day)).all()
    assert len(listeners) == 5 and all(re.fullmatch("[0-9a-f]{32}", h) for h in listeners)
    assert len(salts) == 1  # today's only: yesterday's hashes can no longer be tested
    with app.db.read() as s:
        assert s.scalar(select(Clip.id)) is not None
    dump = "\n".join(str(row) for row in listeners)
    assert "testclient" not in dump and "127.0.0.1" not in dump


def test_the_previewed_span_is_the_span_the_clip_gets(
    app: Soundbite, client: TestClient, owner_id: int
) -> None:
    """The editor previews GET /api/clips/span; creating with the same edges must give exactly
    that span and those words, wherever the edges fall (mid-word, between words, at a pause)."""
    episode_id = add_sonnet(app, owner_id)
    rng = random.Random(7)
    moved = 0
    for snap in ("word", "sentence"):
        for _ in range(8):
            start = rng.randrange(0, SONNET_MS - 12_000)
            end = start + rng.randrange(2_000, 11_000)
            asked = {"episode_id": episode_id, "start_ms": start, "end_ms": end, "snap": snap}
            preview = client.get("/api/clips/span", params=asked)
            assert preview.status_code == 200, preview.text
            made = clip(client, episode_id, start, end, snap=snap)
            span = preview.json()
            assert (span["start_ms"], span["end_ms"]) == (made["start_ms"], made["end_ms"]), asked
            assert span["text"] == made["text"]
            assert span["moved"] == ((start, end) != (made["start_ms"], made["end_ms"]))
            moved += span["moved"]
    assert moved, "no random span had its edges moved: the test would prove nothing"

    get = lambda **kw: client.get(  # noqa: E731
        "/api/clips/span", params={"episode_id": episode_id, **kw}
    )
    r = get(start_ms=9000, end_ms=4000)
    assert r.status_code == 422 and "reversed" in r.json()["detail"]
    assert get(start_ms=0, end_ms=5000, snap="syllable").status_code == 422
    r = client.get("/api/clips/span", params={"episode_id": 999, "start_ms": 0, "end_ms": 5000})
    assert r.status_code == 404
    assert (
        make_client(app)
        .get("/api/clips/span", params={"episode_id": episode_id, "start_ms": 0, "end_ms": 5000})
        .status_code
        == 401
    )
    untranscribed = add_sonnet(app, owner_id, transcribed=False, title="Raw")
    r = client.get(
        "/api/clips/span",
        params={"episode_id": untranscribed, "start_ms": 10_123, "end_ms": 17_456},
    )
    assert r.json() == {"start_ms": 10_123, "end_ms": 17_456, "text": None, "moved": False}
