"""The library page at ``/``: podcasts, newest episodes and how far their processing got.

A stopgap until the player app (issue 4): small, server-rendered, no script. While anything
is queued or running the page asks the browser to reload itself every few seconds, which is
all the "live progress" a page without JavaScript can have.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from soundbite.web.api import views
from soundbite.web.api.deps import OptionalAuth, SoundbiteDep
from soundbite.web.pages.rendering import render
from soundbite.web.sessions import csrf_token

router = APIRouter(include_in_schema=False)

PAGE_EPISODES = 100
REFRESH_SECONDS = 5
DOWNLOAD_FORMATS = ("vtt", "srt", "txt", "json")


@router.get("/", response_class=HTMLResponse)
def library_page(request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> Response:
    if auth is None and not sb.settings.public_library:
        return RedirectResponse("/login", status_code=303)
    podcasts = views.list_podcasts(sb)
    page = views.list_episodes(sb, podcast_id=None, limit=PAGE_EPISODES, offset=0)
    busy = any(e.status in ("queued", "processing") for e in page.items)
    context = {
        "user": auth.account if auth else None,
        "csrf": csrf_token(auth.session_token) if auth and auth.session_token else None,
        "podcasts": podcasts,
        "podcast_titles": {p.id: p.title for p in podcasts},
        "episodes": page.items,
        "total": page.total,
        "refresh": REFRESH_SECONDS if busy else None,
        "formats": DOWNLOAD_FORMATS,
    }
    return render(request, "library.html", context)
