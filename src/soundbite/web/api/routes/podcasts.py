"""Podcasts and their feeds, and the admin's controls: visibility and creators.

Adding and refreshing a feed fetch it within the request (a feed is small and the user wants
to see its episodes at once); downloading and processing episodes is queued. The routes
are plain ``def``, so FastAPI runs them in its thread pool and a slow feed server holds up
one thread, not the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from soundbite.services import access, details, episodes, library
from soundbite.services.accounts import Account
from soundbite.services.library import FeedResult
from soundbite.services.schemas import FeedAdded, FeedCreate, PodcastPublic, PodcastUpdate
from soundbite.web.api.params import RowIdPath, links_to
from soundbite.web.deps import CurrentUser, SoundbiteDep, Viewer

UserNamePath = Annotated[str, Path(min_length=1, max_length=64)]

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
def list_podcasts(sb: SoundbiteDep, viewer: Viewer) -> list[PodcastPublic]:
    """The podcasts listed for the caller: public ones for everyone, private ones for
    signed-in accounts, unlisted ones for their creators and admins only."""
    return episodes.list_podcasts(sb, viewer)


@router.get("/podcasts/{podcast_id}", response_model=PodcastPublic)
def get_podcast(podcast_id: RowIdPath, sb: SoundbiteDep, viewer: Viewer) -> PodcastPublic:
    """A public or unlisted podcast for anyone; a private one for signed-in accounts (404
    to anyone else, as for a podcast that does not exist)."""
    return episodes.get_podcast(sb, viewer, podcast_id)


@router.patch("/podcasts/{podcast_id}", response_model=PodcastPublic)
def update_podcast(
    podcast_id: RowIdPath, body: PodcastUpdate, sb: SoundbiteDep, user: CurrentUser
) -> PodcastPublic:
    """Change who may see the podcast (`visibility`: admins only) or its title and description
    (admins and its creators; kept when the feed is read again)."""
    # every check before any change: a refused field must not leave the others half applied
    changes = details.validated(body.model_dump(exclude_none=True, exclude={"visibility"}))
    access.editable_podcast(sb, user, podcast_id)
    if body.visibility is not None:
        access.set_visibility(sb, user, podcast_id, body.visibility)
    if changes:
        details.edit_podcast(sb, user, podcast_id, changes)
    return episodes.get_podcast(sb, user, podcast_id)


@router.get("/podcasts/{podcast_id}/creators", response_model=list[str])
def list_creators(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> list[str]:
    """The user names of the podcast's creators (for admins and those creators)."""
    access.editable_podcast(sb, user, podcast_id)
    return access.creators_of(sb, podcast_id)


@router.put("/podcasts/{podcast_id}/creators/{username}", status_code=204)
def add_creator(
    podcast_id: RowIdPath, username: UserNamePath, sb: SoundbiteDep, user: CurrentUser
) -> Response:
    """Make an account a creator of the podcast (admins only): it may then edit the podcast
    and its episodes and see its analytics."""
    access.set_creator(sb, user, podcast_id, username, on=True)
    return Response(status_code=204)


@router.delete("/podcasts/{podcast_id}/creators/{username}", status_code=204)
def remove_creator(
    podcast_id: RowIdPath, username: UserNamePath, sb: SoundbiteDep, user: CurrentUser
) -> Response:
    """Stop an account being a creator of the podcast (admins only)."""
    access.set_creator(sb, user, podcast_id, username, on=False)
    return Response(status_code=204)


def _added(sb: SoundbiteDep, user: Account, result: FeedResult) -> FeedAdded:
    return FeedAdded(
        podcast=episodes.get_podcast(sb, user, result.podcast_id),
        new_episode_ids=result.new_episode_ids,
        queued_episode_ids=result.queued_episode_ids,
        not_modified=result.not_modified,
    )


@router.post(
    "/feeds", response_model=FeedAdded, status_code=201, responses={201: {"links": FEED_LINKS}}
)
def add_feed(body: FeedCreate, sb: SoundbiteDep, user: CurrentUser) -> FeedAdded:
    """Subscribe to a podcast feed (or refresh it, if already added); admins only. The
    newest episodes are queued for download and processing; older ones wait for
    POST /api/episodes/{id}/process."""
    result = library.add_feed(sb, user, body.url.strip())
    return _added(sb, user, result)


@router.post(
    "/podcasts/{podcast_id}/refresh",
    response_model=FeedAdded,
    responses={200: {"links": FEED_LINKS}},
)
def refresh_podcast(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> FeedAdded:
    """Poll the feed again: conditional GET, and only episodes not seen before are added."""
    return _added(sb, user, library.refresh_podcast(sb, user, podcast_id))
