"""Podcast feeds (RSS 2.0 and Atom) from bytes to plain dataclasses, with no I/O.

We let podcastparser do the parsing: it knows the quirks of real feeds (iTunes tags under any
prefix, prefixes used without a namespace declaration, GUID and title fallbacks, relative links,
pubDate formats). We extend its SAX handler rather than parse twice, adding what it lacks:
`podcast:soundbite` (ready-made clip suggestions), every `podcast:transcript` with its type,
language and rel (it keeps only the last URL), the `podcast:chapters` type, the current
`podcast:person` (the people on the show, offered as names for its speakers), the current
namespace URI https://podcastindex.org/namespace/1.0, and millisecond precision for durations
and chapter marks (its parser drops fractions).

Safety: the SAX parser is defusedxml's, which refuses any entity declaration, so a
billion-laughs or external-entity (XXE) feed fails at once instead of expanding or fetching.
A DOCTYPE alone is accepted (old RSS 0.91 feeds carry one), and no external DTD is ever loaded.
Nesting is capped (MAX_DEPTH), since podcastparser's per-element work grows with depth.

Malformed feeds: a document that is not well-formed XML is repaired by `feed_recovery` (as
safely: no entity expansion, no network) and the repaired document read by this same parser;
`ParsedFeed.problems` says what was repaired or skipped, per item.

Episodes without an enclosure are kept, with `enclosure_url=None`: they cannot be played or
clipped (see `ParsedEpisode.playable`), but they may carry chapters and show notes, and dropping
them here would hide them from the caller for good. Episodes with no identity at all (no guid, no
link and not exactly one enclosure) are dropped, as podcastparser does, since a refresh could
not match them to what we stored.
"""

from __future__ import annotations

import dataclasses
import html.entities
import io
import re
import threading
import xml.sax
import xml.sax.handler
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import podcastparser
from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from soundbite.errors import FeedError
from soundbite.ingest.chapters import Chapter, parse_clock_ms, psc_chapter, resolve_url
from soundbite.ingest.feed_recovery import ENTITY_DECLARATIONS, FeedProblem, recover


@dataclass(frozen=True)
class TranscriptRef:
    url: str
    type: str | None  # e.g. text/vtt, application/x-subrip, application/json
    language: str | None
    rel: str | None  # "captions" when the transcript is timed for display


@dataclass(frozen=True)
class ChaptersRef:
    url: str
    type: str | None  # application/json+chapters, normally


@dataclass(frozen=True)
class Soundbite:
    """A moment the publisher suggests for clipping (podcast:soundbite)."""

    start_ms: int
    duration_ms: int
    title: str | None


@dataclass(frozen=True)
class Person:
    """Someone on the show (podcast:person): its text is the name, `role` defaults to host."""

    name: str
    role: str = "host"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


# a name longer than this is not a name (and would not fit transcript_segments.speaker)
MAX_PERSON_NAME = 100


@dataclass(frozen=True)
class ParsedEpisode:
    guid: str
    title: str
    description: str  # plain text (HTML stripped by podcastparser)
    published: datetime | None  # UTC
    link: str | None
    artwork_url: str | None
    enclosure_url: str | None
    enclosure_type: str | None
    enclosure_length: int | None
    duration_ms: int | None
    transcripts: list[TranscriptRef] = field(default_factory=list)
    chapters: ChaptersRef | None = None
    chapters_inline: list[Chapter] = field(default_factory=list)
    soundbites: list[Soundbite] = field(default_factory=list)
    # the item's podcast:person tags, or the channel's when the item has none (as the spec says)
    persons: list[Person] = field(default_factory=list)

    @property
    def playable(self) -> bool:
        return self.enclosure_url is not None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    description: str
    link: str | None
    artwork_url: str | None
    author: str | None
    language: str | None
    episodes: list[ParsedEpisode]
    # what had to be repaired or skipped to read a feed that is not well-formed XML
    problems: list[FeedProblem] = field(default_factory=list)


