"""Feed and chapter parsing: golden files from other projects' test suites, hostile XML, junk."""

from __future__ import annotations

import http.server
import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from soundbite.errors import FeedError
from soundbite.ingest.chapters import Chapter, parse_chapters_json, parse_clock_ms
from soundbite.ingest.feeds import ChaptersRef, Soundbite, TranscriptRef, parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
GOLDEN = sorted((FEEDS / "podcastparser").glob("*.rss"))


def _expected_published(value: int) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


@pytest.mark.parametrize("rss", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_podcastparser_golden(rss: Path) -> None:
    """The fields we keep agree with podcastparser's own expected output."""
    expected = json.loads(rss.with_suffix(".json").read_text())
    feed = parse_feed(rss.read_bytes(), f"file://tests/data/{rss.name}")
    assert feed.title == expected["title"]
    assert feed.link == expected.get("link")
    assert len(feed.episodes) == len(expected["episodes"])
    for episode, want in zip(feed.episodes, expected["episodes"], strict=True):
        assert episode.title == want["title"]
        assert episode.guid == want["guid"]
        assert episode.published == _expected_published(want["published"])
        # podcastparser drops fractions of a second; we keep milliseconds.
        assert (episode.duration_ms or 0) // 1000 == want["total_time"]
        enclosure = want["enclosures"][0] if want["enclosures"] else None
        if enclosure is None:
            assert episode.enclosure_url is None and not episode.playable
        else:
            assert episode.enclosure_url == enclosure["url"]
            assert (episode.enclosure_type or "application/octet-stream") == enclosure["mime_type"]
            assert (episode.enclosure_length or -1) == enclosure["file_size"]
        chapters = [
            {"start": c.start_ms // 1000, "title": c.title, "href": c.url, "image": c.img}
            for c in episode.chapters_inline
        ]
        want_chapters = [
            {"href": None, "image": None, **chapter} for chapter in want.get("chapters", [])
        ]
        assert chapters == want_chapters
        assert [t.url for t in episode.transcripts] == (
            [want["transcript_url"]] if "transcript_url" in want else []
        )
        assert (episode.chapters.url if episode.chapters else None) == want.get("chapters_json_url")


def test_episodes_without_enclosure_are_kept_but_not_playable() -> None:
    feed = parse_feed((FEEDS / "podcastparser" / "chapters.rss").read_bytes(), "https://x.test/f")
    [episode] = feed.episodes
    assert episode.enclosure_url is None and not episode.playable
    assert len(episode.chapters_inline) == 5  # the reason to keep it


def test_psc_chapters_keep_milliseconds() -> None:
    feed = parse_feed((FEEDS / "podcastparser" / "chapters.rss").read_bytes(), "https://x.test/f")
    last = feed.episodes[0].chapters_inline[-1]
    assert last == Chapter(
        start_ms=3_723_400,
        title="Chapter with Everything",
        img="http://example.net/image2.png",
        url="http://example.net/psc",
    )


def test_rss_parser_real_feed_matches_its_golden_output() -> None:
    rss = FEEDS / "rss-parser" / "input" / "item-itunes-episodeType.rss"
    want = json.loads(
        (FEEDS / "rss-parser" / "output" / "item-itunes-episodeType.json").read_text()
    )
    want = want["feed"]
    feed = parse_feed(rss.read_bytes(), "https://baywatch-berlin.podigee.io/feed/mp3")
    assert feed.title == want["title"]
    assert feed.description == want["description"]
    assert feed.link == want["link"]
    assert feed.language == want["language"]
    assert feed.author == want["itunes"]["author"]
    assert feed.artwork_url == want["itunes"]["image"]
    [episode] = feed.episodes
    [item] = want["items"]
    assert episode.title == item["title"]
    assert episode.guid == item["guid"]
    assert episode.link == item["link"]
    assert episode.description == item["content"]
    assert episode.published == datetime.fromisoformat(item["isoDate"])
    assert episode.enclosure_url == item["enclosure"]["url"]
    assert episode.enclosure_type == item["enclosure"]["type"]
    assert episode.enclosure_length == int(item["enclosure"]["length"])
    assert episode.duration_ms == int(item["itunes"]["duration"]) * 1000
    assert episode.artwork_url == item["itunes"]["image"]


def test_podcast_namespace_example() -> None:
    feed = parse_feed((FEEDS / "podcast-namespace" / "example.xml").read_bytes(), "https://x.test/")
    assert feed.title == "Podcasting 2.0 Namespace Example"
    assert [e.title for e in feed.episodes] == [
        "Episode 3 - The Future",
        "Episode 2 - The Present",
        "Episode 1 - The Past",
    ]
    assert [e.soundbites for e in feed.episodes] == [
        [Soundbite(start_ms=33_833, duration_ms=60_000, title=None)],
        [Soundbite(start_ms=45_400, duration_ms=56_000, title=None)],
        [Soundbite(start_ms=29_320, duration_ms=34_000, title=None)],
    ]
    newest = feed.episodes[0]
    assert newest.transcripts == [
        TranscriptRef("https://example.com/ep3/transcript.txt", "text/plain", None, None),
        TranscriptRef("https://example.com/episode1/transcript.vtt", "text/vtt", "es", "captions"),
    ]
    assert newest.chapters == ChaptersRef(
        "https://example.com/ep3_chapters.json", "application/json"
    )
    assert newest.enclosure_url == "https://example.com/file-03.mp3"
    assert newest.enclosure_length == 43_200_000
    # The liveItem is not an episode: nothing to clip until it is published as an item.
    assert "Podcasting 2.0 Live Show" not in [e.title for e in feed.episodes]


def test_soundbite_title_relative_links_and_undeclared_prefixes() -> None:
    data = b"""
    <!-- generated by hand -->
    <?xml version="1.0" encoding="UTF-8"?>
    <rss version="2.0"><channel><title>Show</title><item>
      <guid isPermaLink="false">ep-1</guid><title>One</title>
      <enclosure url=" media/one.mp3" type="audio/mpeg" length="1234"/>
      <itunes:duration>1:02:03.5</itunes:duration>
      <podcast:soundbite startTime="73.5" duration="30">  The  best
        bit </podcast:soundbite>
      <podcast:soundbite startTime="10">no duration: not a soundbite</podcast:soundbite>
      <podcast:transcript url="one.vtt" type="text/vtt"/>
      <podcast:chapters url=" /chapters/one.json" type="application/json+chapters"/>
    </item></channel></rss>"""
    [episode] = parse_feed(data, "https://host.test/shows/feed.xml").episodes
    assert episode.enclosure_url == "https://host.test/shows/media/one.mp3"
    assert episode.duration_ms == 3_723_500
    assert episode.soundbites == [Soundbite(73_500, 30_000, "The best bit")]
    assert episode.transcripts[0].url == "https://host.test/shows/one.vtt"
    assert episode.chapters == ChaptersRef(
        "https://host.test/chapters/one.json", "application/json+chapters"
    )


def test_atom_feed() -> None:
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Show</title>
      <entry><id>urn:ep:1</id><title>E1</title><updated>2020-01-02T03:04:05Z</updated>
      <link rel="enclosure" href="/e1.mp3" type="audio/mpeg" length="10"/></entry></feed>"""
    feed = parse_feed(data, "https://host.test/atom.xml")
    [episode] = feed.episodes
    assert (feed.title, episode.guid, episode.enclosure_url) == (
        "Atom Show",
        "urn:ep:1",
        "https://host.test/e1.mp3",
    )
    assert episode.published == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_empty_feed_is_valid() -> None:
    feed = parse_feed((FEEDS / "podcastparser" / "empty.rss").read_bytes(), "file://x/empty.rss")
    assert feed.episodes == []


def test_rss_091_doctype_is_accepted_and_its_dtd_skipped() -> None:
    data = (
        b'<?xml version="1.0" encoding="windows-1252"?>\n'
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b"<rss version='0.91'><channel><title>Caf\xe9&nbsp;Talk</title></channel></rss>"
    )
    assert parse_feed(data, "https://host.test/f").title == "Café Talk"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("feedparser/illformed_aaa_illformed.xml", "malformed XML at line 6"),
        ("feedparser/illformed_rss_incomplete_cdata.xml", "malformed XML at line 13"),
        ("rss-parser/input/unrecognized.rss", "not a podcast feed: the document is HTML"),
    ],
)
def test_broken_and_unrecognised_files(path: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed((FEEDS / path).read_bytes(), "https://host.test/f")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the document is empty"),
        (b" \n\t\n", "the document is empty"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "the document is JSON"),
        (b"<!DOCTYPE html><html><body><p>Hello<br></body></html>", "the document is HTML"),
        (b"Moved Permanently", "the document is not XML"),
        (b"<opml version='2.0'><body/></opml>", "the document is <opml>, not RSS or Atom"),
        (b"\x00\x01\x02<rss>", "the document is not XML"),
    ],
)
def test_not_feeds(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(data, "https://host.test/f")


def _billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(entities) + "\n]>\n"
        f"<rss><channel><title>&lol{levels - 1};</title></channel></rss>"
    ).encode()


def test_billion_laughs_fails_fast_in_little_memory() -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FeedError, match="entities"):
            parse_feed(_billion_laughs(), "https://host.test/f")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 1
    assert peak < 5_000_000  # expanded, it would be 10**9 "lol"s


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    """A local server that records any request, to prove the parser never fetches."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY x "pwned">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_external_entities_and_dtds_are_never_fetched(dtd_server: tuple[str, list[str]]) -> None:
    base, seen = dtd_server
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{base}/entity">]>'
        "<rss><channel><title>&x;</title></channel></rss>"
    ).encode()
    with pytest.raises(FeedError, match="entities"):
        parse_feed(xxe, "https://host.test/f")
    parameter = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{base}/param"> %p;]>'
        "<rss><channel><title>t</title></channel></rss>"
    ).encode()
    with pytest.raises(FeedError, match="entities"):
        parse_feed(parameter, "https://host.test/f")
    external_dtd = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{base}/rss.dtd">'
        "<rss><channel><title>&x;</title></channel></rss>"
    ).encode()
    assert parse_feed(external_dtd, "https://host.test/f").title == ""  # &x; skipped, not loaded
    assert seen == []


