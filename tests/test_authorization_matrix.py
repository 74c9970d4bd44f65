"""The authorization matrix: every route of the app × every kind of caller × the visibility of
what it acts on, against the status the design promises (docs/accounts.md).

The world is built once per database (SQLite and PostgreSQL) and shared by the module:

- podcasts ``public``, ``unlisted`` and ``private`` (and ``elsewhere``, private, whose creator
  is the "creator of another podcast"), each with one episode made of its own media file
  (a transcript, peaks and search units, so every read has something to answer with), and a
  queued job;
- on each episode three clips of the listener ``lena``: public, unlisted and private;
- callers: ``anonymous``; ``owner`` (lena, a listener who owns the clips); ``listener`` (otto,
  another listener); ``creator`` (cora, creator of the three podcasts); ``other_creator``
  (cory, creator of ``elsewhere`` only); ``admin``; ``read_token`` (an API token of the admin
  with the ``read`` scope).

A route's row in ``ROUTES`` says how to call it and which rule gives its expected status for
a (caller, case); a case is a podcast visibility, or a podcast and a clip visibility when the
path takes a clip. ``test_every_route_is_in_the_matrix`` fails when a route of the app has no
row, so a new route cannot be added without deciding who may call it.

Adding a route is one line in ``ROUTES``::

    ("GET", "/api/things/{episode_id}"): Row(READ),

with the path exactly as FastAPI spells it. Placeholders are filled from the world:
``{podcast_id}``, ``{episode_id}``, ``{job_id}``, ``{sha256}`` run the row for each podcast
visibility, ``{share_id}`` for each podcast × clip visibility; ``query`` and ``body`` may use
the same placeholders. ``fresh=True`` gives each call its own new clip (for DELETE) and a new
session (for routes that end it). The rules (``READ``, ``EDIT(ok)``, ``CLIP_EDIT(ok)``,
``ADMIN(ok)``, ``SIGNED_IN(ok)``, ...) restate the design here on purpose instead of importing
``domain/access.py``, so a change to the rules must be a change to this table too.

Where a successful call would destroy the world (deleting one's account, changing a password),
the request carries a body that only the route itself refuses (422): reaching that answer
proves the caller got past every access check, and refusals come earlier (401/403/404).
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.clips import service as clip_service
from soundbite.domain.public_pages import slugify
from soundbite.domain.transcript import Transcript
from soundbite.jobs.analysis import run_index
from soundbite.jobs.stages import run_peaks
from soundbite.services import access, accounts, moderation, public_site
from soundbite.services.library import add_media_file
from soundbite.speech.formats import parse_transcript
from soundbite.store.models import Job, Podcast, User
from soundbite.web.app import create_app
from soundbite.web.pages.app import SHELL as SHELL_FILE
from soundbite.web.sessions import SESSION_COOKIE, UNSAFE_METHODS, csrf_token
from tests.conftest import make_settings
from tests.scaleout.processes import drop_schema, fresh_schema
from tests.test_web_security import _api_routes
from tests.test_web_support import VTT

PASSWORD = "a sturdy passphrase for matrix callers"
VISIBILITIES = ("public", "unlisted", "private")
CALLERS = ("anonymous", "owner", "listener", "creator", "other_creator", "admin", "read_token")
USERS = {"owner": "lena", "listener": "otto", "creator": "cora", "other_creator": "cory"}
SESSIONS: dict[str, str] = {}  # a session of each caller, for acting as them directly


# the rules: (caller, case, method) -> status


@dataclass(frozen=True)
class Case:
    podcast: str = "public"
    clip: str | None = None


Rule = Callable[[str, Case, str], int]


def reads(who: str, podcast: str) -> bool:
    return who != "anonymous" or podcast != "private"


def edits(who: str) -> bool:
    return who in ("creator", "admin", "read_token")


def sees_clip(who: str, case: Case) -> bool:
    return case.clip != "private" or who == "owner"


def _auth_first(who: str, method: str) -> int | None:
    """What refuses a request before any rule about the thing: no account, a read token."""
    if who == "anonymous":
        return 401
    if who == "read_token" and method in UNSAFE_METHODS:
        return 403
    return None


def OPEN(ok: int) -> Rule:
    return lambda who, case, method: ok


def READ(who: str, case: Case, method: str) -> int:
    return 200 if reads(who, case.podcast) else 404


def SIGNED_IN(ok: int) -> Rule:
    return lambda who, case, method: _auth_first(who, method) or ok


def ADMIN(ok: int) -> Rule:
    def rule(who: str, case: Case, method: str) -> int:
        return _auth_first(who, method) or (ok if who in ("admin", "read_token") else 403)

    return rule


def EDIT(ok: int) -> Rule:
    """Admins and the podcast's creators; a reader who may not is told 403, anyone else 404."""

    def rule(who: str, case: Case, method: str) -> int:
        first = _auth_first(who, method)
        if first:
            return first
        if not reads(who, case.podcast):
            return 404
        return ok if edits(who) else 403

    return rule