_PODCAST_NS = (
    "https://podcastindex.org/namespace/1.0",
    "http://podcastindex.org/namespace/1.0",
    "https://podcastindex.org/namespace/1.0/",
)


class _Namespace(podcastparser.Namespace):
    NAMESPACES: ClassVar[dict[str, str]] = {
        **podcastparser.Namespace.NAMESPACES,
        **dict.fromkeys(_PODCAST_NS, "podcast"),
    }


_ITEM_PATHS = ("rss/channel/item", "atom:feed/atom:entry")
_CHANNEL_PATHS = ("rss/channel", "atom:feed")
# Each element joins the whole path (podcastparser's design), so work grows with depth squared:
# 40,000 nested tags (1.6 MB) took 83 s before this cap. Real feeds nest about 10 deep; 256 is
# libxml2's own default limit, which the lenient path inherits.
MAX_DEPTH = 256
_HTML_ROOTS = frozenset({"html", "head", "body", "!doctype html"})


class _Handler(podcastparser.PodcastHandler):
    """podcastparser's handler, plus the elements listed in the module docstring.

    Our extra values live in the episode dicts under "_sb_" keys until `_episode` reads them.
    """

    def __init__(self, url: str) -> None:
        super().__init__(url, max_episodes=0)
        self.namespace: podcastparser.Namespace | None = None
        self.text: list[str] | None = None
        self._bite: dict[str, Any] | None = None  # the open podcast:soundbite, if any
        self._bite_text: list[str] = []
        self._person: dict[str, Any] | None = None  # the open podcast:person, if any
        self.channel_persons: list[Person] = []

    def startElement(self, name: str, attrs: Any) -> None:
        # podcastparser's own startElement, but with our namespace table and our error.
        if len(self.path_stack) >= MAX_DEPTH:
            raise FeedError(f"the feed is nested too deeply to read (over {MAX_DEPTH} levels)")
        self.namespace = _Namespace(attrs, self.namespace)
        mapped = self.namespace.map(name)
        if not self.path_stack and mapped not in podcastparser.VALID_ROOTS:
            raise FeedError(_root_message(mapped))
        self.path_stack.append(mapped)
        path = "/".join(self.path_stack)
        target = podcastparser.MAPPING.get(path)
        if target is not None:
            target.start(self, attrs)
            if target.WANT_TEXT:
                self.text = []
        parent, _, leaf = path.rpartition("/")
        if leaf == "podcast:person" and parent in (*_ITEM_PATHS, *_CHANNEL_PATHS):
            self._person = {"role": attrs.get("role"), "text": [], "item": parent in _ITEM_PATHS}
        if parent in _ITEM_PATHS:
            self._item_start(leaf, attrs)
        elif leaf == "psc:chapter" and parent.rpartition("/")[0] in _ITEM_PATHS:
            chapter = psc_chapter(dict(attrs), self.base)
            if chapter is not None:
                self._extra("chapters_inline").append(chapter)

    def _item_start(self, leaf: str, attrs: Any) -> None:
        url = resolve_url(attrs.get("url"), self.base)
        if leaf == "podcast:transcript" and url:
            ref = TranscriptRef(url, attrs.get("type"), attrs.get("language"), attrs.get("rel"))
            self._extra("transcripts").append(ref)
        elif leaf == "podcast:chapters" and url:
            self.set_episode_attr("_sb_chapters", ChaptersRef(url, attrs.get("type")))
        elif leaf == "podcast:soundbite":
            self._bite = {"start": attrs.get("startTime"), "duration": attrs.get("duration")}
            self._bite_text = []

    def characters(self, chars: str) -> None:
        super().characters(chars)
        if self._bite is not None:
            self._bite_text.append(chars)
        if self._person is not None:
            self._person["text"].append(chars)

    def skippedEntity(self, name: str) -> None:
        # Reached only when a DOCTYPE points at an external DTD (which we never load), as RSS
        # 0.91 feeds do; the entities they use are HTML's (&nbsp;, &eacute;).
        codepoint = html.entities.name2codepoint.get(name)
        if codepoint is not None:
            self.characters(chr(codepoint))

    def endElement(self, name: str) -> None:
        path = "/".join(self.path_stack)
        parent, _, leaf = path.rpartition("/")
        if parent in _ITEM_PATHS and leaf == "itunes:duration":
            duration = parse_clock_ms("".join(self.text or []))
            self.set_episode_attr("_sb_duration_ms", duration)
        elif parent in _ITEM_PATHS and leaf == "podcast:soundbite" and self._bite is not None:
            start = parse_clock_ms(self._bite["start"])
            duration = parse_clock_ms(self._bite["duration"])
            if start is not None and duration:  # the spec requires both
                title = " ".join("".join(self._bite_text).split()) or None
                self._extra("soundbites").append(Soundbite(start, duration, title))
            self._bite = None
        elif leaf == "podcast:person" and self._person is not None:
            self._end_person(self._person)
            self._person = None
        super().endElement(name)

    def _end_person(self, open_: dict[str, Any]) -> None:
        name = " ".join("".join(open_["text"]).split())
        if not name or len(name) > MAX_PERSON_NAME:
            return
        role = " ".join(str(open_["role"] or "host").split()).lower()[:50] or "host"
        person = Person(name, role)
        if not open_["item"]:
            self.channel_persons.append(person)
        elif self.episodes and person not in (found := self._extra("persons")):
            found.append(person)

    def _extra(self, key: str) -> list[Any]:
        return self.episodes[-1].setdefault(f"_sb_{key}", [])


