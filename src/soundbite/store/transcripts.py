"""Save and load transcripts: rows in, domain dataclasses out."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from soundbite.domain import transcript as domain
from soundbite.store.models import Transcript, TranscriptSegment, TranscriptWord


def save_transcript(
    session: Session, episode_id: int, transcript: domain.Transcript, media_sha256: str | None
) -> None:
    """Replace the episode's transcript. Inside the caller's transaction, so there is never
    a moment with none, nor one with two."""
    session.execute(delete(Transcript).where(Transcript.episode_id == episode_id))
    session.flush()
    row = Transcript(
        episode_id=episode_id,
        language=transcript.language,
        source=transcript.source,
        media_sha256=media_sha256,
    )
    for i, seg in enumerate(transcript.segments):
        seg_row = TranscriptSegment(
            position=i, start_ms=seg.start_ms, end_ms=seg.end_ms, text=seg.text, speaker=seg.speaker
        )
        seg_row.words = [
            TranscriptWord(
                position=j,
                start_ms=w.start_ms,
                end_ms=w.end_ms,
                text=w.text,
                probability=w.probability,
            )
            for j, w in enumerate(seg.words)
        ]
        row.segments.append(seg_row)
    session.add(row)


def load_transcript(session: Session, episode_id: int) -> domain.Transcript | None:
    row = session.scalars(
        select(Transcript)
        .where(Transcript.episode_id == episode_id)
        .options(selectinload(Transcript.segments).selectinload(TranscriptSegment.words))
    ).first()
    if row is None:
        return None
    return domain.Transcript(
        language=row.language,
        source=row.source,
        segments=tuple(
            domain.Segment(
                start_ms=s.start_ms,
                end_ms=s.end_ms,
                text=s.text,
                speaker=s.speaker,
                words=tuple(
                    domain.Word(w.start_ms, w.end_ms, w.text, w.probability) for w in s.words
                ),
            )
            for s in row.segments
        ),
    )


def transcript_source(session: Session, episode_id: int) -> str | None:
    return session.scalars(
        select(Transcript.source).where(Transcript.episode_id == episode_id)
    ).first()
