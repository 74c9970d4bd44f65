"""The public site: ``/podcasts`` (index), a podcast's page and an episode's page.

Server-rendered for visitors without an account or JavaScript, and for crawlers: artwork,
show notes, a native ``<audio controls>`` player, chapters and the transcript as text (each
time a link to ``?t=``), the episode's public clips, schema.org JSON-LD, Open Graph tags.
``share.js`` only adds conveniences (a chapter or transcript link seeks without a reload).

Which podcasts appear is decided in ``services/public_site.py``. A private podcast is a 404
for a visitor, the same page as one that never existed; a signed-in member is sent to the
app's own view of it. Unlisted pages carry ``noindex``. Slugs are decoration: a wrong one is
redirected (301) to the canonical URL, keeping ``?t=``.

``?t=SECONDS`` (also ``1m30s``, ``1:30``) starts the player there: as a media fragment
(``#t=90``) on the audio's URL, which browsers honour without any script, and as
``data-start`` for ``share.js`` to set ``currentTime`` in those that do not.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from soundbite.bootstrap import Soundbite
from soundbite.clips import service as clips
from soundbite.domain.clips import clock
from soundbite.domain.public_pages import episode_path, parse_start, podcast_path
from soundbite.errors import NotFound
from soundbite.services import insight, public_site
from soundbite.services.public_site import PublicEpisode, PublicPodcast
from soundbite.web import media
from soundbite.web.counting import count_media
from soundbite.web.deps import OptionalAuth, SoundbiteDep, public_base
from soundbite.web.pages.feed_html import plain_text, safe_html
from soundbite.web.pages.json_ld import episode_ld, podcast_ld, script_block
from soundbite.web.pages.rendering import PAGE_HEADERS, TEMPLATES

router = APIRouter(include_in_schema=False)

EPISODES_PER_PAGE = 50
CLIPS_SHOWN = 20
DESCRIPTION_CHARS = 300


def _headers(podcast: PublicPodcast, media_origin: str | None = None) -> dict[str, str]:
    headers = {**PAGE_HEADERS, "Cache-Control": "public, max-age=60"}
    csp = headers["Content-Security-Policy"].replace(
        "img-src 'self' https:", "img-src 'self' https: http:"
    )
    if media_origin:  # a feed episode we have not downloaded plays from the publisher's server
        csp = csp.replace("media-src 'self'", f"media-src 'self' {media_origin}")
    headers["Content-Security-Policy"] = csp
    if not public_site.listed_publicly(podcast.visibility):
        headers["X-Robots-Tag"] = "noindex"  # unlisted: reachable by link, never indexed
    return headers


def not_found(request: Request) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, "public_missing.html", {}, status_code=404, headers=PAGE_HEADERS
    )


def _web_url(url: str | None) -> str | None:
    """Links from feeds go into href and src: only http(s), never javascript: or data:."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _with_query(path: str, request: Request, keep: tuple[str, ...] = ("t", "page")) -> str:
    query = {k: v for k, v in request.query_params.items() if k in keep}
    return f"{path}?{urlencode(query)}" if query else path


@router.get("/podcasts", response_class=HTMLResponse)
def index(request: Request, sb: SoundbiteDep) -> Response:
    podcasts = public_site.listed_podcasts(sb)
    base = public_base(request, sb.settings)
    context = {
        "podcasts": [
            (p, podcast_path(p.id, p.title), plain_text(p.description, 200)) for p in podcasts
        ],
        "canonical": f"{base}/podcasts",
    }
    headers = {**PAGE_HEADERS, "Cache-Control": "public, max-age=60"}
    return TEMPLATES.TemplateResponse(request, "public_index.html", context, headers=headers)


