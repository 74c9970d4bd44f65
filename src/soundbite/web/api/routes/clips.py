"""Clips over JSON: create (one round trip, no render wait), read, change, delete, list, stats,
events and the ``<podcast:soundbite>`` export.

Reading a public or unlisted clip needs no account (its share page is public anyway); a private
one is 404 to everyone but its owner. Listing public clips is a library read (open when the
library is public, else signed in); ``mine=true`` lists your own, whatever their visibility.
The audio, card and pages live outside ``/api`` (``web/pages/share.py``, ``clip_media.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from soundbite.clips import events, service, videos
from soundbite.clips.export import soundbites_xml
from soundbite.clips.links import clip_links, render_job
from soundbite.errors import Forbidden
from soundbite.media.frames import Aspect, VideoStyle, Visual
from soundbite.services import signals
from soundbite.services.schemas import MAX_ROW_ID
from soundbite.web.api.clip_schemas import (
    ClipCreate,
    ClipEventCounted,
    ClipEventCreate,
    ClipPagePublic,
    ClipPublic,
    ClipSpanPublic,
    ClipStatsPublic,
    ClipUpdate,
    Snap,
    Source,
    VideoPublic,
    VideoRequest,
    Visibility,
    clip_public,
)
from soundbite.web.api.params import Offset, RowIdQuery, SpanMsQuery, links_to
from soundbite.web.counting import count_clip
from soundbite.web.deps import (
    CurrentUser,
    OptionalAuth,
    OptionalWriter,
    SoundbiteDep,
    Viewer,
    client_ip,
    public_base,
)

router = APIRouter(tags=["clips"])

# what can follow a call that answers a clip: FastAPI's operationIds of the routes below
CLIP_LINKS = links_to(
    "share_id",
    "$response.body#/id",
    {
        "GetClip": "get_clip_api_clips__share_id__get",
        "UpdateClip": "update_clip_api_clips__share_id__patch",
        "DeleteClip": "delete_clip_api_clips__share_id__delete",
        "ClipStats": "clip_stats_api_clips__share_id__stats_get",
        "RecordClipEvent": "record_event_api_clips__share_id__events_post",
    },
)


@router.post(
    "/clips", response_model=ClipPublic, status_code=201, responses={201: {"links": CLIP_LINKS}}
)
def create_clip(
    body: ClipCreate, request: Request, sb: SoundbiteDep, user: CurrentUser
) -> ClipPublic:
    """Make a clip: its span is checked and snapped at once and the share link is live.

    The audio is rendered on first request (and, with `clip_prerender`, started right now in
    the background, or on a worker's `render` queue in the scale-out mode): this call never
    waits for it.
    """
    sb.limits.create_clip(user, client_ip(request))
    view = service.create_clip(sb, user, **body.model_dump())
    signals.note_clip(sb, user, view.id, view.episode_id, made=True)  # "For you"
    if sb.settings.clip_prerender and view.media_sha256:
        sb.dispatcher.prerender(render_job(view, sb.settings, "mp3"))
    return clip_public(view, public_base(request, sb.settings), sb.settings)


@router.get("/clips", response_model=ClipPagePublic)
def list_clips(
    request: Request,
    sb: SoundbiteDep,
    viewer: Viewer,
    episode_id: RowIdQuery = None,
    podcast_id: RowIdQuery = None,
    mine: bool = False,
    visibility: Visibility | None = None,
    source: Source | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> ClipPagePublic:
    """Newest first. Unlisted and private clips are listed only with `mine=true`. With
    `episode_id` or `podcast_id`, that episode's or podcast's clips only."""
    page = service.list_clips(
        sb,
        viewer,
        episode_id=episode_id,
        podcast_id=podcast_id,
        mine=mine,
        visibility=visibility,
        source=source,
        limit=limit,
        offset=offset,
    )
    base = public_base(request, sb.settings)
    items = [clip_public(v, base, sb.settings) for v in page.items]
    return ClipPagePublic(items=items, total=page.total, limit=limit, offset=offset)


@router.get(
    "/clips/soundbites",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/xml": {}}}},
)
def export_soundbites(
    sb: SoundbiteDep,
    auth: OptionalAuth,
    id: Annotated[list[str], Query(min_length=1, max_length=200, description="Share ids")],
) -> Response:
    """`<podcast:soundbite>` elements for the chosen clips, grouped by episode, to paste into
    your own feed."""
    viewer = auth.account if auth else None
    views = [service.get_clip(sb, share_id, viewer) for share_id in dict.fromkeys(id)]
    return Response(soundbites_xml(sb, views), media_type="application/xml")


@router.get("/clips/span", response_model=ClipSpanPublic)
def clip_span(
    sb: SoundbiteDep,
    user: CurrentUser,
    episode_id: Annotated[int, Query(ge=1, le=MAX_ROW_ID)],
    start_ms: SpanMsQuery,
    end_ms: SpanMsQuery,
    snap: Snap = "word",
) -> ClipSpanPublic:
    """The span `POST /api/clips` would give these edges, without making a clip: whole words,
    and edges moved to the nearest pause. The clip editor previews this span."""
    snapped, transcribed = service.place_span(
        sb, user, episode_id=episode_id, start_ms=start_ms, end_ms=end_ms, snap=snap
    )
    return ClipSpanPublic(
        start_ms=snapped.start_ms,
        end_ms=snapped.end_ms,
        text=snapped.text if transcribed else None,
        moved=(snapped.start_ms, snapped.end_ms) != (start_ms, end_ms),
    )


@router.get("/clips/{share_id}", response_model=ClipPublic, responses={200: {"links": CLIP_LINKS}})
def get_clip(share_id: str, request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> ClipPublic:
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    return clip_public(view, public_base(request, sb.settings), sb.settings)


@router.patch(
    "/clips/{share_id}", response_model=ClipPublic, responses={200: {"links": CLIP_LINKS}}
)
def update_clip(
    share_id: str,
    body: ClipUpdate,
    request: Request,
    sb: SoundbiteDep,
    user: CurrentUser,
) -> ClipPublic:
    view = service.update_clip(sb, share_id, user, body.model_dump(exclude_unset=True))
    sb.pages.forget(share_id)
    return clip_public(view, public_base(request, sb.settings), sb.settings)


@router.delete("/clips/{share_id}", status_code=204)
def delete_clip(share_id: str, sb: SoundbiteDep, user: CurrentUser) -> Response:
    service.delete_clip(sb, share_id, user)
    sb.pages.forget(share_id)
    return Response(status_code=204)


@router.post("/clips/{share_id}/videos", response_model=VideoPublic)
def clip_video(
    share_id: str, body: VideoRequest, request: Request, sb: SoundbiteDep, auth: OptionalWriter
) -> VideoPublic:
    """Start rendering the clip as a video (if it is not rendered yet) and say how far it is:
    call again to follow its progress; the same style is rendered once."""
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    base = public_base(request, sb.settings)
    page = clip_links(base, view, sb.settings).share
    style = VideoStyle(aspect=body.aspect, captions=body.captions, visual=body.visual)
    status = videos.start_video(sb, sb.renders, view, style, page)
    captions = status.note is None and body.captions
    return VideoPublic(
        state=status.state,  # type: ignore[arg-type]
        progress=round(status.progress, 3),
        url=f"{page}/{status.path}",
        width=status.width,
        height=status.height,
        captions=captions,
        note=status.note,
    )


@router.get(
    "/clips/{share_id}/video/preview.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "One frame, 540 px wide"}},
)
def clip_video_preview(
    share_id: str,
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    aspect: Aspect = "9x16",
    captions: bool = True,
    visual: Visual = "waveform",
) -> Response:
    """One frame of the clip's video in this style, as it will be rendered (the podcast's
    brand, the words, the sound at that moment), 540 px wide: the share dialog's preview.
    Made once per style and kept."""
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    page = clip_links(public_base(request, sb.settings), view, sb.settings).share
    style = VideoStyle(aspect=aspect, captions=captions, visual=visual)
    png = videos.preview(sb, view, style, page)
    # short-lived: the URL names no version, and a new brand changes the picture
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=60"})


@router.get("/clips/{share_id}/stats", response_model=ClipStatsPublic)
def clip_stats(share_id: str, sb: SoundbiteDep, user: CurrentUser) -> ClipStatsPublic:
    """Plays (unique listeners per day), shares by channel and click-throughs."""
    view = service.get_clip(sb, share_id, user)
    if not service.can_edit(user, view):
        raise Forbidden("only the clip's owner can see its numbers")
    return ClipStatsPublic.model_validate(events.stats(sb, view.id), from_attributes=True)


@router.post("/clips/{share_id}/events", response_model=ClipEventCounted, status_code=202)
def record_event(
    share_id: str, body: ClipEventCreate, request: Request, sb: SoundbiteDep, auth: OptionalAuth
) -> ClipEventCounted:
    """A beacon from a player or share page: `played` on the first press of play, `shared`
    with the channel picked, `clickthrough` on opening the full episode. Anyone may send it;
    each listener counts once per clip, kind (and channel) and day."""
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    counted = events.record(
        sb,
        view.id,
        body.kind,
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
        channel=body.channel or "",
    )
    if body.kind == "played" and auth is not None:  # "For you": signed-in listeners only
        signals.note_clip(sb, auth.account, view.id, view.episode_id, made=False)
    if body.kind == "shared":  # plays and click-throughs reach analytics by their own paths
        count_clip(
            sb,
            request,
            "share",
            clip_id=view.id,
            episode_id=view.episode_id,
            podcast_id=view.podcast_id,
            channel=body.channel or "",
        )
    return ClipEventCounted(counted=counted)
