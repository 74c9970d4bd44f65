"""The share page, embed, oEmbed, card and the full-episode page: what crawlers and people see.

One test drives Debian's Chromium (Playwright) to check that the embed really plays, that
nothing is fetched before play is pressed, and that the play is counted once.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from soundbite.bootstrap import Soundbite
from soundbite.clips.links import render_job
from soundbite.clips.service import create_clip, get_clip
from soundbite.domain.clips import clock
from soundbite.services.accounts import ensure_owner, owner_account
from soundbite.services.library import add_feed_document
from tests.conftest import make_settings
from tests.test_clip_support import add_sonnet, serve, word
from tests.test_web_support import make_client, sign_in

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
HOSTILE = '<script>alert("x")</script> & "friends"'
CHROMIUM = Path("/usr/bin/chromium")


class Head(HTMLParser):
    """Meta tags (property or name → content) and links (rel → attributes) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, dict[str, str]] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if tag == "meta" and "content" in values:
            self.meta[values.get("property") or values.get("name", "")] = values["content"]
        if tag == "link":
            self.links[values.get("rel", "") + values.get("type", "")] = values


def parse(html: str) -> Head:
    head = Head()
    head.feed(html)
    return head


def make_clip(client: TestClient, app: Soundbite, **fields: object) -> dict:
    episode_id = add_sonnet(
        app, owner_account(app).id, title=str(fields.pop("episode", "Sonnet 1"))
    )
    # "thou," and "eyes," have pauses on each side: the clip holds exactly "thou, ... eyes,"
    start, end = word("thou"), word("eyes")
    body = {"episode_id": episode_id, "start_ms": start.start_ms, "end_ms": end.end_ms, **fields}
    r = client.post("/api/clips", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_share_page_carries_every_tag_with_absolute_urls(
    app: Soundbite, client: TestClient
) -> None:
    clip = make_clip(client, app, title=HOSTILE, episode="Ep <i>1</i>")
    page = make_client(app).get(f"/c/{clip['id']}")  # anyone with the link
    assert (
        page.status_code == 200
        and page.headers["cache-control"] == "public, max-age=0, s-maxage=60"
    )
    html = page.text
    assert "<script>alert" not in html and "<i>1</i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;friends&#34;" in html
    head = parse(html)
    meta = head.meta
    share, embed = clip["share_url"], clip["links"]["embed"]
    expected = {
        "og:title": HOSTILE,
        "og:type": "website",
        "og:url": share,
        "og:image": clip["links"]["card"],
        "og:audio": clip["audio_url"],
        "og:audio:type": "audio/mpeg",
        "twitter:card": "player",
        "twitter:player": embed,
        "twitter:player:width": "500",
        "twitter:player:height": "166",
        "twitter:image": clip["links"]["card"],
    }
    assert {k: meta.get(k) for k in expected} == expected
    assert meta["og:description"].startswith("thou, contracted to thine own")
    for key in ("og:url", "og:image", "og:audio", "twitter:player", "twitter:image"):
        assert meta[key].startswith("http://testserver/"), key
    oembed = head.links["alternateapplication/json+oembed"]["href"]
    assert oembed == f"http://testserver/oembed?url={quote(share, safe='')}&format=json"
    assert head.links["canonical"]["href"] == share
    assert "Play the full episode from 0:15" in html  # "thou," at 15.5 s
    assert 'name="viewport"' in html

    targets = {
        a["data-channel"]: a["href"] for tag, a in head.tags if tag == "a" and "data-channel" in a
    }
    assert set(targets) == {"x", "facebook", "linkedin", "reddit", "whatsapp", "telegram", "email"}
    for channel, href in targets.items():
        query = parse_qs(urlsplit(href).query)
        assert any(share in v for values in query.values() for v in values) or share in href, (
            channel
        )
    assert targets["x"].startswith("https://x.com/intent/post?")
    # each target's link says which channel it was shared by (?ch=, docs/analytics.md)
    tagged = quote(f"{share}?ch=facebook", safe="")
    assert targets["facebook"] == f"https://www.facebook.com/sharer/sharer.php?u={tagged}"
    assert targets["email"].startswith("mailto:?subject=")
    labels = [a for tag, a in head.tags if tag in ("button", "audio", "input", "textarea")]
    assert all(a.get("aria-label") or a.get("id") or a.get("type") == "button" for a in labels)


def test_a_configured_public_url_wins_over_the_request(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(
        make_settings(tmp_path / "d", database_url, public_base_url="https://clips.example.org")
    )
    try:
        ensure_owner(sb)
        me = owner_account(sb)
        view = create_clip(sb, me, episode_id=add_sonnet(sb, me.id), start_ms=3000, end_ms=9000)
        meta = parse(make_client(sb).get(f"/c/{view.share_id}").text).meta
        assert meta["og:url"] == f"https://clips.example.org/c/{view.share_id}"
        assert meta["og:audio:secure_url"].startswith("https://clips.example.org/c/")
        assert meta["twitter:player"] == f"https://clips.example.org/embed/{view.share_id}"
    finally:
        sb.close()


def test_oembed(app: Soundbite, client: TestClient) -> None:
    clip = make_clip(client, app)
    anonymous = make_client(app)
    r = anonymous.get("/oembed", params={"url": clip["share_url"], "format": "json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = json.loads(r.text)
    assert (body["type"], body["version"], body["provider_name"]) == ("rich", "1.0", "Soundbite")
    assert (body["width"], body["height"]) == (500, 166)
    assert body["title"] == clip["title"] and body["thumbnail_url"] == clip["links"]["card"]
    assert f'src="{clip["links"]["embed"]}"' in body["html"] and body["html"].startswith("<iframe")
    narrow = anonymous.get(
        "/oembed", params={"url": clip["links"]["embed"], "maxwidth": 320}
    ).json()
    assert narrow["width"] == 320 and 'width="320"' in narrow["html"]
    xml = anonymous.get("/oembed", params={"url": clip["share_url"], "format": "xml"})
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("text/xml")
    assert ElementTree.fromstring(xml.text).findtext("title") == clip["title"]
    assert (
        anonymous.get("/oembed", params={"url": clip["share_url"], "format": "yaml"}).status_code
        == 501
    )
    assert anonymous.get("/oembed", params={"url": "http://testserver/c/nope"}).status_code == 404
    assert (
        anonymous.get("/oembed", params={"url": "http://testserver/elsewhere"}).status_code == 404
    )
    private = make_clip(client, app, visibility="private")
    assert anonymous.get("/oembed", params={"url": private["share_url"]}).status_code == 404
    assert client.get("/oembed", params={"url": private["share_url"]}).status_code == 404


def test_embed_page_waits_for_play_and_may_be_framed(app: Soundbite, client: TestClient) -> None:
    clip = make_clip(client, app)
    page = make_client(app).get(f"/embed/{clip['id']}")
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'"
        in make_client(app).get(clip["share_url"]).headers["content-security-policy"]
    )
    [audio] = [a for tag, a in parse(page.text).tags if tag == "audio"]
    assert audio["preload"] == "none" and "controls" in audio
    sources = [a["src"] for tag, a in parse(page.text).tags if tag == "source"]
    assert sources == [clip["links"]["audio"]["mp3"], clip["links"]["audio"]["m4a"]]


def test_unknown_and_private_clips_get_the_same_404_page(
    app: Soundbite, client: TestClient
) -> None:
    private = make_clip(client, app, visibility="private")
    anonymous = make_client(app)
    for url in ("/c/AAAAAAAAAAAAAAAAA", private["share_url"], f"/embed/{private['id']}"):
        r = anonymous.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "Clip not found" in r.text and private["title"] not in r.text
    own = client.get(private["share_url"])
    assert own.status_code == 200 and own.headers["cache-control"] == "no-store"
    # a public page is kept a few seconds, but making the clip private drops it at once
    public = make_clip(client, app)
    assert anonymous.get(public["share_url"]).status_code == 200
    assert anonymous.get(public["share_url"]).status_code == 200  # from the page cache
    client.patch(f"/api/clips/{public['id']}", json={"visibility": "private"})
    assert anonymous.get(public["share_url"]).status_code == 404


def test_card_artwork_and_captions(app: Soundbite, client: TestClient) -> None:
    clip = make_clip(client, app, title=HOSTILE)
    anonymous = make_client(app)
    card = anonymous.get(clip["links"]["card"])
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert "immutable" in card.headers["cache-control"]
    with Image.open(io.BytesIO(card.content)) as img:
        assert (img.format, img.size) == ("PNG", (1200, 630))
    assert anonymous.get(clip["links"]["card"]).content == card.content  # made once, kept
    art = anonymous.get(clip["links"]["artwork"])
    with Image.open(io.BytesIO(art.content)) as img:
        assert (img.format, img.size) == ("JPEG", (600, 600))
    vtt = anonymous.get(clip["links"]["captions"])
    assert vtt.headers["content-type"].startswith("text/vtt")
    lines = vtt.text.splitlines()
    assert lines[0] == "WEBVTT" and lines[2].startswith("00:00:00.")  # relative to the clip
    assert "contracted to" in vtt.text and "eyes" in vtt.text
    assert "But" not in vtt.text and "feats" not in vtt.text  # the words either side
    last_end = [line.split(" --> ")[1] for line in lines if " --> " in line][-1]
    assert last_end <= f"00:00:{clip['duration_ms'] / 1000:06.3f}"


def test_the_full_episode_page_starts_at_the_clip(app: Soundbite, client: TestClient) -> None:
    clip = make_clip(client, app)
    # whoever can read the library goes to the app's episode page at that second
    mine = client.get(clip["links"]["episode"], follow_redirects=False)
    assert mine.status_code == 303
    assert (
        mine.headers["location"] == f"/episodes/{clip['episode_id']}?t={clip['start_ms'] / 1000:g}"
    )
    # signed out, an upload in a private podcast has no public audio: members may sign in
    # (the public site's cases are in tests/test_public_site.py)
    signed_out = make_client(app).get(clip["links"]["episode"]).text
    assert f"Sign in to play it from {clock(clip['start_ms'])}" in signed_out

    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cast</title>'
        b"<item><title>E</title>"
        b"<guid>e</guid><link>javascript:alert(1)</link>"
        b'<enclosure url="https://cdn.example.org/e.mp3" type="audio/mpeg"/>'
        b"<itunes:duration xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>600</itunes:duration>"
        b"</item></channel></rss>"
    )
    [episode_id] = add_feed_document(
        app, feed, "https://example.org/f.xml", owner_account(app).id
    ).new_episode_ids
    remote = client.post(
        "/api/clips", json={"episode_id": episode_id, "start_ms": 61_000, "end_ms": 70_000}
    ).json()
    page = make_client(app).get(remote["links"]["episode"])
    [audio] = [a for tag, a in parse(page.text).tags if tag == "audio"]
    assert audio["src"] == "https://cdn.example.org/e.mp3#t=61.000"
    assert "media-src 'self' https://cdn.example.org" in page.headers["content-security-policy"]
    assert "javascript:" not in page.text


# Run in its own interpreter: Playwright's sync API refuses to start inside another one's
# event loop, which the browser tests (tests/browser) keep open for the whole session.
PLAY_EMBED = """
import json, sys, time
from playwright.sync_api import sync_playwright
url, chromium, agent = sys.argv[1:4]
with sync_playwright() as pw:
    browser = pw.chromium.launch(
        executable_path=chromium, args=["--autoplay-policy=no-user-gesture-required"]
    )
    page = browser.new_context(viewport={"width": 500, "height": 166}, user_agent=agent).new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/audio." in r.url else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    before = list(requests)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.evaluate("document.querySelector('audio').play()")
    deadline, played = time.monotonic() + 15, 0.0
    while played < 0.5 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        played = page.evaluate("document.querySelector('audio').currentTime")
    page.evaluate("document.querySelector('audio').pause()")
    page.wait_for_timeout(300)  # the beacon
    browser.close()
print(json.dumps({"before": before, "after": requests, "width": width, "played": played}))
"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_the_embed_plays_in_a_browser_and_counts_one_play(tmp_path: Path) -> None:
    """Once, on SQLite: the browser tests the page, not the database."""
    app = Soundbite.from_settings(make_settings(tmp_path / "browser"))
    ensure_owner(app)
    client = make_client(app)
    sign_in(client)
    clip = make_clip(client, app)
    app.renders.render(render_job(get_clip(app, clip["id"], None), app.settings, "mp3"))
    with serve(app) as base:
        # a real browser's user agent: headless Chromium's own says "HeadlessChrome", a crawler
        args = [f"{base}/embed/{clip['id']}", str(CHROMIUM), BROWSER]
        done = subprocess.run(
            [sys.executable, "-c", PLAY_EMBED, *args], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["before"] == []  # preload="none": nothing fetched, nothing counted, until play
    assert seen["width"] <= 500  # fits the 500×166 iframe without scrolling sideways
    assert seen["played"] >= 0.5, "the embed did not play"
    assert any("/audio.mp3" in url for url in seen["after"])
    assert client.get(f"/api/clips/{clip['id']}/stats").json()["plays"] == 1
    app.renders.close()
    app.close()
