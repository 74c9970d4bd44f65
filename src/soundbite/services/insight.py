"""What an episode is about: topics, chapters, highlight suggestions and related moments.

Before the analyze stage has run these answer with empty lists and ``status`` saying where
the stage is ("queued", "running", "failed", "not queued"), so the episode page can show
chapters as soon as they exist without treating "not yet" as an error.

A highlight carries a ready clip suggestion (episode, span, title, ``source: "suggested"``):
"clip this" on the episode page posts it to ``POST /api/clips`` unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from soundbite.context import Context
from soundbite.domain import access as rules
from soundbite.domain.accounts import Account
from soundbite.domain.pipeline import ANALYZE
from soundbite.insight.chapters import (
    ChapterSource,
    choose,
    generated_chapters,
    json_chapters,
    publisher_chapters,
)
from soundbite.search.related import related
from soundbite.search.service import Hit
from soundbite.services import access
from soundbite.services.episodes import episode_row
from soundbite.store.access import podcast_ids
from soundbite.store.insight_models import EpisodeChapter, EpisodeHighlight, EpisodeTopic
from soundbite.store.models import Job


class ClipSuggestion(BaseModel):
    """The body for POST /api/clips that makes this suggestion a clip."""

    episode_id: int
    start_ms: int
    end_ms: int
    title: str
    source: Literal["suggested"] = "suggested"


class TopicPublic(BaseModel):
    start_ms: int
    end_ms: int
    title: str = Field(description="At most 40 characters, taken from what was said.")
    keywords: list[str]


class TopicsPublic(BaseModel):
    episode_id: int
    status: str = Field(description='State of the analyze stage: "done", "queued", ...')
    topics: list[TopicPublic]


class ChapterPublic(BaseModel):
    start_ms: int
    end_ms: int | None
    title: str
    img: str | None = None
    url: str | None = None
    toc: bool = True


class ChaptersPublic(BaseModel):
    episode_id: int
    source: Literal["publisher", "generated"]
    available: list[Literal["publisher", "generated"]]
    chapters: list[ChapterPublic]


class HighlightPublic(BaseModel):
    rank: int
    start_ms: int
    end_ms: int
    score: float = Field(description="0..1")
    reason: str = Field(
        examples=["A claim: \u201cThe number one best practice is to use formatting.\u201d"]
    )
    title: str
    text: str
    clip: ClipSuggestion


class HighlightsPublic(BaseModel):
    episode_id: int
    status: str
    highlights: list[HighlightPublic]


class MomentPublic(BaseModel):
    episode_id: int
    episode_title: str
    podcast_id: int
    podcast_title: str
    start_ms: int
    end_ms: int
    snippet: str = Field(description="HTML: escaped words, shared terms in <mark>.")
    score: float
    clip: ClipSuggestion


class RelatedPublic(BaseModel):
    episode_id: int
    start_ms: int
    end_ms: int
    terms: list[str] = Field(description="The words that made the moments related.")
    same_episode: list[MomentPublic]
    other_episodes: list[MomentPublic]


def _status(ctx: Context, episode_id: int) -> str:
    with ctx.db.read() as s:
        state = s.scalar(
            select(Job.state).where(Job.episode_id == episode_id, Job.stage == ANALYZE)
        )
    return state or "not queued"


def _topic_rows(ctx: Context, episode_id: int) -> list[dict[str, Any]]:
    with ctx.db.read() as s:
        rows = s.scalars(
            select(EpisodeTopic)
            .where(EpisodeTopic.episode_id == episode_id)
            .order_by(EpisodeTopic.position)
        )
        return [
            {"start_ms": t.start_ms, "end_ms": t.end_ms, "title": t.title, "keywords": t.keywords}
            for t in rows
        ]


def _chapter_rows(ctx: Context, episode_id: int) -> list[dict[str, Any]]:
    with ctx.db.read() as s:
        rows = s.scalars(
            select(EpisodeChapter)
            .where(EpisodeChapter.episode_id == episode_id)
            .order_by(EpisodeChapter.position)
        )
        return [{"start_ms": c.start_ms, "end_ms": c.end_ms, "title": c.title} for c in rows]


Viewer = Account | None


def topics(ctx: Context, viewer: Viewer, episode_id: int) -> TopicsPublic:
    access.readable_episode(ctx, viewer, episode_id)
    found = [TopicPublic.model_validate(t) for t in _topic_rows(ctx, episode_id)]
    return TopicsPublic(episode_id=episode_id, status=_status(ctx, episode_id), topics=found)


def _chapters(ctx: Context, episode_id: int, source: ChapterSource) -> tuple[Any, ...]:
    episode = episode_row(ctx, episode_id)
    publisher = publisher_chapters(episode.chapters)
    generated = generated_chapters(_chapter_rows(ctx, episode_id))
    used, chosen = choose(source, publisher, generated)
    available = [name for name, c in (("publisher", publisher), ("generated", generated)) if c]
    return episode.title, used, available, chosen


def chapters(
    ctx: Context, viewer: Viewer, episode_id: int, source: ChapterSource
) -> ChaptersPublic:
    """The publisher's chapters when the feed has them ("auto"), else generated ones."""
    access.readable_episode(ctx, viewer, episode_id)
    _, used, available, chosen = _chapters(ctx, episode_id, source)
    return ChaptersPublic(
        episode_id=episode_id,
        source=used,
        available=available,
        chapters=[ChapterPublic.model_validate(c.to_json()) for c in chosen],
    )