def _root_message(root: str) -> str:
    if root.lower() in _HTML_ROOTS:
        return "not a podcast feed: the document is HTML"
    shown = root.lstrip("!")  # podcastparser marks names in unknown namespaces with "!"
    return f"not a podcast feed: the document is <{shown}>, not RSS or Atom"


# podcastparser's element handlers are module-level objects, and some keep per-parse state on
# themselves (EpisodeGuid stores a closure over the current handler, AtomContent the content
# type). Two feeds parsed at once in two threads could mix their state, so we parse one at a time.
_PARSE_LOCK = threading.Lock()

_FIRST_TAG = re.compile(rb"<(!doctype\s+html|[a-z][\w.:-]*)", re.IGNORECASE)


def _prepare(data: bytes) -> tuple[bytes, int]:
    """Trim what real feeds put before the XML declaration, and say early what is not XML.

    Returns the bytes to parse and how many lines were trimmed, to report true line numbers.
    """
    original = data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 BOM followed by blank lines is not the start of a document
    data = data.lstrip()
    # Comments before the XML declaration make expat refuse the declaration; drop them.
    while data.startswith(b"<!--") and (end := data.find(b"-->")) != -1:
        data = data[end + 3 :].lstrip()
    if not data:
        raise FeedError("not a podcast feed: the document is empty")
    if data[:1] in (b"{", b"["):
        raise FeedError("not a podcast feed: the document is JSON")
    if not data.startswith(b"<") and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FeedError("not a podcast feed: the document is not XML")
    # HTML is rarely well-formed XML, so recognise it before the parser complains about syntax.
    first = _FIRST_TAG.search(data[:4096])
    if first and first.group(1).decode("ascii", "replace").lower() in _HTML_ROOTS:
        raise FeedError("not a podcast feed: the document is HTML")
    return data, original[: len(original) - len(data)].count(b"\n")


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """Parse feed bytes; `url` is where they came from, for resolving relative links.

    A feed that is not well-formed XML is read again leniently (see `feed_recovery`): its
    sensible items are kept and `ParsedFeed.problems` says what was repaired or skipped.
    Raises FeedError for anything that is not an RSS or Atom feed, for entity declarations,
    and for malformed XML in which no item survives (with the line number). A well-formed feed
    with no episodes is valid.
    """
    prepared, trimmed_lines = _prepare(data)
    try:
        return _parse_well_formed(prepared, url, trimmed_lines)
    except _NotWellFormed as exc:
        strict_error = str(exc)
    recovered = recover(prepared, strict_error, trimmed_lines)
    try:
        feed = _parse_well_formed(recovered.document, url, 0)
    except _NotWellFormed as exc:  # lxml wrote something expat refuses: not expected
        raise FeedError(strict_error) from exc
    if not feed.episodes:
        raise FeedError(f"{strict_error}; no item could be recovered from it")
    problems = recovered.problems
    if (unnamed := recovered.items - len(feed.episodes)) > 0:
        problems = [
            *problems,
            FeedProblem(
                None,
                f"{unnamed} item(s) skipped: no title, or nothing to tell them apart "
                "(no guid, link or single enclosure)",
            ),
        ]
    return dataclasses.replace(feed, problems=problems)


