"""Search every transcript: the one entry point the API, the CLI and the benches use.

A search ranks index units with the database's BM25 (backend.py), then turns each unit into a
hit: which episode, where exactly the matching words are (word-accurate times), a snippet with
them marked, and a clip suggestion of the whole sentences around them. Every word must match
first; when nothing has them all and the query has several clauses, any of them may match,
and the page says so (``matched="any"``), so a long natural-language query still finds
something. When the optional semantic extra is installed and units have embeddings, lexical
and semantic rankings are fused (see semantic.py).

A question ("what did she say about the battery?") is answered by passage instead, by
questions.py: its scaffolding is dropped, the query is expanded from the show's own talk, and
each hit starts at the sentence that answers (``kind="question"``). ``mode`` forces either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from soundbite.domain import access
from soundbite.domain.accounts import Account
from soundbite.search import questions, semantic
from soundbite.search.backend import Filters
from soundbite.search.engines import backend_for
from soundbite.search.planner import rank
from soundbite.search.query import Clause, parse_query, split_speaker
from soundbite.search.snippets import (
    WordMatches,
    find_words,
    marked_words,
    sentence_bounds,
    snippet,
)
from soundbite.search.units import UnitWords, decode
from soundbite.store import access as rows
from soundbite.store.db import Database
from soundbite.store.insight_models import SearchUnit
from soundbite.store.models import Episode, Podcast, Transcript, TranscriptSegment

MAX_LIMIT = 100
Mode = Literal["auto", "keywords", "question"]


@dataclass(frozen=True, slots=True)
class Hit:
    episode_id: int
    episode_title: str
    podcast_id: int
    podcast_title: str
    published_at: datetime | None
    start_ms: int  # the matching words
    end_ms: int
    unit_start_ms: int
    unit_end_ms: int
    clip_start_ms: int  # whole sentences around the match: a clip that starts cleanly
    clip_end_ms: int
    clip_title: str  # the clip's words, shortened: a title to start from
    snippet: str  # HTML: escaped words, matches in <mark>
    score: float
    matches: list[tuple[int, int]]  # every matching word run, (start_ms, end_ms)
    speaker: str | None = None  # who says the matching words, when the transcript names voices


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    total: int
    limit: int
    offset: int
    matched: Literal["all", "any"]
    semantic: bool
    hits: list[Hit]
    kind: Literal["keywords", "question"] = "keywords"
    terms: tuple[str, ...] = ()  # a question: the words it was taken to ask about
    speakers: tuple[str, ...] = ()  # a question: the speakers it names, whose turns come first


def search(
    db: Database,
    text: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
    mode: Mode = "auto",
) -> SearchPage:
    query = parse_query(text)
    limit = max(1, min(limit, MAX_LIMIT))
    filters = filters or Filters()
    if query.speaker is not None:
        filters = replace(filters, speaker=query.speaker)
    # a question is read without its speaker:NAME filter, which stays a filter
    asked = split_speaker(text)[1] if query.speaker is not None else text
    if mode == "question" or (mode == "auto" and questions.is_question(asked)):
        return _answer(db, asked, filters, limit=limit, offset=offset)
    with db.read() as session:
        fused = semantic.fused_search(session, db, query, filters, limit=limit, offset=offset)
        matched: Literal["all", "any"] = "any"
        if fused is not None:
            ranked = fused
        else:
            ranked, matched = rank(
                session,
                backend_for(db),
                query,
                filters,
                limit=limit,
                offset=offset,
                cache_key=db.url,
            )
        hits = load_hits(session, ranked.hits, query.clauses)
    return SearchPage(text, ranked.total, limit, offset, matched, fused is not None, hits)


def _answer(db: Database, text: str, filters: Filters, *, limit: int, offset: int) -> SearchPage:
    with db.read() as session:
        found = questions.answer(
            session, db, backend_for(db), text, filters, limit=limit, offset=offset
        )
        clauses = questions.clauses(found.terms)
        hits = [_answer_hit(session, p, clauses) for p in found.passages]
    return SearchPage(
        text,
        found.total,
        limit,
        offset,
        "any",
        False,  # questions stay lexical (search/questions.py says why)
        [h for h in hits if h is not None],
        "question",
        tuple(found.terms),
        tuple(found.speakers),
    )


def search_for(
    db: Database,
    viewer: Account | None,
    text: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
    mode: Mode = "auto",
) -> SearchPage:
    """``search`` as `viewer` sees the library: one podcast they may read (NotFound if not),
    or every podcast listed for them (``domain/access.py``)."""
    filters = filters or Filters()
    with db.read() as s:
        if filters.podcast_id is not None:
            visibility = rows.podcast_visibility(s, filters.podcast_id)
            missing = f"no podcast {filters.podcast_id}"
            rows.require_read(viewer, filters.podcast_id, visibility, missing)
            allowed = None
        else:
            allowed = rows.podcast_ids(s, access.list_scope(viewer))
    if allowed == ():
        parse_query(text)  # a malformed query is refused the same with nothing to search
        return SearchPage(text, 0, limit, offset, "all", False, [])
    return search(
        db, text, replace(filters, podcast_ids=allowed), limit=limit, offset=offset, mode=mode
    )


def load_hits(
    session: Session, scored: list[tuple[int, float]], clauses: tuple[Clause, ...]
) -> list[Hit]:
    if not scored:
        return []
    ids = [unit_id for unit_id, _ in scored]
    rows = session.execute(
        select(SearchUnit, Episode, Podcast)
        .join(Episode, Episode.id == SearchUnit.episode_id)
        .join(Podcast, Podcast.id == Episode.podcast_id)
        .where(SearchUnit.id.in_(ids))
    ).all()
    by_id = {unit.id: (unit, episode, podcast) for unit, episode, podcast in rows}
    hits = [make_hit(*by_id[i], score, clauses) for i, score in scored if i in by_id]
    return [replace(h, speaker=_speaker_at(session, h.episode_id, h.start_ms)) for h in hits]


def _speaker_at(session: Session, episode_id: int, ms: int) -> str | None:
    """The speaker of the segment holding `ms` (a page has at most MAX_LIMIT hits: one indexed
    lookup each)."""
    return session.scalar(
        select(TranscriptSegment.speaker)
        .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
        .where(Transcript.episode_id == episode_id, TranscriptSegment.start_ms <= ms)
        .order_by(TranscriptSegment.start_ms.desc())
        .limit(1)
    )


def shorten(text: str, limit: int = 80) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def make_hit(
    unit: SearchUnit, episode: Episode, podcast: Podcast, score: float, clauses: tuple[Clause, ...]
) -> Hit:
    words = decode(unit.start_ms, unit.words, unit.times)
    found = find_words(words, clauses)
    if found.cover is None:  # matched the topic context only, or semantically
        first, last = 0, len(words.words) - 1
    else:
        first, last = found.cover
    clip_a, clip_b = sentence_bounds(words, first, last)
    return _hit(
        episode,
        podcast,
        words,
        found,
        at=(first, last),
        unit=(unit.start_ms, unit.end_ms),
        clip=(clip_a, clip_b),
        title=(clip_a, clip_b),
        cover=found.cover,
        score=score,
    )


def _hit(
    episode: Episode,
    podcast: Podcast,
    words: UnitWords,
    found: WordMatches,
    *,
    at: tuple[int, int],
    unit: tuple[int, int],
    clip: tuple[int, int],
    title: tuple[int, int],
    cover: tuple[int, int] | None,
    score: float,
) -> Hit:
    """A hit at words `at` (word indices) of a unit spanning `unit` (ms); `clip` and `title`
    are the word ranges its clip covers and its title quotes."""
    return Hit(
        episode_id=episode.id,
        episode_title=episode.title,
        podcast_id=podcast.id,
        podcast_title=podcast.title,
        published_at=episode.published_at,
        start_ms=words.starts[at[0]],
        end_ms=words.ends[at[1]],
        unit_start_ms=unit[0],
        unit_end_ms=unit[1],
        clip_start_ms=words.starts[clip[0]],
        clip_end_ms=words.ends[clip[1]],
        clip_title=shorten(" ".join(words.words[title[0] : title[1] + 1]).replace("\u00a0", " ")),
        snippet=snippet(words, marked_words(found), cover),
        score=round(score, 4),
        matches=[(words.starts[a], words.ends[b]) for a, b, _ in found.occurrences],
    )


def _answer_hit(
    session: Session, passage: questions.Passage, clauses: tuple[Clause, ...]
) -> Hit | None:
    """A passage as a hit: it starts at the answering sentence, the passage is its unit span
    and its clip."""
    row = session.execute(
        select(Episode, Podcast)
        .join(Podcast, Podcast.id == Episode.podcast_id)
        .where(Episode.id == passage.episode_id)
    ).first()
    if row is None:
        return None
    episode, podcast = row
    words = passage.words
    found = find_words(words, clauses)
    first, last = passage.best
    end = len(words.words) - 1
    return _hit(
        episode,
        podcast,
        words,
        found,
        at=(first, last),
        unit=(words.starts[0], words.ends[end]),
        clip=(0, end),
        title=(first, last),
        cover=(first, last),
        score=passage.score,
    )
