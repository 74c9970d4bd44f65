"""The "For you" feed, the signals behind it and the switches over it
(``services/for_you.py``, ``services/signals.py``); admins keep podcasts out of it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from soundbite.services import for_you, signals
from soundbite.web.api.for_you_schemas import (
    ExcludedPodcastPublic,
    ForYouPublic,
    PrivacyPublic,
    PrivacyUpdate,
    SignalPage,
)
from soundbite.web.api.params import Offset, RowIdPath
from soundbite.web.deps import CurrentUser, OptionalAuth, SoundbiteDep

router = APIRouter(tags=["for you"])


@router.get("/for-you", response_model=ForYouPublic)
def get_feed(
    sb: SoundbiteDep,
    auth: OptionalAuth,
    budget: Annotated[
        int | None,
        Query(ge=1, le=1440, description="Minutes you have: adds “Fits your next N minutes”."),
    ] = None,
    hour: Annotated[
        int | None,
        Query(ge=0, le=23, description="Your local hour of day (default: the server's)."),
    ] = None,
) -> ForYouPublic:
    """Rows of episodes, highlights and clips, each with the one-line reason it is here and a
    link to the signal that caused it. Signed out or personalisation off: popular and newest."""
    feed = for_you.feed(sb, auth.account if auth else None, budget_minutes=budget, hour=hour)
    return ForYouPublic.model_validate(feed)


@router.get("/for-you/privacy", response_model=PrivacyPublic)
def get_privacy(sb: SoundbiteDep, user: CurrentUser) -> PrivacyPublic:
    return PrivacyPublic.model_validate(signals.get_privacy(sb, user))


@router.put("/for-you/privacy", response_model=PrivacyPublic)
def put_privacy(body: PrivacyUpdate, sb: SoundbiteDep, user: CurrentUser) -> PrivacyPublic:
    """Turn personalisation off (popular and newest only; nothing of yours is used) or pause
    history (nothing new is recorded)."""
    privacy = signals.set_privacy(
        sb, user, personalised=body.personalised, history_paused=body.history_paused
    )
    return PrivacyPublic.model_validate(privacy)


@router.get("/for-you/signals", response_model=SignalPage)
def list_signals(
    sb: SoundbiteDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> SignalPage:
    """What you did that shapes your feed, newest first."""
    items, total = signals.list_signals(sb, user, limit=limit, offset=offset)
    return SignalPage(items=items, total=total, limit=limit, offset=offset)


@router.delete("/for-you/signals/{signal_id}", status_code=204)
def delete_signal(signal_id: str, sb: SoundbiteDep, user: CurrentUser) -> Response:
    """Forget one signal; the feed changes at the next training run."""
    signals.delete_signal(sb, user, signal_id)
    return Response(status_code=204)


@router.get("/for-you/excluded-podcasts", response_model=list[ExcludedPodcastPublic])
def excluded(sb: SoundbiteDep, user: CurrentUser) -> list[ExcludedPodcastPublic]:
    """Admins: podcasts kept out of every feed."""
    return [
        ExcludedPodcastPublic(podcast_id=pid, title=title, excluded_at=at)
        for pid, title, at in for_you.list_excluded(sb, user)
    ]


@router.put("/for-you/excluded-podcasts/{podcast_id}", status_code=204)
def exclude(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> Response:
    """Admins: keep this podcast out of every feed (at once)."""
    for_you.set_excluded(sb, user, podcast_id, excluded=True)
    return Response(status_code=204)


@router.delete("/for-you/excluded-podcasts/{podcast_id}", status_code=204)
def include(podcast_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> Response:
    for_you.set_excluded(sb, user, podcast_id, excluded=False)
    return Response(status_code=204)
