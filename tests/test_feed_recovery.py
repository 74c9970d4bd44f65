"""Malformed feeds: read leniently, keep the items that make sense, say what was lost.

Every fault is made here from real feeds (a real show's feed, the Podcasting 2.0 reference
feed) or taken from feedparser's ill-formed test files; see tests/data/feeds/SOURCES.md.
"""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest

from soundbite.errors import FeedError
from soundbite.ingest.feed_recovery import recover
from soundbite.ingest.feeds import ParsedFeed, parse_feed
from tests.test_feeds import _billion_laughs, dtd_server  # noqa: F401 (a fixture)

FEEDS = Path(__file__).parent / "data" / "feeds"
GIANTBOMB = (FEEDS / "real" / "giantbomb-podcast-excerpt.rss").read_bytes()  # 3 items
BAYWATCH = (FEEDS / "rss-parser" / "input" / "item-itunes-episodeType.rss").read_bytes()
NAMESPACE = (FEEDS / "podcast-namespace" / "example.xml").read_bytes()  # 3 items
REAL_FEEDS = {"giantbomb": GIANTBOMB, "baywatch": BAYWATCH, "namespace": NAMESPACE}
URL = "https://host.test/feed.xml"


def _items(data: bytes) -> list[tuple[int, int]]:
    """(start, end) byte offsets of each <item>…</item> in a feed."""
    starts = [m.start() for m in re.finditer(rb"<item>", data)]
    ends = [m.end() for m in re.finditer(rb"</item>", data)]
    assert len(starts) == len(ends) > 0
    return list(zip(starts, ends, strict=True))


def _second_title(data: bytes) -> tuple[int, int]:
    """The span of the text of the last item's title (the first item for one-item feeds)."""
    start, end = _items(data)[-1]
    title = re.compile(rb"<title>(.*?)</title>", re.S).search(data, start, end)
    assert title is not None
    return title.span(1)


def _clean(data: bytes) -> ParsedFeed:
    feed = parse_feed(data, URL)
    assert feed.problems == []
    return feed


def _reasons(feed: ParsedFeed) -> list[tuple[str | None, str]]:
    return [(p.item, p.reason) for p in feed.problems]


@pytest.mark.parametrize("name", REAL_FEEDS)
def test_undefined_entities_keep_every_item(name: str) -> None:
    data = REAL_FEEDS[name]
    clean = _clean(data)
    a, b = _second_title(data)
    title = data[a:b]
    # a misspelt entity (not an entity at all) and an HTML one XML does not define
    broken = data[:a] + title + b" &nbps; Caf&eacute;" + data[b:]
    feed = parse_feed(broken, URL)
    assert [e.guid for e in feed.episodes] == [e.guid for e in clean.episodes]
    broken_episode = feed.episodes[-1]
    want_title = f"{clean.episodes[-1].title} Café"
    assert broken_episode.title == want_title
    assert broken_episode.enclosure_url == clean.episodes[-1].enclosure_url
    assert (want_title, "unknown entity &nbps; left out") in _reasons(feed)
    assert feed.problems[0].item is None and "undefined entity" in feed.problems[0].reason
    assert [e.title for e in feed.episodes[:-1]] == [e.title for e in clean.episodes[:-1]]


def test_entity_in_an_html_summary_is_named_with_its_item() -> None:
    data = GIANTBOMB.replace(b"Surely we talk", b"Surely&nbps;we talk")
    feed = parse_feed(data, URL)
    assert len(feed.episodes) == 3
    assert ("Giant Bombcast 603: Call of Tuesday", "unknown entity &nbps; left out") in _reasons(
        feed
    )
    assert "Surelywe talk" in feed.episodes[0].description


@pytest.mark.parametrize("name", REAL_FEEDS)
def test_a_windows_1252_byte_in_a_utf8_feed_is_read_as_windows_1252(name: str) -> None:
    data = REAL_FEEDS[name]
    clean = _clean(data)
    a, b = _second_title(data)
    broken = data[:a] + "Café – naïve ".encode("cp1252") + data[a:b] + data[b:]
    feed = parse_feed(broken, URL)
    assert feed.episodes[-1].title == f"Café – naïve {clean.episodes[-1].title}"
    # only the bad bytes were read as Windows-1252: the feed's real UTF-8 is intact
    assert (feed.title, feed.description) == (clean.title, clean.description)
    assert [e.description for e in feed.episodes] == [e.description for e in clean.episodes]
    assert (
        feed.episodes[-1].title,
        "text that is not valid UTF-8 was read as Windows-1252",
    ) in _reasons(feed)


