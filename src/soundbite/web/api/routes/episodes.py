"""Episodes: listing, details with pipeline progress, and queueing processing on request.

Uploading a new episode lives in ``uploads.py``; its transcript and waveform in
``transcripts.py`` and ``peaks.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import StringConstraints

from soundbite.services import details, episodes, speakers
from soundbite.services.schemas import EpisodeDetail, EpisodePage, EpisodeUpdate, SpeakersPublic
from soundbite.web.api.params import Offset, RowIdPath, RowIdQuery, links_to
from soundbite.web.deps import CurrentUser, SoundbiteDep, Viewer

router = APIRouter(tags=["episodes"])

# what can follow a call that answers an episode (its upload, or reading it): FastAPI's
# operationIds of the routes that take its id
EPISODE_LINKS: dict[str, Any] = {
    **links_to(
        "episode_id",
        "$response.body#/id",
        {
            "GetEpisode": "get_episode_api_episodes__episode_id__get",
            "ProcessEpisode": "process_episode_api_episodes__episode_id__process_post",
            "GetTranscript": "get_transcript_api_episodes__episode_id__transcript_get",
            "GetPeaks": "get_peaks_api_episodes__episode_id__peaks_get",
            "GetTopics": "get_topics_api_episodes__episode_id__topics_get",
            "GetChapters": "get_chapters_api_episodes__episode_id__chapters_get",
            "GetHighlights": "get_highlights_api_episodes__episode_id__highlights_get",
            "GetRelated": "get_related_api_episodes__episode_id__related_get",
            "ListEpisodeClips": "list_clips_api_clips_get",
            "ListEpisodeJobs": "list_jobs_api_jobs_get",
        },
    ),
    **links_to(
        "podcast_id",
        "$response.body#/podcast_id",
        {"GetPodcast": "get_podcast_api_podcasts__podcast_id__get"},
    ),
    "ClipEpisode": {
        "operationId": "create_clip_api_clips_post",
        "requestBody": {"episode_id": "$response.body#/id"},
    },
}


@router.get("/episodes", response_model=EpisodePage)
def list_episodes(
    sb: SoundbiteDep,
    viewer: Viewer,
    podcast_id: RowIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> EpisodePage:
    """Newest first, with each episode's processing status."""
    return episodes.list_episodes(sb, viewer, podcast_id=podcast_id, limit=limit, offset=offset)


@router.get(
    "/episodes/{episode_id}",
    response_model=EpisodeDetail,
    responses={200: {"links": EPISODE_LINKS}},
)
def get_episode(episode_id: RowIdPath, sb: SoundbiteDep, viewer: Viewer) -> EpisodeDetail:
    """Everything about one episode: metadata, media and transcript links, pipeline stages."""
    return episodes.get_episode(sb, viewer, episode_id)


@router.patch("/episodes/{episode_id}", response_model=EpisodeDetail)
def update_episode(
    episode_id: RowIdPath, body: EpisodeUpdate, sb: SoundbiteDep, user: CurrentUser
) -> EpisodeDetail:
    """Change the episode's title or description (admins and its podcast's creators); a
    changed field is kept when the feed is read again."""
    details.edit_episode(sb, user, episode_id, body.model_dump(exclude_none=True))
    return episodes.get_episode(sb, user, episode_id)


@router.post("/episodes/{episode_id}/process", response_model=EpisodeDetail, status_code=202)
def process_episode(episode_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> EpisodeDetail:
    """Queue the pipeline for an episode that has not been processed (older feed episodes
    are listed but not downloaded until asked). To run a stage again, retry its job."""
    episodes.process_episode(sb, user, episode_id)
    return episodes.get_episode(sb, user, episode_id)


# lengths are checked again, with a message, after whitespace is tidied (services/speakers.py)
SpeakerName = Annotated[str, StringConstraints(max_length=1000)]
SpeakerNames = Annotated[
    dict[SpeakerName, SpeakerName],
    Body(
        description="Current name to new name, for any of the episode's speakers",
        examples=[{"Speaker 1": "Ada Lovelace", "Speaker 2": "Charles Babbage"}],
    ),
]


@router.put("/episodes/{episode_id}/speakers", response_model=SpeakersPublic)
def rename_speakers(
    episode_id: RowIdPath, names: SpeakerNames, sb: SoundbiteDep, user: CurrentUser
) -> SpeakersPublic:
    """Name the episode's speakers ("Speaker 1" -> "Ada") in its transcript, its clips' text
    and search. Admins and the podcast's creators only."""
    return SpeakersPublic(speakers=speakers.rename_speakers(sb, user, episode_id, names))
