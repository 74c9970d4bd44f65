"""Spans against the store: the transcript around a span, and checking plus snapping one.

The rules themselves are pure (``domain/clips.py``); this module only fetches what they need:
the few transcript segments near the span, never the whole transcript (a 3-hour episode has
30,000 words, and creating a clip should cost one small query).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from soundbite.domain import clips as rules
from soundbite.domain.transcript import Segment, Word
from soundbite.errors import InvalidInput
from soundbite.store.models import Episode, Transcript, TranscriptSegment, TranscriptWord

SHARE_ID_BITS = 96  # 17 base62 characters
# transcript read around a span: more than any padding or sentence can reach
CONTEXT_MS = 30_000


def segments_near(s: Session, episode_id: int, start_ms: int, end_ms: int) -> list[Segment] | None:
    """Transcript segments within CONTEXT_MS of the span; None if there is no transcript."""
    transcript_id = s.scalar(select(Transcript.id).where(Transcript.episode_id == episode_id))
    if transcript_id is None:
        return None
    rows = s.scalars(
        select(TranscriptSegment)
        .where(
            TranscriptSegment.transcript_id == transcript_id,
            TranscriptSegment.end_ms >= start_ms - CONTEXT_MS,
            TranscriptSegment.start_ms <= end_ms + CONTEXT_MS,
        )
        .order_by(TranscriptSegment.position)
        .options(selectinload(TranscriptSegment.words))
    )
    return [
        Segment(
            r.start_ms,
            r.end_ms,
            r.text,
            tuple(Word(w.start_ms, w.end_ms, w.text, w.probability) for w in r.words),
            r.speaker,
        )
        for r in rows
    ]


def words_within(
    s: Session, episode_id: int, start_ms: int, end_ms: int
) -> list[tuple[int, int, str, str | None]]:
    """(start, end, text, speaker) of the words whose middle is in start..end, in order: what
    a video's captions show. Plain rows, not ORM objects: a cached video's every request
    builds its render key from these, and loading 150 words as objects took most of it."""
    segment, word = TranscriptSegment, TranscriptWord
    middle = (word.start_ms + word.end_ms) / 2
    query = (
        select(word.start_ms, word.end_ms, word.text, segment.speaker)
        .join(segment, word.segment_id == segment.id)
        .join(Transcript, segment.transcript_id == Transcript.id)
        .where(
            Transcript.episode_id == episode_id,
            segment.end_ms >= start_ms,
            segment.start_ms <= end_ms,
            middle >= start_ms,
            middle < end_ms,
        )
        .order_by(segment.position, word.position)
    )
    return [(a, b, t, sp) for a, b, t, sp in s.execute(query)]


def place(
    s: Session,
    episode: Episode,
    start_ms: int,
    end_ms: int,
    snap: rules.Snap,
    *,
    max_ms: int,
) -> tuple[rules.Snapped, bool]:
    """Check and snap a span of `episode`: (the snapped span, whether a transcript exists)."""
    if episode.duration_ms is None:
        raise InvalidInput(
            f"episode {episode.id} has no known duration yet: clip it once it is processed"
        )
    try:
        span = rules.check_span(start_ms, end_ms, episode_ms=episode.duration_ms, max_ms=max_ms)
    except rules.SpanError as exc:
        raise InvalidInput(exc.message) from None
    segments = segments_near(s, episode.id, span.start_ms, span.end_ms)
    snapped = rules.snap(span, segments or [], snap, episode_ms=episode.duration_ms, max_ms=max_ms)
    return snapped, segments is not None
