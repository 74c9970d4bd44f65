"""The listener's app (``frontend/``, built into ``static/app/``): one HTML shell for its pages.

The app routes on the client with the History API, so the player keeps playing between
pages; the server answers each of the app's paths with the same shell, so a reload or a
shared link (``/episodes/7?t=83``, from a clip's "play the full episode") opens the right
page. The shell carries the per-request settings the app needs as a JSON block, and a fresh
CSP nonce: wavesurfer.js draws its waveform in a shadow root whose ``<style>`` would otherwise
need ``'unsafe-inline'``.

The built files are not committed (``make install`` builds them with npm); without them the
shell says how to build them instead of failing obscurely.
"""

from __future__ import annotations

import json
import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from soundbite.domain.clips import MIN_CLIP_MS
from soundbite.errors import NotFound
from soundbite.services import access
from soundbite.web.api.params import MAX_ROW_ID
from soundbite.web.deps import OptionalAuth, SoundbiteDep
from soundbite.web.pages.rendering import PAGE_HEADERS

router = APIRouter(include_in_schema=False)

SHELL = Path(__file__).resolve().parent.parent / "static" / "app" / "index.html"
CONFIG_MARK = "<!--sb-config-->"
NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Soundbite</title>
<p>The web app is not built yet. Run <code>make install</code> (it runs <code>npm ci</code> and
<code>npm run build</code> in <code>frontend/</code>), then reload.</p>"""


@lru_cache(maxsize=4)
def _shell(mtime: float) -> str | None:
    # keyed by mtime: a rebuild (npm run build --watch) is picked up without a restart
    return SHELL.read_text(encoding="utf-8") if mtime else None


def _csp(nonce: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        # feed artwork lives on the podcast's own servers
        "img-src 'self' https: http: data:; media-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


# one account's own pages: a signed-out visitor is sent to sign in first
ACCOUNT_PATHS = ("/analytics", "/history", "/for-you/signals")


def _open_to_visitors(sb: SoundbiteDep, path_params: dict[str, str], path: str) -> bool:
    """Whether a signed-out visitor gets the app on this path rather than the sign-in page:
    a podcast or episode page they may read (public or unlisted), or the library, clips and
    search when some podcast is public. Nothing else is told apart from "does not exist".
    A podcast's settings are for its creators and admins: a visitor signs in first."""
    if path.endswith("/settings"):
        return False
    for name, check in (
        ("podcast_id", access.readable_podcast),
        ("episode_id", access.readable_episode),
    ):
        if name in path_params:
            given = path_params[name]
            if not given.isdigit() or int(given) > MAX_ROW_ID:
                return False
            try:
                check(sb, None, int(given))
            except NotFound:
                return False
            return True
    return path not in ACCOUNT_PATHS and access.anything_listed(sb, None)


def app_shell(request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> Response:
    if auth is None and not _open_to_visitors(sb, request.path_params, request.url.path):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = "/login" if here == "/" else f"/login?next={quote(here, safe='/')}"
        return RedirectResponse(target, status_code=303)
    shell = _shell(SHELL.stat().st_mtime if SHELL.exists() else 0.0)
    if shell is None:
        return HTMLResponse(NOT_BUILT, status_code=503, headers=PAGE_HEADERS)
    nonce = secrets.token_urlsafe(18)
    config = {
        "clip_min_ms": MIN_CLIP_MS,
        "clip_max_ms": sb.settings.clip_max_seconds * 1000,
        "public_library": sb.settings.public_library,
        "style_nonce": nonce,
    }
    # "<" escaped so no value can close the script element early
    block = json.dumps(config).replace("<", "\\u003c")
    html = shell.replace(
        CONFIG_MARK, f'<script type="application/json" id="sb-config">{block}</script>', 1
    )
    headers = {**PAGE_HEADERS, "Content-Security-Policy": _csp(nonce)}
    return HTMLResponse(html, headers=headers)


# the app's own pages; anything else is the server's (API, media, share pages) or a 404
APP_PATHS = (
    "/",
    "/podcasts/{podcast_id}",
    "/podcasts/{podcast_id}/settings",
    "/episodes/{episode_id}",
    "/clips",
    "/history",
    "/for-you",
    "/for-you/signals",
    "/search",
    "/analytics",
)
for path in APP_PATHS:
    router.add_api_route(path, app_shell, methods=["GET"], response_class=HTMLResponse)