def test_a_byte_undefined_in_the_declared_legacy_encoding() -> None:
    data = GIANTBOMB.replace(b'encoding="utf-8"', b'encoding="windows-1252"', 1)
    data = data.replace(b"Easy Chicken", b"Easy Chicken \xe9\x81", 1)  # 0x81: no cp1252 char
    feed = parse_feed(data, URL)
    assert [e.title for e in feed.episodes][1] == "Giant Bombcast 602: Easy Chicken é\ufffd"
    assert len(feed.episodes) == 3
    assert any("not valid windows-1252" in reason for _, reason in _reasons(feed))


def test_latin1_declared_feeds_read_strictly() -> None:
    data = GIANTBOMB.replace(b'encoding="utf-8"', b'encoding="ISO-8859-1"', 1)
    data = data.replace(b"Easy Chicken", "Easy Chicken à la carte".encode("latin-1"), 1)
    assert _clean(data).episodes[1].title == "Giant Bombcast 602: Easy Chicken à la carte"


@pytest.mark.parametrize("name", REAL_FEEDS)
def test_a_truncated_feed_keeps_the_items_that_end_before_the_cut(name: str) -> None:
    """Cut the feed at many places: every item that ended before the cut is kept, the one the
    cut falls in is skipped and named, and the feed says it was cut."""
    data = REAL_FEEDS[name]
    clean = _clean(data)
    items = _items(data)
    first_end = items[0][1]
    cuts = range(first_end, len(data) - len(b"</rss>") - 1, max(1, (len(data) - first_end) // 40))
    for cut in cuts:
        feed = parse_feed(data[:cut], URL)
        whole = sum(1 for _, end in items if end <= cut)
        assert [e.guid for e in feed.episodes] == [e.guid for e in clean.episodes[:whole]], cut
        reasons = [reason for _, reason in _reasons(feed)]
        assert "the feed is cut off before its end (an incomplete file)" in reasons, cut
        inside = any(start < cut < end for start, end in items)
        assert ("the feed ends inside this item, so it was skipped" in reasons) == inside, cut


@pytest.mark.parametrize("name", REAL_FEEDS)
def test_a_feed_cut_before_its_first_item_ends_is_refused_with_the_line(name: str) -> None:
    data = REAL_FEEDS[name]
    cut = _items(data)[0][1] - 3
    line = data[:cut].count(b"\n") + 1
    with pytest.raises(FeedError, match=f"malformed XML at line {line}: "):
        parse_feed(data[:cut], URL)


@pytest.mark.parametrize("name", REAL_FEEDS)
def test_unescaped_html_in_a_description(name: str) -> None:
    data = REAL_FEEDS[name]
    clean = _clean(data)
    end = _items(data)[0][1]
    html = b"<description><p>Notes<br>with <b>bold & <i>unclosed</p> tags</description>"
    broken = data[: end - len(b"</item>")] + html + data[end - len(b"</item>") :]
    feed = parse_feed(broken, URL)
    assert [e.guid for e in feed.episodes] == [e.guid for e in clean.episodes]
    assert [e.enclosure_url for e in feed.episodes] == [e.enclosure_url for e in clean.episodes]


def test_html_served_instead_of_a_feed_is_still_an_error() -> None:
    page = (FEEDS / "rss-parser" / "input" / "unrecognized.rss").read_bytes()
    with pytest.raises(FeedError, match="the document is HTML"):
        parse_feed(page, URL)
    # also when it is a fragment that no HTML sniffing sees, and is broken as well
    with pytest.raises(FeedError, match=r"the document is <p>, not RSS or Atom"):
        parse_feed(b"<p>Document moved <a href=/x>here</p>", URL)


@pytest.mark.parametrize(
    "prefix", [b"\xef\xbb\xbf", b"\n", b"\r\n\r\n", b"\xef\xbb\xbf\n  \n", b"<!-- hi -->\n"]
)
@pytest.mark.parametrize("name", REAL_FEEDS)
def test_bom_and_newlines_before_the_declaration(name: str, prefix: bytes) -> None:
    data = REAL_FEEDS[name]
    assert data.startswith(b"<?xml")
    feed = _clean(prefix + data)
    assert [e.guid for e in feed.episodes] == [e.guid for e in _clean(data).episodes]


def test_line_numbers_count_what_came_before_the_declaration() -> None:
    data = b"\xef\xbb\xbf\n\n\n" + GIANTBOMB.replace(b"Easy Chicken", b"Easy &chiken;", 1)
    feed = parse_feed(data, URL)
    line = data[: data.index(b"&chiken;")].count(b"\n") + 1
    assert feed.problems[0].reason.startswith(f"malformed XML at line {line}: ")


# --- feedparser's ill-formed test files ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("illformed_aaa_illformed.xml", 6),
        # its one item has a link but no title, which podcastparser (and we) require
        ("illformed_rss_item_link_corrupted_ampersands.xml", 12),
        ("illformed_rss_incomplete_cdata.xml", 13),
        ("illformed_rss_image_height_stray_end_tag.xml", 11),
        ("illformed_charref_out_of_range.xml", 7),
    ],
)
def test_feedparser_illformed_feeds_without_items_are_refused(name: str, line: int) -> None:
    """Nothing in these makes a podcast (no item at all), so the strict error stands."""
    with pytest.raises(FeedError, match=f"malformed XML at line {line}: "):
        parse_feed((FEEDS / "feedparser" / name).read_bytes(), URL)


