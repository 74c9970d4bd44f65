"""Save and load transcripts: rows in, domain dataclasses out."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from soundbite.domain import transcript as domain
from soundbite.store.models import Transcript, TranscriptSegment, TranscriptWord


def save_transcript(
    session: Session, episode_id: int, transcript: domain.Transcript, media_sha256: str | None
) -> None:
    """Replace the episode's transcript. Inside the caller's transaction, so there is never
    a moment with none, nor one with two."""
    start_transcript(
        session,
        episode_id,
        language=transcript.language,
        source=transcript.source,
        media_sha256=media_sha256,
        complete=transcript.complete,
    )
    append_segments(session, episode_id, transcript.segments)


def start_transcript(
    session: Session,
    episode_id: int,
    *,
    language: str | None,
    source: str,
    media_sha256: str | None,
    complete: bool = False,
) -> None:
    """Replace the episode's transcript with an empty one that `append_segments` fills."""
    session.execute(delete(Transcript).where(Transcript.episode_id == episode_id))
    session.flush()
    session.add(
        Transcript(
            episode_id=episode_id,
            language=language,
            source=source,
            media_sha256=media_sha256,
            complete=complete,
        )
    )
    session.flush()


def append_segments(
    session: Session,
    episode_id: int,
    segments: Sequence[domain.Segment],
    *,
    language: str | None = None,
    complete: bool | None = None,
) -> None:
    """Add segments after the transcript's last one (a chunk of a transcript being made).

    `language` fills in one not known when the transcript was started; `complete` marks it whole.
    """
    row = session.scalars(select(Transcript).where(Transcript.episode_id == episode_id)).one()
    first = session.scalar(
        select(func.coalesce(func.max(TranscriptSegment.position) + 1, 0)).where(
            TranscriptSegment.transcript_id == row.id
        )
    )
    for i, seg in enumerate(segments, start=first or 0):
        seg_row = TranscriptSegment(
            transcript_id=row.id,
            position=i,
            start_ms=seg.start_ms,
            end_ms=seg.end_ms,
            text=seg.text,
            speaker=seg.speaker,
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
        session.add(seg_row)
    if language and not row.language:
        row.language = language
    if complete is not None:
        row.complete = complete


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
        complete=row.complete,
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


def has_complete_transcript(session: Session, episode_id: int) -> bool:
    return bool(
        session.scalars(
            select(Transcript.complete).where(Transcript.episode_id == episode_id)
        ).first()
    )


def speakers_in(s: Session, episode_id: int) -> list[str]:
    """The episode's speakers, in the order they first speak."""
    rows = s.execute(
        select(TranscriptSegment.speaker)
        .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
        .where(Transcript.episode_id == episode_id, TranscriptSegment.speaker.is_not(None))
        .order_by(TranscriptSegment.position)
    ).scalars()
    return list(dict.fromkeys(str(r) for r in rows))
