"""Chapters to show: the publisher's when the feed has them, ours otherwise.

A publisher who wrote chapters chose them on purpose, so they win; ours (outline.py: a few an
hour, with noun-phrase titles) stay available (``source=generated``) for episodes without any
and for people who want both. The export is
Podcasting 2.0 JSON Chapters, version 1.2.0 (times in seconds), which podcast apps read from
``<podcast:chapters>``, so an instance can hand its generated chapters back to a feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from soundbite.ingest.chapters import Chapter

ChapterSource = Literal["auto", "publisher", "generated"]
JSON_CHAPTERS_VERSION = "1.2.0"


def generated_chapters(rows: Sequence[dict[str, Any]]) -> list[Chapter]:
    """Our chapters (rows as dicts with start_ms, end_ms, title); the first starts at 0 so that
    a player's chapter list covers the whole episode."""
    chapters = []
    for i, row in enumerate(rows):
        start = 0 if i == 0 else int(row["start_ms"])
        chapters.append(Chapter(start_ms=start, title=row["title"], end_ms=row["end_ms"]))
    return chapters


def publisher_chapters(stored: Sequence[dict[str, Any]] | None) -> list[Chapter]:
    """Episode.chapters (dicts from Chapter.to_json) back as chapters, in time order."""
    fields = set(Chapter.__dataclass_fields__)
    chapters = [Chapter(**{k: v for k, v in c.items() if k in fields}) for c in stored or []]
    return sorted(chapters, key=lambda c: c.start_ms)


def choose(
    source: ChapterSource, publisher: list[Chapter], generated: list[Chapter]
) -> tuple[str, list[Chapter]]:
    """(the source used, its chapters): "auto" is the publisher's if any, else ours."""
    if source == "publisher" or (source == "auto" and publisher):
        return "publisher", publisher
    return "generated", generated


def _seconds(ms: int) -> float | int:
    return ms // 1000 if ms % 1000 == 0 else round(ms / 1000, 3)


def json_chapters(
    chapters: Sequence[Chapter], *, title: str | None = None, podcast_name: str | None = None
) -> dict[str, Any]:
    """A JSON Chapters 1.2.0 document."""
    items = []
    for c in chapters:
        item: dict[str, Any] = {"startTime": _seconds(c.start_ms)}
        if c.end_ms is not None:
            item["endTime"] = _seconds(c.end_ms)
        if c.title:
            item["title"] = c.title
        if c.img:
            item["img"] = c.img
        if c.url:
            item["url"] = c.url
        if not c.toc:
            item["toc"] = False
        items.append(item)
    doc: dict[str, Any] = {"version": JSON_CHAPTERS_VERSION, "chapters": items}
    if title:
        doc["title"] = title
    if podcast_name:
        doc["podcastName"] = podcast_name
    return doc
