"""A clip's files: rendered audio (``/c/{id}/audio.mp3|m4a``), card, artwork and captions.

Audio is rendered on first request (``clips/renders.py``) and served with HTTP Range, a strong
ETag (the render key's digest) and, when the URL carries the current ``?v=``, a year of public
caching (private clips: the browser's cache only). While this process is still encoding an
MP3, every request is answered at once from the growing file, with the final Content-Length
and the same ETag and caching as the stored file, because the bytes are the same: a range is
sent as its bytes are written. An M4A (its index is written last, then moved first) and a
render running in another process are waited for, on the event loop, without holding a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from soundbite.clips import cards, service, videos
from soundbite.clips.export import captions_vtt
from soundbite.clips.links import audio_version, card_version, clip_links, render_job
from soundbite.clips.renders import Flight
from soundbite.media.frames import Aspect, VideoStyle, Visual
from soundbite.media.render import Format
from soundbite.services.abuse import RenderSlot
from soundbite.web.deps import OptionalAuth, SoundbiteDep, client_ip, public_base
from soundbite.web.headers import cache_control, content_disposition, download_name
from soundbite.web.ranges import ranged_response

router = APIRouter(include_in_schema=False)


def _caching(view: service.ClipView, pinned: bool) -> str:
    return cache_control(public=view.visibility != "private", immutable=pinned)


@router.api_route("/c/{share_id}/audio.{fmt}", methods=["GET", "HEAD"])
async def clip_audio(
    share_id: str,
    fmt: Format,
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    v: str | None = None,
) -> Response:
    """The clip's audio; rendered on first request, then cached for good."""
    viewer = auth.account if auth else None
    view = await run_in_threadpool(service.get_clip, sb, share_id, viewer)
    job = render_job(view, sb.settings, fmt)
    version = audio_version(view, sb.settings, fmt)
    cache = sb.renders
    key = job.key
    headers = {
        "Cache-Control": _caching(view, v == version),
        "Content-Disposition": content_disposition(
            download_name(view.title, fmt, "clip"), attachment=False
        ),
        "X-Content-Type-Options": "nosniff",
    }

    def stored(start: int, end: int) -> Iterator[bytes]:
        return sb.storage.iter_range(key, start, end)

    slot = None
    if cache.known_size(job) is None and await run_in_threadpool(cache.stored_size, job) is None:
        # this request starts (or joins) a render: it counts against the viewer's cap
        slot = sb.limits.render_slot_for(viewer, client_ip(request))
    try:
        flight = await run_in_threadpool(cache.start, job)  # may ask storage (S3: a HEAD)
    except BaseException:
        if slot is not None:
            slot.release()
        raise
    if slot is not None:
        _release_when_done(flight, slot)
    if flight is not None:
        # an MP3 this process is encoding: its size is known before its first byte, and
        # its bytes are those of the stored file to come, so any range can be answered now
        announced = await flight.planned_size() if fmt == "mp3" else None
        if announced is not None:
            return ranged_response(
                request,
                size=announced,
                etag=version,
                media_type=job.profile.media_type,
                read=lambda start, end: flight.read(start, end, stored),
                headers=headers,
            )
        await flight.wait_async()
    size = cache.known_size(job) or await run_in_threadpool(cache.stored_size, job)
    return ranged_response(
        request,
        size=size if size is not None else sb.storage.size(key),
        etag=version,
        media_type=job.profile.media_type,
        read=stored,
        headers=headers,
    )


@router.api_route("/c/{share_id}/video-{aspect}.mp4", methods=["GET", "HEAD"])
async def clip_video(
    share_id: str,
    aspect: Aspect,
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    captions: bool = True,
    visual: Visual = "waveform",
    v: str | None = None,
    download: bool = False,
) -> Response:
    """The clip as an MP4 for social networks; rendered on first request (the share dialog
    starts it earlier, through the API), then cached for good."""
    viewer = auth.account if auth else None
    base = public_base(request, sb.settings)
    style = VideoStyle(aspect=aspect, captions=captions, visual=visual)

    def look_up() -> tuple[service.ClipView, videos.VideoStatus]:
        # one trip to the thread pool: a cached video's request is these few queries
        view = service.get_clip(sb, share_id, viewer)
        share = clip_links(base, view, sb.settings).share
        return view, videos.start_video(sb, sb.renders, view, style, share)

    view, status = await run_in_threadpool(look_up)
    job = status.job
    flight = sb.renders.flight(job)
    if flight is not None:
        await flight.wait_async()
    size = sb.renders.known_size(job) or await run_in_threadpool(sb.renders.stored_size, job)
    version = status.path.rsplit("v=", 1)[-1]
    name = download_name(view.title, "mp4", "clip")
    headers = {
        "Cache-Control": _caching(view, v == version),
        "Content-Disposition": content_disposition(name, attachment=download),
        "X-Content-Type-Options": "nosniff",
    }
    return ranged_response(
        request,
        size=size if size is not None else sb.storage.size(job.key),
        etag=version,
        media_type="video/mp4",
        read=lambda start, end: sb.storage.iter_range(job.key, start, end),
        headers=headers,
    )


def _release_when_done(flight: Flight | None, slot: RenderSlot) -> None:
    if flight is None:  # stored meanwhile
        slot.release()
        return

    async def release() -> None:
        try:
            await flight.wait_async()
        except Exception:  # a failed render frees its slot too; the request reports it
            pass
        finally:
            slot.release()

    task = asyncio.get_running_loop().create_task(release())
    _releases.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_releases.discard)


_releases: set[asyncio.Task[None]] = set()


@router.get("/c/{share_id}/card.png")
def clip_card(
    share_id: str, sb: SoundbiteDep, auth: OptionalAuth, v: str | None = None
) -> Response:
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    headers = {"Cache-Control": _caching(view, v == card_version(view))}
    return Response(cards.card(sb, view), media_type="image/png", headers=headers)


@router.get("/c/{share_id}/artwork.jpg")
def clip_artwork(
    share_id: str, sb: SoundbiteDep, auth: OptionalAuth, v: str | None = None
) -> Response:
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    headers = {"Cache-Control": _caching(view, v == card_version(view))}
    return Response(cards.artwork(sb, view), media_type="image/jpeg", headers=headers)


@router.get("/c/{share_id}/captions.vtt")
def clip_captions(
    share_id: str, sb: SoundbiteDep, auth: OptionalAuth, download: bool = False
) -> Response:
    """WebVTT of the clip's words, times counted from the clip's start."""
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    name = download_name(view.title, "vtt", "clip")
    headers = {
        "Cache-Control": _caching(view, False),
        "Content-Disposition": content_disposition(name, attachment=download),
    }
    return Response(captions_vtt(sb, view), media_type="text/vtt; charset=utf-8", headers=headers)