def CLIP_READ(ok: int) -> Rule:
    return lambda who, case, method: ok if sees_clip(who, case) else 404


def CLIP_EDIT(ok: int) -> Rule:
    """The clip's owner; an admin too unless it is private (then it is 404 to all others)."""

    def rule(who: str, case: Case, method: str) -> int:
        first = _auth_first(who, method)
        if first:
            return first
        if not sees_clip(who, case):
            return 404
        return ok if who == "owner" or (edits(who) and who != "creator") else 403

    return rule


def UPLOADER(ok: int) -> Rule:
    """Admins and creators may upload (into which podcast: tests/test_roles.py); a listener is
    refused before the body is read. The JSON body then fails as a form (422)."""

    def rule(who: str, case: Case, method: str) -> int:
        first = _auth_first(who, method)
        if first:
            return first
        return ok if who in ("creator", "other_creator", "admin") else 403

    return rule


def CLIP_CREATE(who: str, case: Case, method: str) -> int:
    """Any signed-in account may clip what it may read (and it may read every podcast)."""
    return _auth_first(who, method) or 201


def CLIP_CREATE_PREVIEW(who: str, case: Case, method: str) -> int:
    """Where a clip would start and end: whoever may clip the episode (CLIP_CREATE), as a read."""
    return _auth_first(who, method) or 200


def ADMIN_OR_CREATOR(ok: int) -> Rule:
    """Admins and creators of any podcast (the moderation queue: each sees their podcasts')."""

    def rule(who: str, case: Case, method: str) -> int:
        first = _auth_first(who, method)
        if first:
            return first
        return ok if who in ("creator", "other_creator", "admin", "read_token") else 403

    return rule


def ANALYTICS(who: str, case: Case, method: str) -> int:
    first = _auth_first(who, method)
    if first:
        return first
    return 200 if edits(who) else 403


def CLIP_EPISODE(who: str, case: Case, method: str) -> int:
    """The full episode from a clip: the app for whoever may read it, else a page of its own."""
    if not sees_clip(who, case):
        return 404
    return 303 if reads(who, case.podcast) else 200


def OEMBED(who: str, case: Case, method: str) -> int:
    return 404 if case.clip == "private" else 200  # oEmbed never asks who is asking


def SHELL_FOR(open_to_visitors: Callable[[Case], bool]) -> Rule:
    def rule(who: str, case: Case, method: str) -> int:
        if who == "anonymous" and not open_to_visitors(case):
            return 303
        return 200 if SHELL_FILE.exists() else 503  # the app's shell (503: not built)

    return rule


def PAGE_SIGNED_IN(ok: int) -> Rule:
    """Account pages work with a browser session only; others are sent to sign in (a page)
    or refused (a form)."""

    def rule(who: str, case: Case, method: str) -> int:
        if who in ("anonymous", "read_token"):
            return 303 if method == "GET" else 403
        return ok

    return rule


def LISTENER(ok: int) -> Rule:
    """A listener's own things (progress, subscriptions, drafts) about what they may read:
    any signed-in account, 404 for a podcast it may not read."""

    def rule(who: str, case: Case, method: str) -> int:
        first = _auth_first(who, method)
        if first:
            return first
        return ok if reads(who, case.podcast) else 404

    return rule


def MODERATE(ok: int) -> Rule:
    """Admins, and creators for their podcasts' clips; a private clip is its owner's alone
    (404). A listener is refused before the clip is looked up (403 for any id)."""

    def rule(who: str, case: Case, method: str) -> int:
        first = _auth_first(who, method)
        if first:
            return first
        if who in ("owner", "listener"):
            return 403
        if not sees_clip(who, case):
            return 404
        return ok if edits(who) else 403

    return rule


def MODERATION_PAGE(who: str, case: Case, method: str) -> int:
    if who in ("anonymous", "read_token"):
        return 303
    return 403 if who in ("owner", "listener") else 200


def MODERATION_FORM(who: str, case: Case, method: str) -> int:
    """The queue's buttons: a browser session's form; done is a redirect back to the queue."""
    if who in ("anonymous", "read_token"):
        return 403
    return MODERATE(303)(who, case, method)


def PUBLIC_PAGE(who: str, case: Case, method: str) -> int:
    """A podcast's or episode's page on the public site, for what anyone may read; a member
    asking for a private one is sent to the app (303), anyone else is told it is not there."""
    if not reads(who, case.podcast):
        return 404
    return 303 if case.podcast == "private" else 200


