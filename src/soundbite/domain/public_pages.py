"""Pure rules of the public site: URL slugs, the ``?t=`` start time and transcript paragraphs.

Slugs are decoration: pages are found by id, and a wrong or stale slug (a renamed episode,
a link typed by hand) is answered with a permanent redirect to the right one, so old links
keep working and search engines keep one URL per page.

``?t=`` comes from links people paste and edit by hand, so it is read tolerantly (``90``,
``90.5``, ``1m30s``, ``1:30``, ``1h2m3s``) and anything that is not a time is ignored rather
than refused: the page still plays, from the start.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from soundbite.domain.transcript import Segment, ends_sentence

SLUG_CHARS = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# ids above this cannot be rows (SQLite and PostgreSQL BIGINT); refusing them early keeps a
# hostile URL from reaching the database as an overflow error
MAX_ID = 2**63 - 1
_T_UNITS = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?")
_T_MAX_CHARS = 32
# the last moment a deep link may start at: past the end a player would only stop at once
_END_MARGIN_MS = 1000


def slugify(title: str, fallback: str) -> str:
    """``"Ep. 12: Ça va?"`` -> ``"ep-12-ca-va"``; ``fallback`` when nothing is left."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")
    return slug[:SLUG_CHARS].rstrip("-") or fallback


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def parse_start(value: str | None, duration_ms: int | None) -> int | None:
    """The start position in ms that ``?t=`` asks for, or None to start at the beginning.

    Negative, NaN, infinite and unparseable values are ignored; a time past the end is
    clamped to just before it (when the duration is known).
    """
    if not value or len(value) > _T_MAX_CHARS:
        return None
    seconds = _seconds(value.strip().lower())
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    ms = round(min(seconds, MAX_ID / 1000) * 1000)
    if duration_ms:
        ms = min(ms, max(duration_ms - _END_MARGIN_MS, 0))
    return ms or None


def _seconds(text: str) -> float | None:
    if ":" in text:  # 1:30, 1:02:03
        parts = text.split(":")
        if len(parts) > 3 or not all(re.fullmatch(r"\d+(?:\.\d+)?", p) for p in parts):
            return None
        total = 0.0
        for part in parts:
            total = total * 60 + float(part)
        return total
    match = _T_UNITS.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


@dataclass(frozen=True, slots=True)
class Paragraph:
    start_ms: int
    text: str
    speaker: str | None = None


PARAGRAPH_CHARS = 300
PARAGRAPH_GAP_MS = 2500


def paragraphs(segments: Sequence[Segment]) -> list[Paragraph]:
    """Transcript segments joined into readable paragraphs, each with where it starts.

    A new paragraph starts at a change of speaker, after a pause, or at the first sentence
    end once the paragraph is long enough; segments are never split, so every paragraph's
    time is a real segment start a listener can jump to.
    """
    found: list[Paragraph] = []
    texts: list[str] = []
    start = end = 0
    speaker: str | None = None

    def close() -> None:
        if texts:
            found.append(Paragraph(start, " ".join(texts), speaker))
            texts.clear()

    for segment in segments:
        text = segment.text.strip()
        if not text:
            continue
        current = " ".join(texts)
        if texts and (
            segment.speaker != speaker
            or segment.start_ms - end >= PARAGRAPH_GAP_MS
            or (len(current) >= PARAGRAPH_CHARS and ends_sentence(current))
        ):
            close()
        if not texts:
            start, speaker = segment.start_ms, segment.speaker
        texts.append(text)
        end = segment.end_ms
    close()
    return found


def podcast_path(podcast_id: int, title: str) -> str:
    """The public podcast page: ``/podcasts/12-the-show``. (``/podcasts/12`` is the app's.)"""
    return f"/podcasts/{podcast_id}-{slugify(title, 'podcast')}"


def episode_path(podcast_id: int, episode_id: int, title: str) -> str:
    """The public episode page: ``/podcasts/12/episodes/345-the-episode``."""
    return f"/podcasts/{podcast_id}/episodes/{episode_id}-{slugify(title, 'episode')}"
