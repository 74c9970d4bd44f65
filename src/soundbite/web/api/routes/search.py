"""Search every transcript: ``GET /api/search?q=…``.

Each hit carries the times of the matching words, an HTML snippet (escaped words; the only
tags are the ``<mark>`` around matches) and a clip suggestion that ``POST /api/clips`` takes
as it is (``source: "suggested"``), so a hit becomes a clip in one action. Queries are
sanitised, never passed to the database as syntax: a malformed one finds nothing or is
refused with 422 and a message, never a 500.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from soundbite.search.backend import Filters
from soundbite.search.service import MAX_LIMIT, Hit, Mode, search_for
from soundbite.services import signals
from soundbite.services.insight import ClipSuggestion
from soundbite.services.schemas import Timestamp
from soundbite.web.api.params import RowIdQuery
from soundbite.web.deps import SoundbiteDep, Viewer

router = APIRouter(tags=["search"])


class EpisodeRef(BaseModel):
    id: int
    title: str
    podcast_id: int
    podcast_title: str
    published_at: Timestamp | None


class Span(BaseModel):
    start_ms: int
    end_ms: int


class SearchHit(BaseModel):
    episode: EpisodeRef
    start_ms: int = Field(description="Start of the first matching word.")
    end_ms: int = Field(description="End of the last matching word.")
    unit_start_ms: int = Field(description="The ~30 s of speech the hit was found in.")
    unit_end_ms: int
    snippet: str = Field(description="HTML: escaped transcript words, matches in <mark>.")
    score: float = Field(description="BM25 (higher is better), or a fused rank score.")
    matches: list[Span] = Field(description="Every run of matching words in the unit.")
    speaker: str | None = Field(
        None, description="Who says the matching words, when the transcript names speakers."
    )
    clip: ClipSuggestion


class SearchResults(BaseModel):
    query: str
    total: int
    limit: int
    offset: int
    matched: Literal["all", "any"] = Field(
        description='"all": every word matched; "any": no unit had all, so any word counts.'
    )
    semantic: bool = Field(description="Semantic matching was fused in (extra installed).")
    kind: Literal["keywords", "question"] = Field(
        description='"question": answered by passage; each hit starts at the sentence that'
        " answers, and unit_start_ms..unit_end_ms is the passage."
    )
    terms: list[str] = Field(description="For a question: the words it was taken to ask about.")
    speakers: list[str] = Field(
        description="For a question: the speakers it names; passages where they talk come first."
    )
    items: list[SearchHit]


def hit_public(hit: Hit) -> SearchHit:
    return SearchHit(
        episode=EpisodeRef(
            id=hit.episode_id,
            title=hit.episode_title,
            podcast_id=hit.podcast_id,
            podcast_title=hit.podcast_title,
            published_at=hit.published_at,
        ),
        start_ms=hit.start_ms,
        end_ms=hit.end_ms,
        unit_start_ms=hit.unit_start_ms,
        unit_end_ms=hit.unit_end_ms,
        snippet=hit.snippet,
        score=hit.score,
        matches=[Span(start_ms=a, end_ms=b) for a, b in hit.matches],
        speaker=hit.speaker,
        clip=ClipSuggestion(
            episode_id=hit.episode_id,
            start_ms=hit.clip_start_ms,
            end_ms=hit.clip_end_ms,
            title=hit.clip_title,
        ),
    )


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Dates from the query string as the first and last instant of those days, in UTC."""
    lo = datetime.combine(start, time.min, UTC) if start else None
    hi = datetime.combine(end, time.max, UTC) if end else None
    return lo, hi


@router.get("/search", response_model=SearchResults)
def search_transcripts(
    sb: SoundbiteDep,
    viewer: Viewer,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description='Words (all must match), "quoted phrases", prefixes (pod*), and '
            'speaker:NAME (or speaker:"First Last") for the moments one speaker talks in.',
        ),
    ],
    podcast_id: RowIdQuery = None,
    published_from: Annotated[date | None, Query(alias="from")] = None,
    published_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    mode: Annotated[
        Mode,
        Query(description='"auto" answers a question ("what did … say about …?") by passage.'),
    ] = "auto",
) -> SearchResults:
    """Ranked moments of every transcript, with word-accurate times and marked snippets."""
    lo, hi = day_bounds(published_from, published_to)
    page = search_for(
        sb.db,
        viewer,
        q,
        Filters(podcast_id=podcast_id, published_from=lo, published_to=hi),
        limit=limit,
        offset=offset,
        mode=mode,
    )
    if offset == 0:  # one search, not one per page of it ("For you"; nothing while paused)
        signals.note_search(sb, viewer, q)  # after search: a refused query is no signal
    return SearchResults(
        query=page.query,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        matched=page.matched,
        semantic=page.semantic,
        kind=page.kind,
        terms=list(page.terms),
        speakers=list(page.speakers),
        items=[hit_public(h) for h in page.hits],
    )