def VALIDATED(who: str, case: Case, method: str) -> int:
    """A write anyone may make whose body is checked before the thing is looked up: a read
    token is refused first, everyone else gets the body's 422 (the 404 of a private clip is
    proved on its other routes)."""
    return 403 if who == "read_token" else 422


@dataclass(frozen=True)
class Row:
    rule: Rule
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    fresh: bool = False


CLIP = {"episode_id": "{episode_id}", "start_ms": 500, "end_ms": 2500}
ANALYTICS_Q = {"podcast_id": "{podcast_id}"}
PASSWORDS = {"password": PASSWORD, "password_again": PASSWORD}
SIGNUP_FORM = {"username": "newbie", **PASSWORDS}
REPORT_FORM = {"form_token": "{form_token}", "reason": ""}  # no reason: refused, not filed
PASSWORD_FORM = {"csrf": "{csrf}", "current_password": "x", "new_password": PASSWORD}

ROUTES: dict[tuple[str, str], Row] = {
    # signing in and accounts: nothing here depends on a podcast
    ("POST", "/api/auth/login"): Row(OPEN(401), body={"username": "{nobody}", "password": "x"}),
    ("POST", "/api/auth/signup"): Row(OPEN(403), body={"username": "newbie", "password": PASSWORD}),
    ("POST", "/api/auth/logout"): Row(SIGNED_IN(204), fresh=True),
    ("GET", "/api/auth/me"): Row(SIGNED_IN(200)),
    ("POST", "/api/tokens"): Row(SIGNED_IN(201), body={"name": "matrix", "scope": "read"}),
    ("GET", "/api/tokens"): Row(SIGNED_IN(200)),
    ("DELETE", "/api/tokens/{token_id}"): Row(SIGNED_IN(404)),  # not the caller's token
    ("GET", "/api/account/sessions"): Row(SIGNED_IN(200)),
    ("DELETE", "/api/account/sessions/{session_id}"): Row(SIGNED_IN(404)),
    ("PUT", "/api/account/password"): Row(SIGNED_IN(422), body={}),
    ("GET", "/api/account/export"): Row(SIGNED_IN(200)),
    ("DELETE", "/api/account"): Row(SIGNED_IN(422), body={}),
    ("POST", "/api/invites"): Row(ADMIN(201), body={"max_uses": 1, "days": 1}),
    ("GET", "/api/invites"): Row(ADMIN(200)),
    ("DELETE", "/api/invites/{invite_id}"): Row(ADMIN(404)),
    ("GET", "/api/users"): Row(ADMIN(200)),
    ("PATCH", "/api/users/{username}"): Row(ADMIN(204), body={"role": "listener"}),
    # podcasts
    ("GET", "/api/podcasts"): Row(OPEN(200)),
    ("GET", "/api/podcasts/{podcast_id}"): Row(READ),
    ("PATCH", "/api/podcasts/{podcast_id}"): Row(ADMIN(200), body={"visibility": "{visibility}"}),
    ("GET", "/api/podcasts/{podcast_id}/creators"): Row(EDIT(200)),
    ("PUT", "/api/podcasts/{podcast_id}/creators/{username}"): Row(ADMIN(204)),
    ("DELETE", "/api/podcasts/{podcast_id}/creators/{username}"): Row(ADMIN(204)),
    ("POST", "/api/feeds"): Row(ADMIN(422), body={"url": "ftp://example.org/feed"}),
    ("POST", "/api/podcasts/{podcast_id}/refresh"): Row(EDIT(409)),  # uploads: no feed
    # a podcast's brand in its clip videos: its creators' and admins'
    ("GET", "/api/podcasts/{podcast_id}/brand"): Row(EDIT(200)),
    ("PATCH", "/api/podcasts/{podcast_id}/brand"): Row(EDIT(200), body={"caption_size": "medium"}),
    # a form without a file: refused (422) only once the caller may change the podcast
    ("PUT", "/api/podcasts/{podcast_id}/brand/logo"): Row(EDIT(422), form={"note": "no file"}),
    ("DELETE", "/api/podcasts/{podcast_id}/brand/logo"): Row(EDIT(204)),
    ("GET", "/api/podcasts/{podcast_id}/brand/logo.png"): Row(EDIT(404)),  # none uploaded
    # episodes and what is derived from them
    ("GET", "/api/episodes"): Row(OPEN(200)),
    ("GET", "/api/episodes/{episode_id}"): Row(READ),
    # a blank title, which only the route refuses: the shared world keeps its titles
    ("PATCH", "/api/episodes/{episode_id}"): Row(EDIT(422), body={"title": " "}),
    ("POST", "/api/episodes/{episode_id}/process"): Row(EDIT(409)),  # already queued
    # the world's transcripts name no speakers: reaching "no such speaker" proves access
    ("PUT", "/api/episodes/{episode_id}/speakers"): Row(EDIT(422), body={"Speaker 1": "Ada"}),
    ("POST", "/api/episodes"): Row(UPLOADER(422), body={}),
    ("GET", "/api/episodes/{episode_id}/transcript"): Row(READ),
    ("GET", "/api/episodes/{episode_id}/peaks"): Row(READ),
    ("GET", "/api/episodes/{episode_id}/topics"): Row(READ),
    ("GET", "/api/episodes/{episode_id}/chapters"): Row(READ),
    ("GET", "/api/episodes/{episode_id}/highlights"): Row(READ),
    ("GET", "/api/episodes/{episode_id}/related"): Row(
        READ, query={"start_ms": "0", "end_ms": "4000"}
    ),
    ("GET", "/api/jobs"): Row(OPEN(200)),
    ("POST", "/api/jobs/{job_id}/retry"): Row(EDIT(409)),  # still queued
    ("GET", "/api/search"): Row(OPEN(200), query={"q": "wizard"}),
    ("GET", "/media/{sha256}"): Row(READ),
    ("HEAD", "/media/{sha256}"): Row(READ),
    # clips
    ("POST", "/api/clips"): Row(CLIP_CREATE, body=CLIP),
    ("GET", "/api/clips"): Row(OPEN(200)),
    ("GET", "/api/clips/soundbites"): Row(CLIP_READ(200), query={"id": "{share_id}"}),
    ("GET", "/api/clips/span"): Row(
        CLIP_CREATE_PREVIEW,
        query={"episode_id": "{episode_id}", "start_ms": "500", "end_ms": "2500"},
    ),
    ("GET", "/api/clips/{share_id}"): Row(CLIP_READ(200)),
    ("PATCH", "/api/clips/{share_id}"): Row(CLIP_EDIT(200), body={"title": "Still the title"}),
    ("DELETE", "/api/clips/{share_id}"): Row(CLIP_EDIT(204), fresh=True),
    ("POST", "/api/clips/{share_id}/videos"): Row(VALIDATED, body={"aspect": "round"}),
    ("GET", "/api/clips/{share_id}/video/preview.png"): Row(
        CLIP_READ(200), query={"aspect": "1x1"}
    ),
    ("GET", "/api/clips/{share_id}/stats"): Row(CLIP_EDIT(200)),
    ("POST", "/api/clips/{share_id}/events"): Row(CLIP_READ(202), body={"kind": "played"}),
    ("POST", "/api/analytics/clips/{share_id}/beacon"): Row(CLIP_READ(202), body={"kind": "view"}),
    # analytics of a podcast
    ("GET", "/api/analytics/summary"): Row(ANALYTICS, query=ANALYTICS_Q),
    ("GET", "/api/analytics/series"): Row(ANALYTICS, query=ANALYTICS_Q),
    ("GET", "/api/analytics/breakdown"): Row(ANALYTICS, query={**ANALYTICS_Q, "dimension": "app"}),
    ("GET", "/api/analytics/funnel"): Row(ANALYTICS, query=ANALYTICS_Q),
    # listening curves: a listener reports what they heard of what they may read; the curves
    # are the podcast's analytics
    ("POST", "/api/analytics/episodes/{episode_id}/listening"): Row(
        LISTENER(202), body={"heard": [0]}
    ),
    ("GET", "/api/analytics/episodes/{episode_id}/retention"): Row(ANALYTICS),
    # server pages
    ("GET", "/login"): Row(lambda who, case, m: 303 if who not in ("anonymous",) else 200),
    ("POST", "/login"): Row(OPEN(401), form={"username": "{nobody}", "password": "x"}),
    ("GET", "/signup"): Row(OPEN(403)),  # sign-up is closed (the default)
    ("POST", "/signup"): Row(OPEN(403), form=SIGNUP_FORM),
    ("POST", "/logout"): Row(OPEN(303), form={"csrf": "{csrf}"}, fresh=True),
    ("GET", "/setup"): Row(OPEN(400)),
    ("POST", "/setup"): Row(OPEN(401), form={"token": "x", **PASSWORDS}),
    ("GET", "/account"): Row(PAGE_SIGNED_IN(200)),
    ("POST", "/account/sessions/{session_id}/revoke"): Row(
        PAGE_SIGNED_IN(404), form={"csrf": "{csrf}"}
    ),
    # a wrong password (401) is as far as a signed-in caller gets without changing anything
    ("POST", "/account/password"): Row(PAGE_SIGNED_IN(401), form=PASSWORD_FORM),
    ("POST", "/account/delete"): Row(PAGE_SIGNED_IN(401), form={"csrf": "{csrf}", "password": "x"}),
    # an admin's invite link; the form is refused to everyone else (403, like a stale form)
    ("POST", "/account/invites"): Row(
        lambda who, case, m: 201 if who == "admin" else 403,
        form={"csrf": "{csrf}", "max_uses": "1"},
    ),
    ("GET", "/docs"): Row(OPEN(200)),
    ("GET", "/what-we-count"): Row(OPEN(200)),
    ("GET", "/"): Row(SHELL_FOR(lambda case: True)),  # a podcast is public
    ("GET", "/podcasts/{podcast_id}"): Row(SHELL_FOR(lambda case: case.podcast != "private")),
    # the settings page: anyone signed in gets the app (which asks the API; listeners are told
    # they may not change it); a visitor is sent to sign in
    ("GET", "/podcasts/{podcast_id}/settings"): Row(SHELL_FOR(lambda case: False)),
    ("GET", "/episodes/{episode_id}"): Row(SHELL_FOR(lambda case: case.podcast != "private")),
    ("GET", "/clips"): Row(SHELL_FOR(lambda case: True)),
    ("GET", "/search"): Row(SHELL_FOR(lambda case: True)),
    ("GET", "/analytics"): Row(SHELL_FOR(lambda case: False)),
    ("GET", "/c/{share_id}"): Row(CLIP_READ(200)),
    ("GET", "/embed/{share_id}"): Row(CLIP_READ(200)),
    ("GET", "/oembed"): Row(OEMBED, query={"url": "http://testserver/c/{share_id}"}),
    ("GET", "/c/{share_id}/episode"): Row(CLIP_EPISODE),
    ("GET", "/c/{share_id}/audio.{fmt}"): Row(CLIP_READ(200)),
    ("HEAD", "/c/{share_id}/audio.{fmt}"): Row(CLIP_READ(200)),
    ("GET", "/c/{share_id}/video-{aspect}.mp4"): Row(CLIP_READ(200)),
    ("HEAD", "/c/{share_id}/video-{aspect}.mp4"): Row(CLIP_READ(200)),
    ("GET", "/c/{share_id}/card.png"): Row(CLIP_READ(200)),
    ("GET", "/c/{share_id}/artwork.jpg"): Row(CLIP_READ(200)),
    ("GET", "/c/{share_id}/captions.vtt"): Row(CLIP_READ(200)),
    # listener features: what one account keeps for itself
    ("GET", "/api/episodes/{episode_id}/progress"): Row(LISTENER(200)),
    ("PUT", "/api/episodes/{episode_id}/progress"): Row(LISTENER(200), body={"position_ms": 1000}),
    ("GET", "/api/history"): Row(SIGNED_IN(200)),
    ("DELETE", "/api/history"): Row(SIGNED_IN(204)),
    # sorted after DELETE /api/history (the calls go by path), so nothing is left to forget
    ("DELETE", "/api/history/{episode_id}"): Row(LISTENER(404)),
    ("GET", "/api/subscriptions"): Row(SIGNED_IN(200)),
    ("GET", "/api/podcasts/{podcast_id}/subscription"): Row(LISTENER(200)),
    ("PUT", "/api/podcasts/{podcast_id}/subscription"): Row(LISTENER(200)),
    ("DELETE", "/api/podcasts/{podcast_id}/subscription"): Row(LISTENER(200)),
    ("GET", "/api/account/listening"): Row(SIGNED_IN(200)),
    ("PATCH", "/api/account/listening"): Row(SIGNED_IN(200), body={"mark_seconds": 30}),
    ("GET", "/api/drafts"): Row(SIGNED_IN(200)),
    ("POST", "/api/drafts"): Row(LISTENER(201), body={"episode_id": "{episode_id}", "at_ms": 4000}),
    ("GET", "/history"): Row(SHELL_FOR(lambda case: False)),
    # moderation: reports (a bad reason is refused before the clip is looked up, so the API
    # row proves who may write; the page form's row proves the 404 of a private clip)
    ("POST", "/api/clips/{share_id}/reports"): Row(VALIDATED, body={"reason": "nope"}),
    ("POST", "/c/{share_id}/report"): Row(CLIP_READ(422), form=REPORT_FORM),
    ("GET", "/api/moderation/queue"): Row(ADMIN_OR_CREATOR(200)),
    ("GET", "/api/moderation/hidden"): Row(ADMIN_OR_CREATOR(200)),
    ("POST", "/api/moderation/clips/{share_id}/{action}"): Row(MODERATE(200)),
    ("DELETE", "/api/moderation/clips/{share_id}"): Row(MODERATE(204), fresh=True),
    ("GET", "/moderation"): Row(MODERATION_PAGE),
    ("POST", "/moderation/clips/{share_id}/{action}"): Row(
        MODERATION_FORM, form={"csrf": "{csrf}"}
    ),
    # For you: anyone gets a feed (signed out: popular and newest); the rest is one's own
    ("GET", "/api/for-you"): Row(OPEN(200)),
    ("GET", "/api/for-you/privacy"): Row(SIGNED_IN(200)),
    ("PUT", "/api/for-you/privacy"): Row(SIGNED_IN(200), body={"personalised": True}),
    ("GET", "/api/for-you/signals"): Row(SIGNED_IN(200)),
    ("DELETE", "/api/for-you/signals/{signal_id}"): Row(SIGNED_IN(404)),  # none of theirs
    ("GET", "/api/for-you/excluded-podcasts"): Row(ADMIN(200)),
    # PUT before DELETE (same path, kept in this order): the podcast ends up included again
    ("PUT", "/api/for-you/excluded-podcasts/{podcast_id}"): Row(ADMIN(204)),
    ("DELETE", "/api/for-you/excluded-podcasts/{podcast_id}"): Row(ADMIN(204)),
    ("GET", "/for-you"): Row(SHELL_FOR(lambda case: True)),
    ("GET", "/for-you/signals"): Row(SHELL_FOR(lambda case: False)),
    # the public site: server pages of what anyone may read
    ("GET", "/podcasts"): Row(OPEN(200)),
    ("GET", "/sitemap.xml"): Row(OPEN(200)),
    ("GET", "/robots.txt"): Row(OPEN(200)),
    ("GET", "/podcasts/{podcast_id:int}-{slug}"): Row(PUBLIC_PAGE),
    ("GET", "/podcasts/{podcast_id:int}/episodes/{episode_id:int}-{slug}"): Row(PUBLIC_PAGE),
    ("GET", "/podcasts/{podcast_id:int}/episodes/{episode_id:int}"): Row(
        lambda who, case, method: (
            {200: 301}.get(PUBLIC_PAGE(who, case, method), 0) or PUBLIC_PAGE(who, case, method)
        )
    ),  # no slug: sent to the page's canonical address
    ("GET", "/podcasts/{podcast_id:int}/episodes/{episode_id:int}/audio"): Row(READ),
    ("HEAD", "/podcasts/{podcast_id:int}/episodes/{episode_id:int}/audio"): Row(READ),
}


