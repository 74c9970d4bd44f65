"""Podcasts and their feeds.

Adding and refreshing a feed fetch it within the request (a feed is small and the user wants
to see its episodes at once); downloading and processing episodes is queued. The routes
are plain ``def``, so FastAPI runs them in its thread pool and a slow feed server holds up
one thread, not the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter

from soundbite.services import episodes, library
from soundbite.services.library import FeedResult, add_feed_url
from soundbite.services.schemas import FeedAdded, FeedCreate, PodcastPublic
from soundbite.web.api.params import RowIdPath, links_to
from soundbite.web.deps import CurrentUser, LibraryReader, SoundbiteDep

router = APIRouter(tags=["podcasts"])

# what can follow adding or refreshing a feed: FastAPI's operationIds of the routes below
FEED_LINKS = links_to(
    "podcast_id",
    "$response.body#/podcast/id",
    {
        "GetPodcast": "get_podcast_api_podcasts__podcast_id__get",
        "RefreshPodcast": "refresh_podcast_api_podcasts__podcast_id__refresh_post",
        "ListPodcastEpisodes": "list_episodes_api_episodes_get",
    },
)


@router.get("/podcasts", response_model=list[PodcastPublic])
def list_podcasts(sb: SoundbiteDep, _reader: LibraryReader) -> list[PodcastPublic]:
    return episodes.list_podcasts(sb)


@router.get("/podcasts/{podcast_id}", response_model=PodcastPublic)
def get_podcast(podcast_id: RowIdPath, sb: SoundbiteDep, _reader: LibraryReader) -> PodcastPublic:
    return episodes.get_podcast(sb, podcast_id)


def _added(sb: SoundbiteDep, result: FeedResult) -> FeedAdded:
    return FeedAdded(
        podcast=episodes.get_podcast(sb, result.podcast_id),
        new_episode_ids=result.new_episode_ids,
        queued_episode_ids=result.queued_episode_ids,
        not_modified=result.not_modified,
    )


@router.post(
    "/feeds", response_model=FeedAdded, status_code=201, responses={201: {"links": FEED_LINKS}}
)
def add_feed(body: FeedCreate, sb: SoundbiteDep, user: CurrentUser) -> FeedAdded:
    """Subscribe to a podcast feed (or refresh it, if already added). The newest episodes are
    queued for download and processing; older ones wait for POST /api/episodes/{id}/process."""
    result = add_feed_url(sb, body.url.strip(), user.id)
    return _added(sb, result)


@router.post(
    "/podcasts/{podcast_id}/refresh",
    response_model=FeedAdded,
    responses={200: {"links": FEED_LINKS}},
)
def refresh_podcast(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> FeedAdded:
    """Poll the feed again: conditional GET, and only episodes not seen before are added."""
    return _added(sb, library.refresh_podcast(sb, user, podcast_id))
