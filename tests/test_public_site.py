"""The public site: podcast and episode pages for visitors without an account, their JSON-LD,
the sitemap and robots.txt, ``?t=`` deep links, and where a clip's "full episode" link goes.

Visibility is set with a one-line SQL update (``make_visible``): the admin controls that
change it are another part of the work; these tests only read it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from soundbite.bootstrap import Soundbite
from soundbite.domain.public_pages import parse_start, slugify
from soundbite.services.accounts import ensure_owner, owner_account
from soundbite.services.library import add_feed_document
from soundbite.store.models import Episode, Podcast
from soundbite.web.pages.app import SHELL
from soundbite.web.pages.feed_html import plain_text, safe_html
from tests.conftest import make_settings
from tests.test_clip_support import SONNET_MS, add_sonnet, serve, word
from tests.test_web_support import make_client

HOSTILE = '</script><script>alert("x")</script><!-- & "friends"'
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def make_visible(app: Soundbite, podcast_id: int, visibility: str) -> None:
    with app.db.write() as s:
        s.execute(update(Podcast).where(Podcast.id == podcast_id).values(visibility=visibility))


def podcast_of(app: Soundbite, episode_id: int) -> int:
    with app.db.read() as s:
        return s.get_one(Episode, episode_id).podcast_id


class Page(HTMLParser):
    """The tags, JSON-LD blocks and visible text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.json_ld: list[dict] = []
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        self._in = values.get("type") if tag == "script" else tag

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "application/ld+json":
            self.json_ld.append(json.loads(data))
        elif self._in not in ("script", "style", "title"):
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag]

    def meta(self, key: str) -> str | None:
        for a in self.all("meta"):
            if key in (a.get("property"), a.get("name")):
                return a["content"]
        return None

    def link(self, rel: str) -> str | None:
        return next((a["href"] for a in self.all("link") if a.get("rel") == rel), None)

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def feed(title: str, *items: tuple[str, str]) -> bytes:
    """A feed whose items are (guid, title), each with a link and an enclosure."""
    body = "".join(
        f"<item><title>{t}</title><guid>{g}</guid><link>https://pod.example.org/{g}</link>"
        f"<pubDate>Mon, 0{i + 1} Jun 2026 10:00:00 GMT</pubDate>"
        f'<enclosure url="https://cdn.example.org/{g}.mp3" type="audio/mpeg" length="1"/>'
        f"<itunes:duration>600</itunes:duration></item>"
        for i, (g, t) in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0" xmlns:itunes="{ITUNES}">'
        f"<channel><title>{title}</title>"
        f"<description>About {title}</description>{body}</channel></rss>"
    ).encode()


def add_feed(app: Soundbite, title: str, *items: tuple[str, str]) -> tuple[int, list[int]]:
    result = add_feed_document(
        app,
        feed(title, *items),
        f"https://example.org/{slugify(title, 'f')}.xml",
        owner_account(app).id,
    )
    with app.db.read() as s:  # in the feed's order, whatever order they were added in
        titles = {
            e.title: e.id for e in s.query(Episode).where(Episode.podcast_id == result.podcast_id)
        }
    return result.podcast_id, [titles[t] for _, t in items]


@pytest.fixture
def sonnet(app: Soundbite) -> tuple[int, int]:
    """(podcast id, episode id): the demo recording with its transcript, in a public podcast,
    with two publisher chapters."""
    episode_id = add_sonnet(app, owner_account(app).id, title="Sonnet 1")
    podcast_id = podcast_of(app, episode_id)
    with app.db.write() as s:
        s.execute(
            update(Podcast)
            .where(Podcast.id == podcast_id)
            .values(
                visibility="public",
                title="Shakespeare Aloud",
                description="<p>Sonnets <b>read</b> aloud.</p><script>alert(1)</script><img src=https://t.example/px>",
            )
        )
        chapters = [
            {"start_ms": 0, "end_ms": 31_000, "title": "Beauty's rose"},
            {"start_ms": 31_210, "end_ms": None, "title": "The world's fresh ornament"},
        ]
        s.execute(update(Episode).where(Episode.id == episode_id).values(chapters=chapters))
    return podcast_id, episode_id