# the world


@dataclass
class World:
    sb: Soundbite
    clients: dict[str, TestClient]
    podcasts: dict[str, int]
    episodes: dict[str, int]
    media: dict[str, str]
    jobs: dict[str, int]
    clips: dict[tuple[str, str], str]
    csrf: dict[str, str]
    slugs: dict[str, dict[str, str]]  # the public site's slugs: podcast / episode, by case


def _tone(path: Path, hz: int) -> Path:
    """A few seconds of its own sound per podcast, so each has its own media hash."""
    subprocess.run(
        [
            *(imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i"),
            *(f"sine=frequency={hz}:duration=6", "-ac", "1", "-y", str(path)),
        ],
        check=True,
    )
    return path


def _client(sb: Soundbite, who: str) -> tuple[TestClient, str]:
    """A client of its own address (the sign-in limits count per address) and, signed in, a
    new browser session (opened directly: hashing a password per call would dominate)."""
    client = TestClient(create_app(sb), client=(f"203.0.113.{CALLERS.index(who) + 1}", 50000))
    if who == "anonymous":
        return client, ""
    username = "owner" if who in ("admin", "read_token") else USERS[who]
    with sb.db.write() as s:
        user_id = s.scalars(select(User.id).where(User.username == username)).one()
        session = accounts.open_session(s, user_id, "matrix")
    client.cookies.set(SESSION_COOKIE, session)
    SESSIONS.setdefault(who, session)
    token = csrf_token(session)
    client.headers["X-CSRF-Token"] = token
    return client, token


def build_world(sb: Soundbite, tmp: Path) -> World:
    admin = accounts.owner_account(sb)
    for name in [*USERS.values(), "spare"]:
        accounts.add_user(sb, name, PASSWORD)
    transcript: Transcript = parse_transcript(VTT, content_type="text/vtt")
    podcasts, episodes, media, jobs = {}, {}, {}, {}
    for i, visibility in enumerate([*VISIBILITIES, "elsewhere"]):
        with sb.db.write() as s:
            row = Podcast(owner_id=admin.id, feed_url=None, title=f"The {visibility} show")
            s.add(row)
            s.flush()
            podcasts[visibility] = row.id
        access.set_visibility(
            sb, admin, row.id, "private" if visibility == "elsewhere" else visibility
        )
        audio = _tone(tmp / f"{visibility}.mp3", 300 + 100 * i)
        episode_id = add_media_file(sb, audio, admin.id, transcript=transcript, podcast_id=row.id)
        run_peaks(sb, episode_id, lambda *a: None)
        run_index(sb, episode_id, lambda *a: None)
        episodes[visibility] = episode_id
        with sb.db.read() as s:
            jobs[visibility] = s.scalars(select(Job.id).where(Job.episode_id == episode_id)).first()
        from soundbite.services.episodes import episode_ref

        media[visibility] = episode_ref(sb, episode_id).media_sha256 or ""
    for visibility in VISIBILITIES:
        access.set_creator(sb, admin, podcasts[visibility], "cora", on=True)
    access.set_creator(sb, admin, podcasts["elsewhere"], "cory", on=True)
    clients, csrf = {}, {}
    SESSIONS.clear()
    for who in CALLERS:
        clients[who], csrf[who] = _client(sb, who)
    token = clients["admin"].post("/api/tokens", json={"name": "matrix", "scope": "read"})
    clients["read_token"].cookies.delete(SESSION_COOKIE)
    del clients["read_token"].headers["X-CSRF-Token"]
    clients["read_token"].headers["Authorization"] = f"Bearer {token.json()['token']}"
    clips = {}
    for visibility in VISIBILITIES:
        for clip_visibility in VISIBILITIES:
            clips[(visibility, clip_visibility)] = _new_clip(
                sb, episodes[visibility], clip_visibility
            )
    slugs: dict[str, dict[str, str]] = {"podcast": {}, "episode": {}}
    for v in VISIBILITIES:
        podcast, episode = public_site.find_episode(sb, podcasts[v], episodes[v], admin)
        slugs["podcast"][v] = slugify(podcast.title, "podcast")
        slugs["episode"][v] = slugify(episode.title, "episode")
    return World(sb, clients, podcasts, episodes, media, jobs, clips, csrf, slugs)


def _new_clip(sb: Soundbite, episode_id: int, visibility: str) -> str:
    """A clip of lena's (made by the service: the API's clip rate limit is not under test)."""
    lena = accounts.account_for_session(sb, SESSIONS["owner"])
    assert lena is not None
    title = f"A {visibility} clip"
    return clip_service.create_clip(
        sb,
        lena,
        episode_id=episode_id,
        start_ms=500,
        end_ms=2500,
        visibility=visibility,
        title=title,
    ).share_id


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    schema = admin_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'soundbite.db'}"
    else:
        schema = f"sbtest_{secrets.token_hex(6)}"
        url, admin_url = fresh_schema(request.getfixturevalue("postgres_server"), schema)
    sb = Soundbite.from_settings(make_settings(tmp / "data", url, clip_prerender=False))
    try:
        accounts.ensure_owner(sb)
        yield build_world(sb, tmp)
    finally:
        sb.close()
        if schema is not None:
            drop_schema(admin_url, schema)