# --- hostile documents on the lenient path ------------------------------------------------


def test_entity_bomb_on_the_lenient_path_is_refused_in_little_memory() -> None:
    # an unknown encoding fails the strict parser before it sees the DOCTYPE
    bomb = _billion_laughs().replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="x-bogus"?>'
    )
    bomb = bomb.replace(b"</title>", b"</title><item><guid>1</guid></item>")
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match="entities"):
            parse_feed(bomb, URL)
        with pytest.raises(FeedError, match="entities"):
            recover(_billion_laughs(), "malformed", 0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000  # expanded, it would be 10**9 "lol"s


def test_lenient_path_never_fetches_entities_or_dtds(
    dtd_server: tuple[str, list[str]],  # noqa: F811
) -> None:
    base, seen = dtd_server
    item = '<item><guid isPermaLink="false">g1</guid><title>T &amp; &x; &y;</title></item>'
    external_entity = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{base}/entity">]>'
        f"<rss><channel><title>t</title>{item}<broken></channel></rss>"
    ).encode()
    with pytest.raises(FeedError, match="entities"):
        recover(external_entity, "malformed", 0)
    external_dtd = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{base}/rss.dtd">'
        f"<rss><channel><title>t</title>{item}<broken></channel></rss>"
    ).encode()
    feed = parse_feed(external_dtd, URL)
    assert "mismatched tag" in feed.problems[0].reason  # so it went the lenient way
    assert [e.guid for e in feed.episodes] == ["g1"]
    assert feed.episodes[0].title == "T &"
    assert seen == []


def test_an_unknown_declared_encoding_is_read_as_utf8() -> None:
    data = GIANTBOMB.replace(b'encoding="utf-8"', b'encoding="utf-9"', 1)
    feed = parse_feed(data, URL)
    assert [e.title for e in feed.episodes] == [e.title for e in _clean(GIANTBOMB).episodes]
    assert (None, 'the declared encoding "utf-9" is unknown') in _reasons(feed)


@pytest.mark.parametrize("tag", [b"<description>", b"<item>", b"<a:b>"])
def test_deeply_nested_feeds_are_refused(tag: bytes) -> None:
    """Reading a path per element made 40,000 nested tags take minutes; now it is refused."""
    data = b"<rss><channel><title>t</title>" + tag * 40_000
    with pytest.raises(FeedError, match="nested too deeply"):
        parse_feed(data, URL)
