"""The pages a shared clip is seen through: ``/c/{id}`` (share page), ``/embed/{id}`` (iframe
player), ``/oembed`` and ``/c/{id}/episode`` (the full episode from the clip's start).

They are server-rendered and the same for every visitor (nothing depends on who is signed in),
so public clips' pages may be cached by CDNs for a minute (browsers ask again); private ones
are never stored. Every URL in a meta tag is absolute (``public_base``), since crawlers resolve
nothing.
Text from feeds and transcripts goes through Jinja2's autoescaping, in attributes too.

"Play the full episode" sends whoever may read the episode (signed in, or its podcast is public
or unlisted) to the app's episode page at that second (``/episodes/{id}?t=``); a visitor who is
not signed in goes to the public site's episode page at that second when the podcast is public
or unlisted. For a private podcast a visitor gets a minimal page that plays the feed's own
enclosure (public anyway) from that second and links to the episode's page on the publisher's
site; an upload, which has neither, offers the publisher's page if known and signing in, never
a dead end.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import escape

from soundbite.bootstrap import Soundbite
from soundbite.clips import events, service, videos
from soundbite.clips.links import clip_links
from soundbite.domain.clips import clock
from soundbite.domain.moderation import REASON_LABELS, REPORT_NOTE_MAX_CHARS
from soundbite.errors import Gone, NotFound
from soundbite.services import access, episodes, moderation, public_site
from soundbite.services.accounts import Account
from soundbite.web.counting import count_clip
from soundbite.web.deps import OptionalAuth, SoundbiteDep, public_base
from soundbite.web.pages.rendering import PAGE_HEADERS, TEMPLATES

router = APIRouter(include_in_schema=False)

# A CDN may keep a share page a minute (a burst of shares is many people at once); a browser
# asks again each time, so a clip hidden by a moderator is gone for whoever opens it next
# (a browser's cache, unlike a CDN's, cannot be purged).
PUBLIC_PAGE = "public, max-age=0, s-maxage=60"
EMBED_WIDTH, EMBED_HEIGHT = 500, 166
DESCRIPTION_CHARS = 200
SHARE_TARGETS = (
    ("x", "X", "https://x.com/intent/post?text={title}&url={url}"),
    ("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("linkedin", "LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
    ("reddit", "Reddit", "https://www.reddit.com/submit?url={url}&title={title}"),
    ("whatsapp", "WhatsApp", "https://wa.me/?text={title}%20{url}"),
    ("telegram", "Telegram", "https://t.me/share/url?url={url}&text={title}"),
    ("email", "Email", "mailto:?subject={title}&body={title}%0A%0A{url}"),
)


def _headers(view: service.ClipView, *, embed: bool = False) -> dict[str, str]:
    headers = dict(PAGE_HEADERS)
    headers["Cache-Control"] = PUBLIC_PAGE if view.visibility != "private" else "no-store"
    if embed:  # any site may frame the player; nothing else of ours can be framed
        csp = headers["Content-Security-Policy"].replace(
            "frame-ancestors 'none'", "frame-ancestors *"
        )
        headers["Content-Security-Policy"] = csp
    return headers


def _viewer(auth: OptionalAuth) -> Account | None:
    return auth.account if auth else None


def missing(request: Request) -> HTMLResponse:
    """The 404 page: the same for a clip that never existed and one that is private."""
    return TEMPLATES.TemplateResponse(
        request, "clip_missing.html", {}, status_code=404, headers=PAGE_HEADERS
    )


def removed(request: Request, *, embed: bool = False) -> HTMLResponse:
    """The 410 page of a clip a moderator hid. Not cached here; a CDN may keep it a minute.
    In an embed it may be framed, so the sites that embedded the player say so too."""
    headers = {**PAGE_HEADERS, "Cache-Control": PUBLIC_PAGE}
    if embed:
        csp = headers["Content-Security-Policy"].replace(
            "frame-ancestors 'none'", "frame-ancestors *"
        )
        headers["Content-Security-Policy"] = csp
    return TEMPLATES.TemplateResponse(
        request, "clip_removed.html", {}, status_code=410, headers=headers
    )


def report_context(sb: Soundbite, view: service.ClipView) -> dict[str, Any]:
    """What the report form needs (share page and the report page)."""
    return {
        "report_token": moderation.report_form_token(sb, view.share_id),
        "reasons": list(REASON_LABELS.items()),
        "report_note_max": REPORT_NOTE_MAX_CHARS,
    }


def _context(request: Request, sb: Soundbite, view: service.ClipView) -> dict[str, Any]:
    links = clip_links(public_base(request, sb.settings), view, sb.settings)
    text = view.text or ""
    description = text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1] + "…"
    title = quote(view.title, safe="")
    video = videos.stored_video(sb, sb.renders, view, links.share)
    return {
        "video": video,
        "video_url": f"{links.share}/{video.path}" if video else None,
        "clip": view,
        "links": links,
        "length": clock(view.duration_ms),
        "starts_at": clock(view.start_ms),
        "description": description or f"A clip from {view.episode_title} ({view.podcast_title})",
        "secure": links.share.startswith("https://"),
        "targets": [
            (key, label, tpl.format(title=title, url=quote(tagged(links.share, key), safe="")))
            for key, label, tpl in SHARE_TARGETS
        ],
        "embed_width": EMBED_WIDTH,
        "embed_height": EMBED_HEIGHT,
        "embed_code": _iframe(links.embed, view.title, EMBED_WIDTH, EMBED_HEIGHT),
        **report_context(sb, view),
    }


def tagged(url: str, channel: str) -> str:
    """A share link that says which channel it was shared by (``?ch=x``), so that arrivals
    are attributed to X, WhatsApp, ... (docs/analytics.md)."""
    return f"{url}{'&' if '?' in url else '?'}ch={channel}"


def _iframe(src: str, title: str, width: int | str, height: int) -> str:
    return (
        f'<iframe src="{escape(src)}" width="{width}" height="{height}" frameborder="0" '
        f'loading="lazy" allow="autoplay" title="{escape(title)}"></iframe>'
    )


def _page(
    template: str, share_id: str, request: Request, sb: Soundbite, auth: OptionalAuth
) -> Response:
    key = (template, share_id, public_base(request, sb.settings))
    cached = sb.pages.get(key)
    if cached is not None:
        return HTMLResponse(cached[0], headers=cached[1])
    try:
        view = service.get_clip(sb, share_id, _viewer(auth))
    except NotFound:
        return missing(request)
    except Gone:
        return removed(request, embed=template == "embed.html")
    headers = _headers(view, embed=template == "embed.html")
    response = TEMPLATES.TemplateResponse(
        request, template, _context(request, sb, view), headers=headers
    )
    if view.visibility != "private":
        kept = {k: v for k, v in response.headers.items() if k != "content-length"}
        sb.pages.put(key, bytes(response.body), kept)
    return response


@router.get("/c/{share_id}", response_class=HTMLResponse)
def share_page(share_id: str, request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> Response:
    return _page("share.html", share_id, request, sb, auth)


@router.get("/embed/{share_id}", response_class=HTMLResponse)
def embed_page(share_id: str, request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> Response:
    return _page("embed.html", share_id, request, sb, auth)


@router.get("/oembed")
def oembed(
    request: Request,
    sb: SoundbiteDep,
    url: str,
    format: str = "json",
    maxwidth: Annotated[int | None, Query(ge=1)] = None,
    maxheight: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """oEmbed 1.0 (rich type) for a share or embed URL, as JSON or XML."""
    if format not in ("json", "xml"):
        return JSONResponse({"detail": "format is json or xml"}, status_code=501)
    parts = urlsplit(url).path.rstrip("/").split("/")
    if len(parts) != 3 or parts[1] not in ("c", "embed"):
        raise NotFound("not the URL of a clip on this server")
    view = service.get_clip(sb, parts[2], None)  # never reveals a private clip
    links = clip_links(public_base(request, sb.settings), view, sb.settings)
    width = min(EMBED_WIDTH, maxwidth or EMBED_WIDTH)
    height = min(EMBED_HEIGHT, maxheight or EMBED_HEIGHT)
    body = {
        "type": "rich",
        "version": "1.0",
        "title": view.title,
        "author_name": view.podcast_title,
        "provider_name": "Soundbite",
        "provider_url": public_base(request, sb.settings) + "/",
        "cache_age": 3600,
        "thumbnail_url": links.card,
        "thumbnail_width": 1200,
        "thumbnail_height": 630,
        "html": _iframe(links.embed, view.title, width, height),
        "width": width,
        "height": height,
    }
    headers = {"Cache-Control": "public, max-age=3600"}
    if format == "xml":
        return Response(_oembed_xml(body), media_type="text/xml; charset=utf-8", headers=headers)
    return JSONResponse(body, headers=headers)


def _oembed_xml(body: dict[str, Any]) -> str:
    """The spec's XML form: one element per field, every value escaped as text."""
    fields = "".join(f"<{k}>{xml_escape(str(v))}</{k}>" for k, v in body.items())
    return f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<oembed>{fields}</oembed>\n'


