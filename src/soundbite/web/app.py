"""The FastAPI application: JSON API under ``/api``, media at ``/media``, pages at ``/``.

``create_app`` is handed a ready Soundbite instance (and, in ``soundbite serve``, the
in-process worker pool) instead of building one, so tests and the CLI choose the database
and storage, and routes reach them through ``api/deps.py`` rather than globals.

Errors: every SoundbiteError becomes its ``status_code`` with ``{"detail": message}``, the
same shape FastAPI uses for validation errors, so a client reads one field for every failure.
A lost database connection (PostgreSQL restarting, a failover, a full pool) is a 503 with
``Retry-After`` rather than a 500: the request was fine and will work again shortly, and the
pool's pre-ping replaces the dead connections on the next checkout.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from soundbite.bootstrap import Soundbite
from soundbite.errors import AuthRequired, SoundbiteError, TooManyRequests
from soundbite.store.db import DATABASE_UNAVAILABLE
from soundbite.web import api_docs, media
from soundbite.web.api.routes import (
    account as account_api,
)
from soundbite.web.api.routes import (
    analytics,
    auth,
    brand,
    clips,
    drafts,
    episodes,
    for_you,
    insight,
    jobs,
    listening,
    moderation,
    peaks,
    podcasts,
    search,
    transcripts,
    uploads,
    users,
)
from soundbite.web.pages import (
    account,
    account_settings,
    clip_media,
    crawlers,
    public_site,
    share,
    what_we_count,
)
from soundbite.web.pages import app as app_pages
from soundbite.web.pages import moderation as moderation_pages
from soundbite.web.uploads import sweep_stale

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
RETRY_AFTER_S = 5

DESCRIPTION = """\
Self-hostable podcast clipping. Sign in with `POST /api/auth/login` (a session cookie; send
the returned `csrf_token` as `X-CSRF-Token` on writes) or use an API token from
`POST /api/tokens` as `Authorization: Bearer sbt_…`. Times are integer milliseconds.
"""


def create_app(sb: Soundbite) -> FastAPI:
    app = FastAPI(
        title="Soundbite",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # api_docs.py serves /docs without a CDN
        redoc_url=None,
    )
    app.state.soundbite = sb

    api = APIRouter(prefix="/api")
    for module in (
        auth,
        account_api,
        podcasts,
        brand,
        episodes,
        uploads,
        transcripts,
        peaks,
        jobs,
        insight,
        search,
    ):
        api.include_router(module.router)
    api.include_router(clips.router)
    api.include_router(drafts.router)
    api.include_router(listening.router)
    api.include_router(for_you.router)
    api.include_router(users.router)
    api.include_router(analytics.router)
    api.include_router(moderation.router)
    app.include_router(api)
    app.include_router(media.router)
    app.include_router(account.router)
    app.include_router(account_settings.router)
    app.include_router(api_docs.router)
    # before the app's pages: /podcasts/7-a-show is the public page, /podcasts/7 the app's
    app.include_router(public_site.router)
    app.include_router(crawlers.router)
    app.include_router(app_pages.router)
    app.include_router(share.router)
    app.include_router(moderation_pages.router)
    app.include_router(what_we_count.router)
    app.include_router(clip_media.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_exception_handler(SoundbiteError, _soundbite_error)  # type: ignore[arg-type]
    for lost in DATABASE_UNAVAILABLE:
        app.add_exception_handler(lost, _database_unavailable)
    sweep_stale(uploads.upload_dir(sb))
    return app


async def _soundbite_error(request: Request, exc: SoundbiteError) -> JSONResponse:
    headers = {}
    if isinstance(exc, AuthRequired):
        # RFC 9110 §11.6.1: a 401 names the scheme that would work
        headers["WWW-Authenticate"] = 'Bearer realm="soundbite"'
    if exc.status_code == 503:
        headers["Retry-After"] = str(RETRY_AFTER_S)
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after_s)
    if exc.status_code >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "database unavailable, try again shortly"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
