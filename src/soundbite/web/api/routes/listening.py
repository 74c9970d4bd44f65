"""A listener's own listening: progress synced across their browsers, history, subscriptions
and settings. Every route acts on the caller's rows only (``services/listening.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from soundbite.services import listening
from soundbite.web.api.listener_schemas import (
    HistoryPage,
    ListenerSettingsPublic,
    ListenerSettingsUpdate,
    ProgressPublic,
    ProgressUpdate,
    SubscribedPublic,
    SubscriptionPublic,
)
from soundbite.web.api.params import Offset, RowIdPath
from soundbite.web.deps import CurrentUser, SoundbiteDep

router = APIRouter(tags=["listening"])


@router.get("/episodes/{episode_id}/progress", response_model=ProgressPublic)
def get_progress(episode_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> ProgressPublic:
    """Where you stopped in this episode (on any of your browsers); 0 if never played."""
    return ProgressPublic.model_validate(listening.get_progress(sb, user, episode_id))


@router.put("/episodes/{episode_id}/progress", response_model=ProgressPublic)
def put_progress(
    episode_id: RowIdPath, body: ProgressUpdate, sb: SoundbiteDep, user: CurrentUser
) -> ProgressPublic:
    """The player's report (every ~15 s while playing, on pause and on leaving the page).
    The episode joins your history."""
    stored = listening.record_progress(sb, user, episode_id, body.position_ms, ended=body.ended)
    return ProgressPublic.model_validate(stored)


@router.get("/history", response_model=HistoryPage)
def history(
    sb: SoundbiteDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> HistoryPage:
    """Episodes you played, the most recent first, each with where you are in it."""
    items, total = listening.list_history(sb, user, limit=limit, offset=offset)
    return HistoryPage(items=items, total=total, limit=limit, offset=offset)


@router.delete("/history/{episode_id}", status_code=204)
def forget(episode_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> Response:
    """Remove an episode from your history (its position is forgotten too)."""
    listening.forget_episode(sb, user, episode_id)
    return Response(status_code=204)


@router.delete("/history", status_code=204)
def clear(sb: SoundbiteDep, user: CurrentUser) -> Response:
    listening.clear_history(sb, user)
    return Response(status_code=204)


@router.get("/subscriptions", response_model=list[SubscriptionPublic])
def subscriptions(sb: SoundbiteDep, user: CurrentUser) -> list[SubscriptionPublic]:
    return [SubscriptionPublic.model_validate(x) for x in listening.list_subscriptions(sb, user)]


@router.get("/podcasts/{podcast_id}/subscription", response_model=SubscribedPublic)
def subscription(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> SubscribedPublic:
    return SubscribedPublic(
        podcast_id=podcast_id, subscribed=listening.is_subscribed(sb, user, podcast_id)
    )


@router.put("/podcasts/{podcast_id}/subscription", response_model=SubscribedPublic)
def subscribe(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> SubscribedPublic:
    """Subscribe (again is harmless)."""
    listening.subscribe(sb, user, podcast_id)
    return SubscribedPublic(podcast_id=podcast_id, subscribed=True)


@router.delete("/podcasts/{podcast_id}/subscription", response_model=SubscribedPublic)
def unsubscribe(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> SubscribedPublic:
    listening.unsubscribe(sb, user, podcast_id)
    return SubscribedPublic(podcast_id=podcast_id, subscribed=False)


@router.get("/account/listening", response_model=ListenerSettingsPublic)
def get_settings(sb: SoundbiteDep, user: CurrentUser) -> ListenerSettingsPublic:
    return ListenerSettingsPublic.model_validate(listening.get_prefs(sb, user))


@router.patch("/account/listening", response_model=ListenerSettingsPublic)
def set_settings(
    body: ListenerSettingsUpdate, sb: SoundbiteDep, user: CurrentUser
) -> ListenerSettingsPublic:
    """How long a Mark is (5-120 s)."""
    prefs = listening.set_prefs(sb, user, mark_seconds=body.mark_seconds)
    return ListenerSettingsPublic.model_validate(prefs)
