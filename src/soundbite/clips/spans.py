"""Spans against the store: the transcript around a span, and checking plus snapping one.

The rules themselves are pure (``domain/clips.py``); this module only fetches what they need:
the few transcript segments near the span, never the whole transcript (a 3-hour episode has
30,000 words, and creating a clip should cost one small query).
"""

from __future__ import annotations

import struct

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from soundbite.domain import clips as rules
from soundbite.domain.transcript import Segment, Word
from soundbite.errors import InvalidInput
from soundbite.jobs.stages import peaks_key
from soundbite.store.blobs import BlobStorage
from soundbite.store.models import Episode, Transcript, TranscriptSegment

SHARE_ID_BITS = 96  # 17 base62 characters
# transcript read around a span: more than any padding or sentence can reach
CONTEXT_MS = 30_000
ENVELOPE_MARGIN_MS = 2_000  # waveform read either side of a span: the gaps and their context


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


def envelope(
    storage: BlobStorage, media_sha256: str | None, start_ms: int, end_ms: int
) -> rules.Envelope | None:
    """The waveform's peaks around a span, from the peaks stage's file (None until it ran).

    The file is audiowaveform's .dat (a 20-byte header, 4 more in version 2, then min/max
    pairs); only the pixels near the span are turned into numbers.
    """
    if media_sha256 is None or not storage.exists(peaks_key(media_sha256)):
        return None
    data = storage.get_bytes(peaks_key(media_sha256))
    version, flags, rate, per_pixel, length = struct.unpack_from("<iIiiI", data)
    bits = 8 if flags & 1 else 16
    offset = 24 if version == 2 else 20
    step_ms = 1000 * per_pixel / rate
    first = max(0, int((start_ms - ENVELOPE_MARGIN_MS) / step_ms))
    last = min(length, int((end_ms + ENVELOPE_MARGIN_MS) / step_ms) + 1)
    pairs = np.frombuffer(data, dtype="<i1" if bits == 8 else "<i2", offset=offset)
    pairs = pairs[2 * first : 2 * last].reshape(-1, 2).astype(np.float32)
    peaks = np.max(np.abs(pairs), axis=1) / (2 ** (bits - 1))
    return rules.Envelope(round(first * step_ms), round(step_ms), peaks.tolist())


def place(
    s: Session,
    episode: Episode,
    start_ms: int,
    end_ms: int,
    snap: rules.Snap,
    *,
    max_ms: int,
    storage: BlobStorage | None = None,
) -> tuple[rules.Snapped, bool]:
    """Check and snap a span of `episode`: (the snapped span, whether a transcript exists).

    With `storage`, word and sentence edges are then moved into the nearest quiet gap of the
    waveform (``domain.clips.refine_edges``), when the peaks stage has run.
    """
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
    if snap != "none" and storage is not None and snapped.words:
        around = envelope(storage, episode.media_sha256, snapped.start_ms, snapped.end_ms)
        if around is not None:
            snapped = rules.refine_edges(
                snapped, around, episode_ms=episode.duration_ms, max_ms=max_ms
            )
    return snapped, segments is not None
