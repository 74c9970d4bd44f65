"""Episode chapters, from JSON Chapters files and from Podlove Simple Chapters in feeds.

Both formats become the same `Chapter`, in integer milliseconds, so the player and the clip
tool need not know where chapters came from. JSON Chapters (Podcasting 2.0, version 1.2.0) are
fetched separately from the `podcast:chapters` URL of a feed item, so they are parsed here from
bytes, with no I/O, like feeds.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any
from urllib.parse import urljoin

from soundbite.errors import FeedError


@dataclasses.dataclass(frozen=True)
class Chapter:
    start_ms: int
    title: str  # may be empty: JSON chapters may be untitled (e.g. a location-only marker)
    img: str | None = None
    url: str | None = None
    end_ms: int | None = None  # only when the source gives one
    toc: bool = True  # False: a marker the source asks players not to list

    def to_json(self) -> dict[str, Any]:
        """A plain dict (the keys are the field names), for JSON columns and API answers."""
        return dataclasses.asdict(self)


def parse_chapters_json(data: bytes, base_url: str | None = None) -> list[Chapter]:
    """Parse a JSON Chapters document; relative img/url links resolve against `base_url`.

    Raises FeedError when the document is not JSON Chapters or a chapter has no usable start.
    """
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"the chapters file is not valid JSON: {exc}") from exc
    items = doc.get("chapters") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise FeedError('the chapters file is not JSON Chapters: it has no "chapters" list')
    chapters = [_chapter(number, item, base_url) for number, item in enumerate(items, 1)]
    return sorted(chapters, key=lambda chapter: chapter.start_ms)


def _chapter(number: int, item: Any, base_url: str | None) -> Chapter:
    if not isinstance(item, dict):
        raise FeedError(f"chapter {number} in the chapters file is not an object")
    start = _seconds(item.get("startTime"))
    if start is None:
        raise FeedError(f"chapter {number} in the chapters file has no valid startTime")
    end = _seconds(item.get("endTime"))
    title = item.get("title")
    return Chapter(
        start_ms=_ms(start),
        title=title.strip() if isinstance(title, str) else "",
        img=resolve_url(item.get("img"), base_url),
        url=resolve_url(item.get("url"), base_url),
        end_ms=_ms(end) if end is not None and end > start else None,
        toc=item.get("toc") is not False,
    )


def _seconds(value: Any) -> float | None:
    # bool is an int in Python, and "startTime": true is not a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def resolve_url(value: Any, base_url: str | None) -> str | None:
    """A link from a feed or chapters file: trimmed, made absolute, None if empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    return urljoin(base_url, value.strip()) if base_url else value.strip()


_CLOCK = re.compile(r"(?:(?:(\d+):)?(\d{1,2}):)?(\d+)(?:[.,](\d+))?")


def parse_clock_ms(text: str | None) -> int | None:
    """'01:02:03.400' / '62:03' / '3723.4' (RFC 2326 normal play time) -> milliseconds.

    Podcastparser's own time parser drops fractions; chapter marks and soundbites need them.

    >>> parse_clock_ms("01:02:03.400")
    3723400
    >>> parse_clock_ms("01")
    1000
    >>> parse_clock_ms("soon") is None
    True
    """
    match = _CLOCK.fullmatch((text or "").strip())
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    whole = (int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds)
    return whole * 1000 + (round(float(f"0.{fraction}") * 1000) if fraction else 0)


def psc_chapter(attrs: dict[str, str], base_url: str) -> Chapter | None:
    """A Podlove Simple Chapters <psc:chapter> element's attributes as a Chapter."""
    start = parse_clock_ms(attrs.get("start"))
    title = attrs.get("title")
    if start is None or title is None:  # both are required by the spec
        return None
    return Chapter(
        start_ms=start,
        title=title.strip(),
        img=resolve_url(attrs.get("image"), base_url),
        url=resolve_url(attrs.get("href"), base_url),
    )