# walking the routes


def app_routes() -> set[tuple[str, str]]:
    # a data dir of its own: a fixed path was shared by every checkout on the machine, and one
    # with a newer migration left a database the others could not open
    data = Path(tempfile.mkdtemp(prefix="matrix-routes-"))
    sb = Soundbite.from_settings(make_settings(data, f"sqlite:///{data / 'sb.db'}"))
    try:
        found = set()
        for path, route in _api_routes(create_app(sb).routes):
            for method in route.methods:
                found.add((method, path))
        return found
    finally:
        sb.close()
        shutil.rmtree(data, ignore_errors=True)


PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)(?::int)?\}")  # FastAPI's {name:int} too
PODCAST_KEYS = {"podcast_id", "episode_id", "job_id", "sha256"}


def cases(method: str, path: str, row: Row) -> list[Case]:
    names = set(PLACEHOLDER.findall(path + repr(row.query) + repr(row.body)))
    if "share_id" in names:
        return [Case(p, c) for p in VISIBILITIES for c in VISIBILITIES]
    if names & PODCAST_KEYS:
        return [Case(p) for p in VISIBILITIES]
    return [Case()]


def _fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _filled(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        filled = _fill(value, values)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _filled(v, values) for k, v in value.items()}
    return value


def call(world: World, who: str, method: str, path: str, row: Row, case: Case) -> int:
    client, csrf = world.clients[who], world.csrf[who]
    if row.fresh and case.clip is None and who not in ("anonymous", "read_token"):
        client, csrf = _client(world.sb, who)  # a session of its own, to end
    share_id = world.clips.get((case.podcast, case.clip or "public"), "")
    if row.fresh and case.clip is not None:
        share_id = _new_clip(world.sb, world.episodes[case.podcast], case.clip)
    values = {
        "podcast_id": str(world.podcasts[case.podcast]),
        "episode_id": str(world.episodes[case.podcast]),
        "job_id": str(world.jobs[case.podcast]),
        "sha256": world.media[case.podcast],
        "visibility": case.podcast,
        "share_id": share_id,
        "username": "spare",
        "token_id": "99999",
        "session_id": "99999",
        "invite_id": "99999",
        "signal_id": "no-such-signal",
        "fmt": "mp3",
        "aspect": "1x1",
        "nobody": f"nobody-{who}",
        "csrf": csrf,
        "action": "dismiss",  # closes no report: the world stays as it is
        "form_token": moderation.report_form_token(world.sb, share_id) if share_id else "",
        "slug": world.slugs["episode" if "/episodes/" in path else "podcast"][case.podcast],
    }
    kwargs: dict[str, Any] = {"params": _filled(row.query, values), "follow_redirects": False}
    if row.body is not None:
        kwargs["json"] = _filled(row.body, values)
    if row.form is not None:
        kwargs["data"] = _filled(row.form, values)
    return client.request(method, _fill(path, values), **kwargs).status_code


