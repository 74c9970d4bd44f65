"""Episodes: listing, details with pipeline progress, and queueing processing on request.

Uploading a new episode lives in ``uploads.py``; its transcript and waveform in
``transcripts.py`` and ``peaks.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from soundbite.services import episodes
from soundbite.services.schemas import EpisodeDetail, EpisodePage
from soundbite.web.deps import CurrentUser, LibraryReader, SoundbiteDep

router = APIRouter(tags=["episodes"])


@router.get("/episodes", response_model=EpisodePage)
def list_episodes(
    sb: SoundbiteDep,
    _reader: LibraryReader,
    podcast_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EpisodePage:
    """Newest first, with each episode's processing status."""
    return episodes.list_episodes(sb, podcast_id=podcast_id, limit=limit, offset=offset)


@router.get("/episodes/{episode_id}", response_model=EpisodeDetail)
def get_episode(episode_id: int, sb: SoundbiteDep, _reader: LibraryReader) -> EpisodeDetail:
    """Everything about one episode: metadata, media and transcript links, pipeline stages."""
    return episodes.get_episode(sb, episode_id)


@router.post("/episodes/{episode_id}/process", response_model=EpisodeDetail, status_code=202)
def process_episode(episode_id: int, sb: SoundbiteDep, user: CurrentUser) -> EpisodeDetail:
    """Queue the pipeline for an episode that has not been processed (older feed episodes
    are listed but not downloaded until asked). To run a stage again, retry its job."""
    episodes.process_episode(sb, user, episode_id)
    return episodes.get_episode(sb, episode_id)