class _NotWellFormed(FeedError):
    pass


def _parse_well_formed(prepared: bytes, url: str, trimmed_lines: int) -> ParsedFeed:
    handler = _Handler(url)
    # forbid_external=False lets the stock SAX reader *skip* (never load) an external DTD, as in
    # RSS 0.91's Netscape DOCTYPE; with no entity declarations allowed, nothing can use it.
    parser = DefusedExpatParser(forbid_entities=True, forbid_external=False)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setContentHandler(handler)
    try:
        with _PARSE_LOCK:
            parser.parse(io.BytesIO(prepared))
    except xml.sax.SAXParseException as exc:
        line = (exc.getLineNumber() or 0) + trimmed_lines
        raise _NotWellFormed(f"malformed XML at line {line}: {exc.getMessage()}") from exc
    except LookupError as exc:  # expat asks Python for any encoding it does not know itself
        raise _NotWellFormed(f"malformed XML at line 1: {exc}") from exc
    except DefusedXmlException as exc:
        raise FeedError(ENTITY_DECLARATIONS) from exc
    except RecursionError as exc:
        raise FeedError("the feed is nested too deeply to read") from exc
    return _feed(handler.data, url, handler.channel_persons)


def _feed(data: dict[str, Any], url: str, channel_persons: list[Person]) -> ParsedFeed:
    return ParsedFeed(
        title=data.get("title") or "",
        description=data.get("description") or "",
        link=resolve_url(data.get("link"), url),
        artwork_url=resolve_url(data.get("cover_url"), url),
        author=data.get("itunes_author") or None,
        language=data.get("language") or None,
        episodes=[_episode(entry, channel_persons) for entry in data["episodes"]],
    )


def _pick_enclosure(enclosures: list[dict[str, Any]]) -> dict[str, Any] | None:
    usable = [e for e in enclosures if e.get("url")]
    media = [e for e in usable if str(e.get("mime_type")).startswith(("audio/", "video/"))]
    candidates = media or usable
    return candidates[0] if candidates else None


def _episode(entry: dict[str, Any], channel_persons: list[Person]) -> ParsedEpisode:
    enclosure = _pick_enclosure(entry.get("enclosures", []))
    mime = enclosure["mime_type"] if enclosure else None
    length = enclosure["file_size"] if enclosure else -1
    duration_ms = entry.get("_sb_duration_ms") or entry.get("total_time", 0) * 1000 or None
    published = entry.get("published") or 0
    return ParsedEpisode(
        guid=entry["guid"],
        title=entry.get("title") or "",
        description=entry.get("description") or "",
        published=datetime.fromtimestamp(published, UTC) if published else None,
        link=entry.get("link") or None,
        artwork_url=entry.get("episode_art_url") or None,
        enclosure_url=enclosure["url"] if enclosure else None,
        # podcastparser writes application/octet-stream for "no type given"; we say None.
        enclosure_type=None if mime in (None, "application/octet-stream") else mime,
        enclosure_length=length if length > 0 else None,
        duration_ms=duration_ms,
        transcripts=entry.get("_sb_transcripts", []),
        chapters=entry.get("_sb_chapters"),
        chapters_inline=sorted(entry.get("_sb_chapters_inline", []), key=lambda c: c.start_ms),
        soundbites=entry.get("_sb_soundbites", []),
        persons=entry.get("_sb_persons") or list(dict.fromkeys(channel_persons)),
    )