def test_every_route_is_in_the_matrix() -> None:
    missing = app_routes() - ROUTES.keys()
    assert not missing, f"classify these routes in ROUTES: {sorted(missing)}"
    gone = ROUTES.keys() - app_routes()
    assert not gone, f"these rows name no route of the app: {sorted(gone)}"


def test_authorization_matrix(world: World) -> None:
    wrong = []
    calls = 0
    for (method, path), row in sorted(ROUTES.items(), key=lambda kv: kv[0][1]):
        for case in cases(method, path, row):
            for who in CALLERS:
                expected = row.rule(who, case, method)
                got = call(world, who, method, path, row, case)
                calls += 1
                if got != expected:
                    wrong.append(f"{method} {path} {who} {case}: {got}, designed {expected}")
    assert not wrong, f"{len(wrong)} of {calls} calls:\n" + "\n".join(wrong)


# what the lists hold, and what shared caches may keep

LISTED = {
    "anonymous": {"public"},
    "owner": {"public", "private", "elsewhere"},
    "listener": {"public", "private", "elsewhere"},
    "creator": {"public", "unlisted", "private", "elsewhere"},
    "other_creator": {"public", "private", "elsewhere"},
    "admin": {"public", "unlisted", "private", "elsewhere"},
    "read_token": {"public", "unlisted", "private", "elsewhere"},
}