def chapters_document(
    ctx: Context, viewer: Viewer, episode_id: int, source: ChapterSource
) -> dict[str, Any]:
    """The same chapters as a Podcasting 2.0 JSON Chapters 1.2.0 document."""
    access.readable_episode(ctx, viewer, episode_id)
    title, _, _, chosen = _chapters(ctx, episode_id, source)
    return json_chapters(chosen, title=title)


def highlights(ctx: Context, viewer: Viewer, episode_id: int) -> HighlightsPublic:
    """Suggested clips, best first, each with the reason it was suggested."""
    access.readable_episode(ctx, viewer, episode_id)
    with ctx.db.read() as s:
        rows = s.scalars(
            select(EpisodeHighlight)
            .where(EpisodeHighlight.episode_id == episode_id)
            .order_by(EpisodeHighlight.rank)
        ).all()
    found = [
        HighlightPublic(
            rank=h.rank,
            start_ms=h.start_ms,
            end_ms=h.end_ms,
            score=h.score,
            reason=h.reason,
            title=h.title,
            text=h.text,
            clip=ClipSuggestion(
                episode_id=episode_id, start_ms=h.start_ms, end_ms=h.end_ms, title=h.title
            ),
        )
        for h in rows
    ]
    return HighlightsPublic(
        episode_id=episode_id, status=_status(ctx, episode_id), highlights=found
    )


def _moment(hit: Hit) -> MomentPublic:
    return MomentPublic(
        episode_id=hit.episode_id,
        episode_title=hit.episode_title,
        podcast_id=hit.podcast_id,
        podcast_title=hit.podcast_title,
        start_ms=hit.unit_start_ms,
        end_ms=hit.unit_end_ms,
        snippet=hit.snippet,
        score=hit.score,
        clip=ClipSuggestion(
            episode_id=hit.episode_id,
            start_ms=hit.unit_start_ms,
            end_ms=hit.unit_end_ms,
            title=hit.clip_title,
        ),
    )


def related_moments(
    ctx: Context, viewer: Viewer, episode_id: int, start_ms: int, end_ms: int, *, limit: int
) -> RelatedPublic:
    """Moments like this span (a clip's), in this episode and in others listed for
    `viewer`."""
    access.readable_episode(ctx, viewer, episode_id)
    with ctx.db.read() as s:
        allowed = podcast_ids(s, rules.list_scope(viewer))
    found = related(ctx.db, episode_id, start_ms, end_ms, limit=limit, podcast_ids=allowed)
    return RelatedPublic(
        episode_id=episode_id,
        start_ms=start_ms,
        end_ms=end_ms,
        terms=found.terms,
        same_episode=[_moment(h) for h in found.same_episode],
        other_episodes=[_moment(h) for h in found.other_episodes],
    )