def test_a_visitor_reads_a_public_episode(
    app: Soundbite, client: TestClient, sonnet: tuple[int, int]
) -> None:
    podcast_id, episode_id = sonnet
    start, end = word("fairest"), word("memory")
    r = client.post(
        "/api/clips",
        json={
            "episode_id": episode_id,
            "start_ms": start.start_ms,
            "end_ms": end.end_ms,
            "title": "Beauty's rose",
        },
    )
    assert r.status_code == 201, r.text
    share_id = r.json()["id"]
    visitor = make_client(app)

    index = Page(visitor.get("/podcasts").text)
    [podcast_link] = [a["href"] for a in index.all("a") if a["href"].startswith("/podcasts/")]
    assert podcast_link == f"/podcasts/{podcast_id}-shakespeare-aloud"

    podcast = visitor.get(podcast_link)
    assert podcast.status_code == 200
    page = Page(podcast.text)
    assert "Sonnets read aloud." in page.words and "alert" not in podcast.text
    assert "t.example" not in podcast.text  # no tracking pixels from show notes
    [episode_link] = [a["href"] for a in page.all("a") if "/episodes/" in a["href"]]
    assert episode_link == f"/podcasts/{podcast_id}/episodes/{episode_id}-sonnet-1"

    r = visitor.get(episode_link)
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=60"
    page = Page(r.text)
    words = page.words
    assert "Sonnet 1" in words and "Shakespeare Aloud" in words
    # the transcript as text, each paragraph a link to its second
    assert "From fairest creatures we desire increase" in words
    assert "Pity the world, or else this glutton be" in words
    seek = {a["href"]: a for a in page.all("a") if a["href"].startswith("?t=")}
    assert "?t=0.42" in seek and "?t=27.66" in seek  # two paragraphs
    # chapters link to where they start, the clip to its share page
    assert "Beauty's rose" in words and "The world's fresh ornament" in words
    assert f"/c/{share_id}" in [a["href"] for a in page.all("a")]
    # a native player of the stored audio, which a visitor may fetch (with Range)
    [audio] = page.all("audio")
    assert "controls" in audio
    audio_r = visitor.get(audio["src"], headers={"Range": "bytes=0-99"})
    assert audio_r.status_code == 206 and audio_r.headers["content-type"] == "audio/mpeg"
    assert len(audio_r.content) == 100
    assert page.link("canonical") == f"http://testserver{episode_link}"
    assert page.meta("og:title") == "Sonnet 1" and page.meta("robots") is None