def test_lists_and_search_hold_only_the_podcasts_listed_for_the_caller(world: World) -> None:
    """Public podcasts for everyone, private ones for members, unlisted ones only for their
    creators and admins, in every list: podcasts, episodes, jobs, search and clips."""
    name_of = {pid: name for name, pid in world.podcasts.items()}
    of_episode = {eid: name for name, eid in world.episodes.items()}
    for who, expected in LISTED.items():
        client = world.clients[who]
        podcasts = {name_of[p["id"]] for p in client.get("/api/podcasts").json()}
        assert podcasts == expected, who
        episodes = client.get("/api/episodes").json()
        assert {of_episode[e["id"]] for e in episodes["items"]} == expected, who
        assert episodes["total"] == len(expected), who
        jobs = {of_episode[j["episode_id"]] for j in client.get("/api/jobs").json()}
        assert jobs == expected, who
        hits = client.get("/api/search", params={"q": "wizard"}).json()
        assert {of_episode[h["episode"]["id"]] for h in hits["items"]} == expected, who
        related = client.get(
            f"/api/episodes/{world.episodes['public']}/related",
            params={"start_ms": 0, "end_ms": 4000, "limit": 20},
        ).json()
        others = {of_episode[m["episode_id"]] for m in related["other_episodes"]}
        assert others == expected - {"public"}, who
        clips = client.get("/api/clips", params={"limit": 200}).json()["items"]
        assert clips and all(c["visibility"] == "public" for c in clips)
        assert {of_episode[c["episode_id"]] for c in clips} == expected - {"elsewhere"}, who
    # an unlisted podcast's own episodes and clips are there for whoever has its link
    unlisted = world.podcasts["unlisted"]
    page = world.clients["anonymous"].get("/api/episodes", params={"podcast_id": unlisted})
    assert [e["id"] for e in page.json()["items"]] == [world.episodes["unlisted"]]
    clips = world.clients["anonymous"].get(
        "/api/clips", params={"episode_id": world.episodes["unlisted"]}
    )
    assert clips.json()["total"] >= 1
    # and a private one's are not there at all for a signed-out visitor
    private = world.clients["anonymous"].get(
        "/api/episodes", params={"podcast_id": world.podcasts["private"]}
    )
    assert private.status_code == 404


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_shared_caches_keep_only_what_anyone_may_read(world: World, visibility: str) -> None:
    client = world.clients["admin"]
    episode = client.get(f"/api/episodes/{world.episodes[visibility]}").json()
    answers = [
        client.get(episode["audio_url"], headers={"Range": "bytes=0-99"}),
        client.get(episode["peaks_url"]),
        client.get(f"/api/episodes/{episode['id']}/transcript", params={"format": "vtt"}),
    ]
    for answer in answers:
        assert answer.status_code in (200, 206), answer.text
        shared = answer.headers["cache-control"].startswith("public")
        assert shared is (visibility != "private"), (answer.url, answer.headers["cache-control"])