# --- JSON chapters ------------------------------------------------------------------------


def test_json_chapters_example() -> None:
    chapters = parse_chapters_json((FEEDS / "podcast-namespace/chapters/example.json").read_bytes())
    assert [c.start_ms for c in chapters] == [
        0, 168_000, 260_000, 410_000, 3_990_000, 4_600_000, 5_510_000, 5_854_000, 6_089_000,
    ]  # fmt: skip
    assert chapters[3] == Chapter(
        start_ms=410_000,
        title="Namespace",
        img="https://example.com/images/namepsace_example.jpg",
        url="https://github.com/Podcastindex-org/podcast-namespace",
    )


def test_json_chapters_complex_example() -> None:
    data = (FEEDS / "podcast-namespace/chapters/exampleComplex.json").read_bytes()
    chapters = parse_chapters_json(data)
    assert len(chapters) == 11
    location_only = next(c for c in chapters if c.start_ms == 4_826_000)
    assert (location_only.title, location_only.toc) == ("", False)
    assert location_only.img == "https://example.com/images/parisfrance.jpg"


def test_json_chapters_end_times_order_and_relative_links() -> None:
    data = json.dumps(
        {
            "version": "1.2.0",
            "chapters": [
                {"startTime": 60.25, "endTime": 90, "title": "Two", "img": "two.png"},
                {"startTime": 0, "endTime": 0, "title": "One"},
            ],
        }
    ).encode()
    one, two = parse_chapters_json(data, "https://host.test/ep/chapters.json")
    assert one == Chapter(0, "One")
    assert two == Chapter(60_250, "Two", img="https://host.test/ep/two.png", end_ms=90_000)
    assert two.to_json() == {
        "start_ms": 60_250,
        "title": "Two",
        "img": "https://host.test/ep/two.png",
        "url": None,
        "end_ms": 90_000,
        "toc": True,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b"[]", 'no "chapters" list'),
        (b'{"chapters": {}}', 'no "chapters" list'),
        (b'{"chapters": [1]}', "chapter 1 .* not an object"),
        (b'{"chapters": [{"startTime": 0}, {"title": "x"}]}', "chapter 2 .* no valid startTime"),
        (b'{"chapters": [{"startTime": -5}]}', "no valid startTime"),
        (b'{"chapters": [{"startTime": true}]}', "no valid startTime"),
    ],
)
def test_bad_json_chapters(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_chapters_json(data)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("0", 0), ("128", 128_000), ("61:08", 3_668_000), ("25:03:30", 90_210_000),
     ("01:02:03.400", 3_723_400), ("33.833", 33_833), (" 60.0 ", 60_000),
     ("", None), ("soon", None), ("1:2:3:4", None)],
)  # fmt: skip
def test_parse_clock_ms(text: str, ms: int | None) -> None:
    assert parse_clock_ms(text) == ms