def test_json_ld_describes_the_series_and_the_episode(
    app: Soundbite, sonnet: tuple[int, int]
) -> None:
    podcast_id, episode_id = sonnet
    make_visible(app, podcast_id, "public")
    with app.db.write() as s:
        s.execute(update(Podcast).where(Podcast.id == podcast_id).values(title=HOSTILE))
        s.execute(update(Episode).where(Episode.id == episode_id).values(title=HOSTILE))
    visitor = make_client(app)
    slug = slugify(HOSTILE, "x")
    r = visitor.get(f"/podcasts/{podcast_id}/episodes/{episode_id}-{slug}")
    assert r.status_code == 200
    # the title cannot close the script element or open a comment
    assert r.text.count("</script>") == r.text.count("<script")
    assert "<script>alert" not in r.text and "<!-- &" not in r.text
    [episode] = Page(r.text).json_ld
    assert episode["@type"] == "PodcastEpisode" and episode["name"] == HOSTILE
    assert episode["partOfSeries"]["@type"] == "PodcastSeries"
    assert episode["partOfSeries"]["name"] == HOSTILE
    assert episode["partOfSeries"]["url"] == f"http://testserver/podcasts/{podcast_id}-{slug}"
    assert episode["timeRequired"] == f"PT{SONNET_MS // 1000}S"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", episode["datePublished"])
    media = episode["associatedMedia"]
    assert media["@type"] == "AudioObject" and media["encodingFormat"] == "audio/mpeg"
    assert media["contentUrl"].startswith(f"http://testserver/podcasts/{podcast_id}/episodes/")

    series = visitor.get(f"/podcasts/{podcast_id}-{slug}")
    [data] = Page(series.text).json_ld
    assert data["@type"] == "PodcastSeries" and data["name"] == HOSTILE
    assert [e["@type"] for e in data["episode"]] == ["PodcastEpisode"]
    assert "<script>alert" not in series.text


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        ("30", "30"),
        ("1m30s", None),  # past the end of a 53 s episode: clamped
        ("0:15", "15"),
        ("15s", "15"),
        ("12.5", "12.5"),
        ("-5", None),
        ("NaN", None),
        ("nonsense", None),
        ("1e400", None),
        ("9" * 40, None),
    ],
)
def test_t_starts_the_player_there(
    app: Soundbite, sonnet: tuple[int, int], t: str, expected: str | None
) -> None:
    podcast_id, episode_id = sonnet
    r = make_client(app).get(f"/podcasts/{podcast_id}/episodes/{episode_id}-sonnet-1?t={t}")
    assert r.status_code == 200
    [audio] = Page(r.text).all("audio")
    if t == "1m30s":  # clamped to a second before the end
        clamped = f"{(SONNET_MS - 1000) / 1000:g}"
        assert audio["src"].endswith(f"#t={clamped}") and audio["data-start"] == clamped
        assert "Starting at 0:52" in r.text
    elif expected is None:
        assert "#t=" not in audio["src"] and "data-start" not in audio
        assert "Starting at" not in r.text
    else:
        assert audio["src"].endswith(f"#t={expected}") and audio["data-start"] == expected
        assert f"Starting at 0:{int(float(expected)):02d}" in r.text


def test_t_parsing_is_tolerant() -> None:
    assert parse_start("90", None) == 90_000
    assert parse_start("1m30s", None) == parse_start("1:30", None) == 90_000
    assert parse_start("1h2m3s", None) == parse_start("1:02:03", None) == 3_723_000
    assert parse_start(" 2M ", None) == 120_000
    for bad in ("", "-1", "inf", "nan", "1:2:3:4", "1::2", "abc", "0", "m", "1e3"):
        assert parse_start(bad, None) is None, bad
    assert parse_start("999999", 60_000) == 59_000


