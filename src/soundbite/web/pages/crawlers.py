"""``/robots.txt`` and ``/sitemap.xml``: what search engines may crawl, and where to start.

The sitemap lists public podcasts and their episodes only: unlisted ones are reachable by
their link and nothing else, and private ones are not there for a visitor at all. Crawlers
are kept out of the API, the app and account pages (which answer a visitor with a sign-in
page anyway); share pages and the public site are theirs.
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from soundbite.domain.public_pages import episode_path, podcast_path
from soundbite.services import public_site
from soundbite.web.deps import SoundbiteDep, public_base

router = APIRouter(include_in_schema=False)

CACHE = {"Cache-Control": "public, max-age=3600"}
# the app's pages and everything behind an account; the public site, /c/ and /embed/ stay open
DISALLOWED = (
    "/api/",
    "/media/",
    "/episodes/",
    "/clips",
    "/search",
    "/analytics",
    "/account",
    "/login",
    "/logout",
    "/setup",
    "/signup",
    "/docs",
)


@router.get("/robots.txt", response_class=PlainTextResponse)
def robots(request: Request, sb: SoundbiteDep) -> Response:
    lines = ["User-agent: *", "Allow: /podcasts", "Allow: /c/"]
    lines += [f"Disallow: {path}" for path in DISALLOWED]
    lines += ["", f"Sitemap: {public_base(request, sb.settings)}/sitemap.xml", ""]
    return PlainTextResponse("\n".join(lines), headers=CACHE)


def _url(loc: str, lastmod: datetime | None) -> str:
    mod = f"<lastmod>{lastmod.date().isoformat()}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{mod}</url>"


@router.get("/sitemap.xml")
def sitemap(request: Request, sb: SoundbiteDep) -> Response:
    base = public_base(request, sb.settings)
    podcasts = public_site.listed_podcasts(sb)
    urls = [
        _url(
            f"{base}/podcasts", max((p.updated_at for p in podcasts if p.updated_at), default=None)
        )
    ]
    urls += [_url(base + podcast_path(p.id, p.title), p.updated_at) for p in podcasts]
    room = public_site.SITEMAP_URLS - len(urls)
    urls += [
        _url(base + episode_path(e.podcast_id, e.id, e.title), e.lastmod)
        for e in public_site.listed_episodes(sb, limit=max(room, 0))
    ]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )
    return Response(body, media_type="application/xml", headers=CACHE)