@router.get("/c/{share_id}/episode", response_class=HTMLResponse)
def episode_page(share_id: str, request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> Response:
    """The full episode, playing from the clip's start; opening it counts a click-through."""
    try:
        view = service.get_clip(sb, share_id, _viewer(auth))
    except NotFound:
        return missing(request)
    except Gone:
        return removed(request)
    events.record(
        sb,
        view.id,
        "clickthrough",
        address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )
    count_clip(
        sb,
        request,
        "clickthrough",
        clip_id=view.id,
        episode_id=view.episode_id,
        podcast_id=view.podcast_id,
    )
    start = f"{view.start_ms / 1000:g}"
    viewer = _viewer(auth)
    if viewer is not None and _may_read_episode(sb, viewer, view.episode_id):
        # a signed-in reader gets the app's episode page, playing from that second
        return RedirectResponse(f"/episodes/{view.episode_id}?t={start}", status_code=303)
    public_page = public_site.public_episode_path(sb, view.episode_id)
    if public_page is not None:  # a public or unlisted podcast: its page on the public site,
        # which plays without JavaScript or an account
        return RedirectResponse(f"{public_page}?t={start}", status_code=303)
    episode = episodes.episode_ref(sb, view.episode_id)
    audio = episode.enclosure_url if _is_web_url(episode.enclosure_url) else None
    headers = dict(PAGE_HEADERS)
    if audio:  # the feed's own file: allow that origin's media
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(audio))
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "media-src 'self'", f"media-src 'self' {origin}"
        )
    context = {
        **_context(request, sb, view),
        "episode": episode,
        "audio": f"{audio}#t={view.start_ms / 1000:.3f}" if audio else None,
        "episode_link": episode.link if _is_web_url(episode.link) else None,
        "start_s": view.start_ms / 1000,
        "sign_in": f"/login?next={quote(f'/episodes/{view.episode_id}?t={start}', safe='/')}",
    }
    return TEMPLATES.TemplateResponse(request, "clip_episode.html", context, headers=headers)


def _may_read_episode(sb: Soundbite, viewer: Account | None, episode_id: int) -> bool:
    try:
        access.readable_episode(sb, viewer, episode_id)
    except NotFound:
        return False
    return True


def _is_web_url(url: str | None) -> bool:
    """Links from feeds end up in href and src: only http(s), never javascript: or data:."""
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")
