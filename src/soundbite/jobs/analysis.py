"""The ``analyze`` and ``index`` pipeline stages: read the transcript, run the pure insight and
search code, replace the episode's rows in one transaction.

Idempotent by construction: each run deletes the episode's previous rows and writes new ones
in a single transaction, so running twice leaves one set. Every row points at the transcript
it came from (see store/insight_models.py); if the transcript is replaced while a stage runs,
the stage notices inside its write transaction and starts over on the new transcript, and a
replacement that lands after the write cascades the rows away (the queue re-runs both stages
after a re-transcription, since they come later in the pipeline).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from soundbite.analytics import queries as analytics
from soundbite.clips.service import fill_clip_texts
from soundbite.context import Context
from soundbite.derived import load_peaks
from soundbite.domain.progress import ProgressFn
from soundbite.domain.transcript import Transcript
from soundbite.errors import Conflict, InvalidInput
from soundbite.insight.analyze import Analysis, analyze
from soundbite.insight.audio import Loudness, loudness_from_peaks
from soundbite.insight.highlights import ReplayCurve
from soundbite.insight.llm import LLMWriter, llm_options
from soundbite.insight.sentences import split_sentences, timed_words, word_speakers
from soundbite.search import semantic
from soundbite.search.units import Unit, build_units
from soundbite.store.db import get_or_not_found
from soundbite.store.insight_models import (
    EpisodeChapter,
    EpisodeHighlight,
    EpisodeSummaryText,
    EpisodeTopic,
    SearchUnit,
)
from soundbite.store.models import Episode
from soundbite.store.models import Transcript as TranscriptRow
from soundbite.store.transcripts import load_transcript

log = logging.getLogger(__name__)

ATTEMPTS = 3
T = TypeVar("T")


def _transcript_id(s: Session, episode_id: int) -> int | None:
    return s.scalar(select(TranscriptRow.id).where(TranscriptRow.episode_id == episode_id))


def _read(app: Context, episode_id: int) -> tuple[int, Transcript, Episode]:
    with app.db.read() as s:
        episode = get_or_not_found(s, Episode, episode_id, "episode")
        transcript_id = _transcript_id(s, episode_id)
        transcript = load_transcript(s, episode_id)
    if transcript_id is None or transcript is None:
        raise InvalidInput(f"episode {episode_id} has no transcript yet")
    return transcript_id, transcript, episode


def _replace(
    app: Context,
    episode_id: int,
    compute: Callable[[int, Transcript, Episode], T],
    write: Callable[[Session, int, T], None],
) -> T:
    """Compute from the current transcript, then write, unless it changed meanwhile."""
    for _ in range(ATTEMPTS):
        transcript_id, transcript, episode = _read(app, episode_id)
        result = compute(transcript_id, transcript, episode)
        with app.db.write() as s:
            if _transcript_id(s, episode_id) != transcript_id:
                log.info("episode %s: transcript replaced while working; again", episode_id)
                continue
            write(s, transcript_id, result)
            return result
    raise Conflict(f"the transcript of episode {episode_id} keeps changing; try again later")


def _loudness(app: Context, episode: Episode) -> Loudness | None:
    """Loudness from the stored peaks, when the peaks stage has drawn them."""
    if not episode.media_sha256:
        return None
    try:
        peaks = load_peaks(app.storage, episode.media_sha256)
    except ValueError as exc:  # a damaged blob costs us the energy feature, not the stage
        log.warning("episode %s: peaks unreadable (%s); no loudness", episode.id, exc)
        return None
    return loudness_from_peaks(peaks) if peaks is not None else None


REPLAY_DAYS = 365  # the listening curves a highlight suggestion learns from


def _replays(app: Context, episode_id: int) -> ReplayCurve | None:
    """The episode's "most replayed" curve over the last year, if listeners made one (the
    analytics rollup queues this stage again when they do)."""
    today = datetime.now(UTC).date()
    days = analytics.DayRange(today - timedelta(days=REPLAY_DAYS - 1), today)
    curve = analytics.curve(app, episode_id, days)
    counts = [p.replays for p in curve.points]
    heard = [p.listeners for p in curve.points]
    return ReplayCurve(curve.bucket_ms, counts, heard) if any(counts) else None


def run_analyze(app: Context, episode_id: int, progress: ProgressFn) -> str:
    """Chapters, topics (titles, keywords) and highlight suggestions."""
    fill_clip_texts(app, episode_id)  # clips made before the transcript get its words
    replays = _replays(app, episode_id)

    options = llm_options(app.settings)

    def compute(_tid: int, transcript: Transcript, episode: Episode) -> Analysis:
        if options is None:
            return analyze(transcript, _loudness(app, episode), progress=progress, replays=replays)
        with LLMWriter(options) as writer:
            found = analyze(
                transcript,
                _loudness(app, episode),
                progress=progress,
                replays=replays,
                writer=writer,
            )
        log.info(
            "episode %s: %d LLM calls in %.1f s%s",
            episode_id,
            writer.calls,
            writer.seconds,
            " (the endpoint failed; lexical texts used)" if writer.down else "",
        )
        return found

    def write(s: Session, transcript_id: int, result: Analysis) -> None:
        s.execute(delete(EpisodeChapter).where(EpisodeChapter.episode_id == episode_id))
        s.execute(delete(EpisodeTopic).where(EpisodeTopic.episode_id == episode_id))
        s.execute(delete(EpisodeHighlight).where(EpisodeHighlight.episode_id == episode_id))
        s.execute(delete(EpisodeSummaryText).where(EpisodeSummaryText.episode_id == episode_id))
        common = {"episode_id": episode_id, "transcript_id": transcript_id}
        if result.summary:
            s.add(EpisodeSummaryText(**common, text=result.summary, source=result.summary_source))
        s.add_all(
            EpisodeChapter(
                **common,
                position=i,
                start_ms=c.start_ms,
                end_ms=c.end_ms if c.end_ms is not None else c.start_ms,
                title=c.title,
            )
            for i, c in enumerate(result.chapters)
        )
        s.add_all(
            EpisodeTopic(
                **common,
                position=i,
                start_ms=t.start_ms,
                end_ms=t.end_ms,
                title=t.title,
                keywords=list(t.keywords),
            )
            for i, t in enumerate(result.topics)
        )
        s.add_all(
            EpisodeHighlight(
                **common,
                rank=h.rank,
                start_ms=h.start_ms,
                end_ms=h.end_ms,
                score=h.score,
                reason=h.reason,
                title=h.title,
                text=h.text,
            )
            for h in result.highlights
        )

    result = _replace(app, episode_id, compute, write)
    return (
        f"{len(result.chapters)} chapters, {len(result.topics)} topics,"
        f" {len(result.highlights)} highlights"
    )


def _units(app: Context, transcript_id: int, transcript: Transcript) -> list[Unit]:
    words = timed_words(transcript)
    sentences = split_sentences(words, speakers=word_speakers(transcript))
    with app.db.read() as s:
        topics = s.scalars(
            select(EpisodeTopic)
            .where(EpisodeTopic.transcript_id == transcript_id)
            .order_by(EpisodeTopic.position)
        ).all()
    starts_ms = [s.start_ms for s in sentences]
    starts = [bisect.bisect_left(starts_ms, t.start_ms) for t in topics]
    contexts = [" ".join([t.title, *t.keywords]) for t in topics]
    return build_units(words, sentences, starts, contexts)


def run_index(app: Context, episode_id: int, progress: ProgressFn) -> str:
    """Search units (and their vectors, when the semantic extra is installed)."""
    vectors: list[bytes] = []

    def compute(transcript_id: int, transcript: Transcript, _episode: Episode) -> list[Unit]:
        progress(10, "cutting the transcript into search units")
        units = _units(app, transcript_id, transcript)
        if semantic.installed() and units:
            progress(40, f"embedding {len(units)} units")
            vectors[:] = semantic.encode([u.words.replace("\u00a0", " ") for u in units])
        progress(80, "writing the index")
        return units

    def write(s: Session, transcript_id: int, units: list[Unit]) -> None:
        s.execute(delete(SearchUnit).where(SearchUnit.episode_id == episode_id))
        rows = [
            SearchUnit(
                episode_id=episode_id,
                transcript_id=transcript_id,
                position=u.position,
                start_ms=u.start_ms,
                end_ms=u.end_ms,
                words=u.words,
                times=u.times,
                terms=u.terms,
                context=u.context,
                n_terms=u.n_terms,
                n_context=u.n_context,
            )
            for u in units
        ]
        s.add_all(rows)
        if vectors:
            s.flush()
            semantic.store_vectors(s, rows, vectors)

    units = _replace(app, episode_id, compute, write)
    return f"{len(units)} search units" + (", with vectors" if vectors else "")
