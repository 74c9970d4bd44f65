"""Rendering server-side pages, and the checks every page form shares.

Jinja2 autoescapes ``.html`` templates, so feed and transcript text is shown as text, never
markup. The headers keep the pages to our own origin: scripts, styles and form targets from
elsewhere are refused, and no page can be framed or leak a setup link to another site through
Referer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from soundbite.errors import Forbidden
from soundbite.settings import Settings

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: data:; media-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    # not "no-referrer": with it Chromium sends `Origin: null` on our own form posts, which
    # check_same_origin must refuse; "same-origin" still keeps setup links from other sites
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=PAGE_HEADERS
    )


def check_same_origin(request: Request, settings: Settings) -> None:
    """Refuse a form post that a browser says came from another site.

    Page forms that act before there is a session (login, setup) cannot carry a
    session-bound CSRF token; the Origin header, which browsers set on cross-site posts and
    pages cannot forge, closes that gap. Clients that send no Origin are not browsers acting
    for someone else, so they pass.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return
    ours = {request.headers.get("host", ""), urlsplit(settings.base_url).netloc}
    if urlsplit(origin).netloc not in ours:
        raise Forbidden("this form was sent from another site")