@router.get("/podcasts/{podcast_id:int}-{slug}", response_class=HTMLResponse)
def podcast_page(
    podcast_id: int,
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    try:
        podcast = public_site.find_podcast(sb, podcast_id, auth.account if auth else None)
    except NotFound:
        return not_found(request)
    if not podcast.on_public_site:  # private, asked by a member: the app shows it
        return RedirectResponse(f"/podcasts/{podcast.id}", status_code=303)
    path = podcast_path(podcast.id, podcast.title)
    if request.url.path != path:
        return RedirectResponse(_with_query(path, request), status_code=301)
    offset = (page - 1) * EPISODES_PER_PAGE
    episodes = public_site.episodes_of(sb, podcast.id, limit=EPISODES_PER_PAGE, offset=offset)
    base = public_base(request, sb.settings)
    items = [(e, episode_path(podcast.id, e.id, e.title)) for e in episodes]
    description = plain_text(podcast.description, DESCRIPTION_CHARS)
    context = {
        "podcast": podcast,
        "episodes": items,
        "clock": clock,
        "notes": safe_html(podcast.description),
        "description": description or f"Episodes of {podcast.title}",
        "canonical": base + path + (f"?page={page}" if page > 1 else ""),
        "artwork": _web_url(podcast.artwork_url),
        "link": _web_url(podcast.link),
        "listed": public_site.listed_publicly(podcast.visibility),
        "newer": f"{path}?page={page - 1}" if page > 1 else None,
        "older": f"{path}?page={page + 1}" if offset + len(items) < podcast.episode_count else None,
        "json_ld": script_block(podcast_ld(podcast, base + path, description, items, base)),
    }
    return TEMPLATES.TemplateResponse(
        request, "public_podcast.html", context, headers=_headers(podcast)
    )


@router.get("/podcasts/{podcast_id:int}/episodes/{episode_id:int}", response_class=HTMLResponse)
@router.get(
    "/podcasts/{podcast_id:int}/episodes/{episode_id:int}-{slug}", response_class=HTMLResponse
)
def episode_page(
    podcast_id: int,
    episode_id: int,
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    t: str | None = None,
) -> Response:
    try:
        podcast, episode = public_site.find_episode(
            sb, podcast_id, episode_id, auth.account if auth else None
        )
    except NotFound:
        return not_found(request)
    start_ms = parse_start(t, episode.duration_ms)
    if not podcast.on_public_site:
        at = f"?t={start_ms / 1000:g}" if start_ms else ""
        return RedirectResponse(f"/episodes/{episode.id}{at}", status_code=303)
    path = episode_path(podcast.id, episode.id, episode.title)
    if request.url.path != path:
        return RedirectResponse(_with_query(path, request, ("t",)), status_code=301)
    base = public_base(request, sb.settings)
    audio, media_origin = _audio(episode)
    return TEMPLATES.TemplateResponse(
        request,
        "public_episode.html",
        _episode_context(sb, base, path, podcast, episode, audio, start_ms),
        headers=_headers(podcast, media_origin),
    )


def _audio(episode: PublicEpisode) -> tuple[str | None, str | None]:
    """Where the player gets the audio: our stored copy, else the feed's own enclosure."""
    if episode.media_sha256:
        # the hash in the URL names the bytes, so the answer may be cached for good
        audio = f"/podcasts/{episode.podcast_id}/episodes/{episode.id}/audio"
        return f"{audio}?v={episode.media_sha256[:16]}", None
    enclosure = _web_url(episode.enclosure_url)
    if enclosure is None:
        return None, None
    return enclosure, "{0.scheme}://{0.netloc}".format(urlsplit(enclosure))


def _episode_context(
    sb: Soundbite,
    base: str,
    path: str,
    podcast: PublicPodcast,
    episode: PublicEpisode,
    audio: str | None,
    start_ms: int | None,
) -> dict[str, Any]:
    # the page renders only what anyone may read, so it asks as a visitor would
    chapters = insight.chapters(sb, None, episode.id, "auto").chapters
    episode_clips = clips.episode_clips(sb, episode.id, limit=CLIPS_SHOWN)
    description = plain_text(episode.description, DESCRIPTION_CHARS)
    start_s = f"{start_ms / 1000:g}" if start_ms else None
    absolute_audio = audio if audio is None or audio.startswith("http") else base + audio
    return {
        "podcast": podcast,
        "episode": episode,
        "podcast_url": podcast_path(podcast.id, podcast.title),
        "canonical": base + path,
        "listed": public_site.listed_publicly(podcast.visibility),
        "artwork": _web_url(episode.artwork_url),
        "link": _web_url(episode.link),
        "notes": safe_html(episode.description),
        "description": description or f"An episode of {podcast.title}",
        "audio": f"{audio}#t={start_s}" if audio and start_s else audio,
        "audio_absolute": absolute_audio,
        "start_s": start_s,
        "starts_at": clock(start_ms) if start_ms else None,
        "length": clock(episode.duration_ms) if episode.duration_ms else None,
        "chapters": [(c, f"{c.start_ms / 1000:g}", clock(c.start_ms)) for c in chapters],
        "paragraphs": [
            (p, f"{p.start_ms / 1000:g}", clock(p.start_ms))
            for p in public_site.transcript_paragraphs(sb, episode.id)
        ],
        "clips": [(c, clock(c.start_ms), clock(c.end_ms - c.start_ms)) for c in episode_clips],
        "json_ld": script_block(
            episode_ld(podcast, episode, base, base + path, description, absolute_audio)
        ),
    }


@router.api_route(
    "/podcasts/{podcast_id:int}/episodes/{episode_id:int}/audio", methods=["GET", "HEAD"]
)
def episode_audio(
    podcast_id: int, episode_id: int, request: Request, sb: SoundbiteDep, auth: OptionalAuth
) -> Response:
    """The stored audio of an episode on the public site, with Range like ``/media``."""
    try:
        _, episode = public_site.find_episode(
            sb, podcast_id, episode_id, auth.account if auth else None
        )
    except NotFound:
        return Response("no such episode", status_code=404, media_type="text/plain")
    if episode.media_sha256 is None:
        return Response("this episode's audio is not stored here", status_code=404)
    viewer = auth.account if auth else None
    response = media.media_response(request, sb, viewer, episode.media_sha256)
    count_media(sb, request, episode.media_sha256, response)
    return response