def test_private_is_not_found_and_unlisted_is_reachable_but_never_listed(
    app: Soundbite, client: TestClient
) -> None:
    public, [p1, p2] = add_feed(app, "Open Show", ("o1", "Open one"), ("o2", "Open two"))
    unlisted, [u1] = add_feed(app, "Quiet Show", ("q1", "Quiet one"))
    private, [x1] = add_feed(app, "Secret Show", ("s1", "Secret one"))
    make_visible(app, public, "public")
    make_visible(app, unlisted, "unlisted")
    visitor = make_client(app)

    # private (the default): the same 404 page as an id that never existed
    for path in (
        f"/podcasts/{private}-secret-show",
        f"/podcasts/{private}/episodes/{x1}-secret-one",
        f"/podcasts/{private}/episodes/{x1}/audio",
    ):
        r = visitor.get(path)
        assert r.status_code == 404 and "Secret" not in r.text, path
    assert visitor.get(f"/podcasts/{private}-x").text == visitor.get("/podcasts/987654-x").text
    # a signed-in member is sent to the app's view of it
    r = client.get(f"/podcasts/{private}/episodes/{x1}-secret-one?t=12", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/episodes/{x1}?t=12"
    r = client.get(f"/podcasts/{private}-secret-show", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/podcasts/{private}"

    # unlisted: anyone with the link, but noindex, and neither in the index nor the sitemap
    r = visitor.get(f"/podcasts/{unlisted}/episodes/{u1}-quiet-one")
    assert r.status_code == 200 and "Quiet one" in r.text
    assert r.headers["x-robots-tag"] == "noindex"
    assert Page(r.text).meta("robots") == "noindex"
    # a feed episode not downloaded plays from the publisher's server, which CSP allows
    [audio] = Page(r.text).all("audio")
    assert audio["src"] == "https://cdn.example.org/q1.mp3"
    assert "media-src 'self' https://cdn.example.org" in r.headers["content-security-policy"]

    index = visitor.get("/podcasts").text
    assert "Open Show" in index and "Quiet Show" not in index and "Secret Show" not in index

    sitemap = visitor.get("/sitemap.xml")
    assert sitemap.status_code == 200 and sitemap.headers["content-type"] == "application/xml"
    tree = ElementTree.fromstring(sitemap.content)
    locs = sorted(e.text or "" for e in tree.findall("s:url/s:loc", SITEMAP_NS))
    base = "http://testserver"
    assert locs == sorted(
        [
            f"{base}/podcasts",
            f"{base}/podcasts/{public}-open-show",
            f"{base}/podcasts/{public}/episodes/{p1}-open-one",
            f"{base}/podcasts/{public}/episodes/{p2}-open-two",
        ]
    )
    lastmods = {
        (u.find("s:loc", SITEMAP_NS).text or ""): u.find("s:lastmod", SITEMAP_NS).text  # type: ignore[union-attr]
        for u in tree.findall("s:url", SITEMAP_NS)
    }
    assert lastmods[f"{base}/podcasts/{public}/episodes/{p2}-open-two"] == "2026-06-02"
    assert lastmods[f"{base}/podcasts/{public}-open-show"] == "2026-06-02"


def test_robots_allows_the_public_site_and_points_at_the_sitemap(app: Soundbite) -> None:
    r = make_client(app).get("/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert "User-agent: *" in lines and "Allow: /podcasts" in lines
    assert "Disallow: /api/" in lines and "Disallow: /episodes/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert not any(
        line in ("Disallow: /", "Disallow: /podcasts", "Disallow: /c/") for line in lines
    )


def test_wrong_slugs_redirect_and_hostile_ids_are_not_found(
    app: Soundbite, sonnet: tuple[int, int]
) -> None:
    podcast_id, episode_id = sonnet
    visitor = make_client(app)
    canonical = f"/podcasts/{podcast_id}/episodes/{episode_id}-sonnet-1"
    for wrong in (
        f"/podcasts/{podcast_id}/episodes/{episode_id}-old-title?t=30&x=<b>",
        f"/podcasts/{podcast_id}/episodes/{episode_id}?t=30",
        f"/podcasts/{podcast_id}/episodes/{episode_id}-%3Cscript%3E?t=30",
    ):
        r = visitor.get(wrong, follow_redirects=False)
        assert r.status_code == 301 and r.headers["location"] == f"{canonical}?t=30", wrong
    r = visitor.get(f"/podcasts/{podcast_id}-renamed?page=1", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == f"/podcasts/{podcast_id}-shakespeare-aloud?page=1"

    other, _ = add_feed(app, "Other", ("a", "A"))
    make_visible(app, other, "public")
    for path in (
        f"/podcasts/{other}/episodes/{episode_id}-sonnet-1",  # an episode of another podcast
        "/podcasts/99999999999999999999999-x",
        f"/podcasts/{podcast_id}/episodes/99999999999999999999999-x",
        f"/podcasts/{podcast_id}/episodes/0-x",
        "/podcasts/0-x",
    ):
        r = visitor.get(path)
        assert r.status_code == 404, path
        assert "Not found" in r.text
    r = visitor.get(f"/podcasts/{podcast_id}-shakespeare-aloud?page=-1")
    assert r.status_code == 422
    # the app's own page is still the app's: its shell, open to visitors for a public podcast
    # (tests/test_authorization_matrix.py), not this site's page (503: the app is not built)
    r = visitor.get(f"/podcasts/{podcast_id}", follow_redirects=False)
    assert r.status_code == (200 if SHELL.exists() else 503)
    assert "application/ld+json" not in r.text


def test_a_clip_leads_to_the_full_episode_wherever_it_can_be_heard(
    app: Soundbite, client: TestClient, sonnet: tuple[int, int]
) -> None:
    podcast_id, episode_id = sonnet
    visitor = make_client(app)

    def clip_of(episode: int, start_ms: int) -> dict:
        r = client.post(
            "/api/clips",
            json={"episode_id": episode, "start_ms": start_ms, "end_ms": start_ms + 9000},
        )
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    # public: the public episode page, at the clip's second
    public = clip_of(episode_id, 15_230)
    at = f"{public['start_ms'] / 1000:g}"  # where the span snapped to
    r = visitor.get(public["links"]["episode"], follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/podcasts/{podcast_id}/episodes/{episode_id}-sonnet-1?t={at}"
    assert "Starting at 0:15" in visitor.get(r.headers["location"]).text
    # unlisted too
    make_visible(app, podcast_id, "unlisted")
    r = visitor.get(public["links"]["episode"], follow_redirects=False)
    assert r.headers["location"].startswith(f"/podcasts/{podcast_id}/episodes/{episode_id}-")

    # private upload: no publisher page, no enclosure: sign in, never a dead end
    make_visible(app, podcast_id, "private")
    page = visitor.get(public["links"]["episode"])
    assert "not public on this server" not in page.text
    [sign_in] = [a["href"] for a in Page(page.text).all("a") if a["href"].startswith("/login")]
    assert sign_in == f"/login?next=/episodes/{episode_id}%3Ft%3D{at}"

    # private feed episode: the feed's enclosure from that second, and the publisher's page
    _, [remote] = add_feed(app, "Secret Show", ("s1", "Secret one"))
    page = Page(visitor.get(clip_of(remote, 61_000)["links"]["episode"]).text)
    [audio] = page.all("audio")
    assert audio["src"] == "https://cdn.example.org/s1.mp3#t=61.000"
    assert "https://pod.example.org/s1" in [a["href"] for a in page.all("a")]

    # signed in: the app's episode page, as before
    r = client.get(public["links"]["episode"], follow_redirects=False)
    assert r.headers["location"] == f"/episodes/{episode_id}?t={at}"


def test_the_demo_episode_is_on_the_public_site(app: Soundbite) -> None:
    from soundbite.services.library import add_media_file, demo_podcast
    from tests.test_clip_support import SONNET

    owner = owner_account(app).id
    podcast_id = demo_podcast(app, owner)
    assert demo_podcast(app, owner) == podcast_id  # found again, not made twice
    add_media_file(app, SONNET, owner, title="Sonnet", podcast_id=podcast_id)
    upload = add_sonnet(app, owner, title="My private upload")
    assert podcast_of(app, upload) != podcast_id  # uploads keep their own, private podcast
    index = make_client(app).get("/podcasts").text
    assert "Soundbite demo" in index and "Uploads" not in index


# Run in its own interpreter: Playwright's sync API refuses to start inside another one's
# event loop, which the browser tests (tests/browser) keep open for the whole session.
BROWSE = """
import json, sys, time
from pathlib import Path
from playwright.sync_api import sync_playwright
base, episode, podcast, chromium, shots = sys.argv[1:6]
seen = {}
with sync_playwright() as pw:
    browser = pw.chromium.launch(
        executable_path=chromium, args=["--autoplay-policy=no-user-gesture-required"]
    )
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + episode + "?t=30")
    page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=15000)
    seen["start"] = page.evaluate("document.querySelector('audio').currentTime")
    page.evaluate("document.querySelector('audio').play()")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        now = page.evaluate("document.querySelector('audio').currentTime")
        if now > seen["start"] + 0.5:
            break
    seen["playing"] = now
    seen["paused"] = page.evaluate("document.querySelector('audio').paused")
    # a transcript time seeks in place, without loading the page again
    page.evaluate("window.marker = 1")
    page.click(".transcript a.time >> nth=0")
    page.wait_for_timeout(300)
    seen["after_seek"] = page.evaluate("document.querySelector('audio').currentTime")
    seen["same_page"] = page.evaluate("window.marker === 1")
    browser.close()

    browser = pw.chromium.launch(executable_path=chromium)
    for width in (1280, 375):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, java_script_enabled=False
        )
        page = context.new_page()
        for name, path in (
            ("index", "/podcasts"), ("podcast", podcast), ("episode", episode + "?t=30"),
            ("missing", "/podcasts/999999-nothing"),
        ):
            page.goto(base + path)
            page.screenshot(path=str(Path(shots) / f"public-{name}-{width}.png"), full_page=True)
            seen[f"overflow-{name}-{width}"] = page.evaluate(
                "document.documentElement.scrollWidth > window.innerWidth"
            )
        page.goto(base + episode + "?t=30")
        seen["nojs_text"] = page.inner_text("main")
        seen["nojs_audio_src"] = page.get_attribute("audio", "src")
        context.close()
    browser.close()
print(json.dumps(seen))
"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_a_browser_starts_the_episode_at_t_with_and_without_javascript(tmp_path: Path) -> None:
    """Once, on SQLite: the browser tests the page, not the database."""
    app = Soundbite.from_settings(make_settings(tmp_path / "browser"))
    try:
        ensure_owner(app)
        episode_id = add_sonnet(app, owner_account(app).id, title="Sonnet 1")
        podcast_id = podcast_of(app, episode_id)
        make_visible(app, podcast_id, "public")
        SHOTS.mkdir(parents=True, exist_ok=True)
        with serve(app) as base:
            args = [
                base,
                f"/podcasts/{podcast_id}/episodes/{episode_id}-sonnet-1",
                f"/podcasts/{podcast_id}-uploads",
                str(CHROMIUM),
                str(SHOTS),
            ]
            done = subprocess.run(
                [sys.executable, "-c", BROWSE, *args], capture_output=True, text=True, timeout=180
            )
    finally:
        app.close()
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert abs(seen["start"] - 30) < 0.5  # the player starts at ?t=30
    assert seen["playing"] > seen["start"] + 0.4 and not seen["paused"]  # and plays from there
    assert seen["after_seek"] < 2 and seen["same_page"]  # the first paragraph starts at 0:00
    # without JavaScript: the transcript, the player, at that second by its media fragment
    assert "From fairest creatures we desire increase" in seen["nojs_text"]
    assert "Starting at 0:30" in seen["nojs_text"]
    assert seen["nojs_audio_src"].endswith("#t=30")
    assert not any(v for k, v in seen.items() if k.startswith("overflow-")), seen


def test_show_notes_keep_text_and_links_and_lose_everything_else() -> None:
    notes = str(
        safe_html(
            '<p onclick="x()">Hi <a href="javascript:alert(1)">bad</a> '
            '<a href="https://pod.example.org/notes">notes</a></p>'
            '<img src="https://t.example/px"><iframe src="https://e.example"></iframe>'
            "<style>body{}</style><script>alert(2)</script>"
        )
    )
    assert "javascript:" not in notes and "onclick" not in notes and "alert" not in notes
    assert "<img" not in notes and "<iframe" not in notes and "<style" not in notes
    assert '<a href="https://pod.example.org/notes"' in notes and "nofollow" in notes
    # plain text: escaped, blank lines are paragraphs
    assert str(safe_html("a <3 b\n\nc")) == "<p>a &lt;3 b</p><p>c</p>"
    assert plain_text("<p>One.</p><p>Two &amp; three</p>", 100) == "One. Two & three"
    assert plain_text("word " * 100, 20) == ("word " * 4).strip() + "…"
