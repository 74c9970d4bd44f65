"""What an episode is about: topics, chapters, highlight suggestions and related moments
(the answers are built in ``services/insight.py``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from soundbite.insight.chapters import ChapterSource
from soundbite.services import insight
from soundbite.services.insight import (
    ChaptersPublic,
    HighlightsPublic,
    RelatedPublic,
    TopicsPublic,
)
from soundbite.services.schemas import MAX_MS
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import SoundbiteDep, Viewer

router = APIRouter(tags=["insight"])

JSON_CHAPTERS_TYPE = "application/json+chapters"


@router.get("/episodes/{episode_id}/topics", response_model=TopicsPublic)
def get_topics(episode_id: RowIdPath, sb: SoundbiteDep, viewer: Viewer) -> TopicsPublic:
    """Topical segments of the transcript, with extractive titles and keywords."""
    return insight.topics(sb, viewer, episode_id)


@router.get(
    "/episodes/{episode_id}/chapters",
    response_model=ChaptersPublic,
    responses={200: {"content": {JSON_CHAPTERS_TYPE: {}}}},
)
def get_chapters(
    episode_id: RowIdPath,
    sb: SoundbiteDep,
    viewer: Viewer,
    source: ChapterSource = "auto",
    format: Annotated[
        Literal["json", "chapters"],
        Query(description='"chapters": a Podcasting 2.0 JSON Chapters 1.2.0 document'),
    ] = "json",
) -> Any:
    """Chapters: the publisher's when the feed has them ("auto"), else generated from topics."""
    if format == "chapters":
        doc = insight.chapters_document(sb, viewer, episode_id, source)
        return JSONResponse(doc, media_type=JSON_CHAPTERS_TYPE)
    return insight.chapters(sb, viewer, episode_id, source)


@router.get("/episodes/{episode_id}/highlights", response_model=HighlightsPublic)
def get_highlights(episode_id: RowIdPath, sb: SoundbiteDep, viewer: Viewer) -> HighlightsPublic:
    """Suggested clips, best first, each with the reason it was suggested."""
    return insight.highlights(sb, viewer, episode_id)


@router.get("/episodes/{episode_id}/related", response_model=RelatedPublic)
def get_related(
    episode_id: RowIdPath,
    sb: SoundbiteDep,
    viewer: Viewer,
    start_ms: Annotated[int, Query(ge=0, le=MAX_MS)],
    end_ms: Annotated[int, Query(gt=0, le=MAX_MS)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> RelatedPublic:
    """Moments like this span (a clip's), in this episode and in others."""
    return insight.related_moments(sb, viewer, episode_id, start_ms, end_ms, limit=limit)
