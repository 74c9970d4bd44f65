"""Request dependencies: the Soundbite instance, who is asking, and whether they may.

Route functions declare what they need with the ``Annotated`` aliases at the bottom
(``SoundbiteDep``, ``CurrentUser``, ``Viewer``) instead of reaching into
``request.app.state`` themselves, so every route gets authentication and CSRF checks the
same way and tests exercise the real thing.

A request is authenticated by ``Authorization: Bearer sbt_…`` (scripts, the CLI) or by the
``sb_session`` cookie (the browser). A bearer header that does not check out is an error,
never a reason to fall back to the cookie: mixing the two would let a script's bad token
quietly act as whoever is signed in in the same browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from soundbite.bootstrap import Soundbite
from soundbite.domain.accounts import TokenScope
from soundbite.errors import AuthRequired, Forbidden
from soundbite.services.accounts import Account, account_for_api_token, account_for_session
from soundbite.settings import Settings
from soundbite.web.sessions import CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS, csrf_valid

# declared as security schemes so that /docs offers an "Authorize" button for both
_bearer = HTTPBearer(auto_error=False, description="An API token (`sbt_…`) from POST /api/tokens")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="Browser session")


@dataclass(frozen=True, slots=True)
class Auth:
    account: Account
    # the session token when signed in by cookie; None for an API token
    session_token: str | None
    # what an API token may do; None for a browser session (which may do anything)
    scope: TokenScope | None = None


def get_soundbite(request: Request) -> Soundbite:
    sb: Soundbite = request.app.state.soundbite
    return sb


SoundbiteDep = Annotated[Soundbite, Depends(get_soundbite)]


def client_ip(request: Request) -> str:
    """The address abuse limits count by. Behind a reverse proxy, run uvicorn with
    `--forwarded-allow-ips` so this is the visitor's address, not the proxy's."""
    return request.client.host if request.client else ""


def public_base(request: Request, settings: Settings) -> str:
    """The absolute base of our URLs: the configured one, else the request's scheme and host."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def authenticate(
    request: Request,
    sb: SoundbiteDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session_token: Annotated[str | None, Depends(_cookie)],
) -> Auth | None:
    """Who is asking, or None for nobody. Raises on credentials that are present but bad."""
    if request.headers.get("authorization"):
        if bearer is None:
            raise AuthRequired("the Authorization header must be `Bearer <API token>`")
        grant = account_for_api_token(sb, bearer.credentials)
        if grant is None:
            raise AuthRequired("this API token is not valid (revoked, mistyped or disabled)")
        return Auth(grant.account, None, grant.scope)
    if session_token:
        account = account_for_session(sb, session_token)
        # an expired cookie is not an error in itself: the visitor is simply signed out
        return Auth(account, session_token) if account else None
    return None


OptionalAuth = Annotated[Auth | None, Depends(authenticate)]


def require_auth(request: Request, auth: OptionalAuth) -> Auth:
    if auth is None:
        raise AuthRequired(
            "sign in first: send a session cookie or `Authorization: Bearer <token>`"
        )
    return _checked(request, auth)


def optional_writer(request: Request, auth: OptionalAuth) -> Auth | None:
    """For writes anyone may make (a public clip's video): signed out is fine, but a signed-in
    caller is held to the same scope and CSRF rules as on any other write."""
    return _checked(request, auth) if auth is not None else None


def _checked(request: Request, auth: Auth) -> Auth:
    writing = request.method in UNSAFE_METHODS
    if auth.scope is not None and not auth.scope.allows(write=writing):
        raise Forbidden(f"this API token's scope is {auth.scope.value!r}: it may only read")
    # only cookies need CSRF: a page on another site can make a browser send our cookie,
    # but it cannot make it send an Authorization header it does not know
    session = auth.session_token
    given = request.headers.get(CSRF_HEADER)
    if session and writing and not csrf_valid(session, given):
        raise Forbidden(
            f"missing or wrong {CSRF_HEADER} header: send the csrf_token from "
            "/api/auth/login or /api/auth/me (also in the sb_csrf cookie)"
        )
    return auth


async def beacon_writer(request: Request, auth: OptionalAuth) -> Account:
    """A signed-in write sent by ``navigator.sendBeacon``, which cannot set headers: the CSRF
    token may come in the JSON body's ``csrf_token`` instead. It is the same double submit (a
    page on another site cannot read the token to put it anywhere), only carried differently.
    Checked before the body is validated, like every other write's CSRF header."""
    body_token = None
    if auth is not None and auth.session_token and not request.headers.get(CSRF_HEADER):
        try:
            body = await request.json()  # read once by FastAPI already: this is its cache
        except ValueError:
            body = None
        found = body.get("csrf_token") if isinstance(body, dict) else None
        body_token = found if isinstance(found, str) else None
    if auth is None:
        raise AuthRequired("sign in first: listening is reported for signed-in listeners only")
    if auth.session_token and body_token and not request.headers.get(CSRF_HEADER):
        if not csrf_valid(auth.session_token, body_token):
            raise Forbidden("wrong csrf_token in the body: send the one from /api/auth/me")
        auth = Auth(auth.account, None, auth.scope)  # checked: the header check is skipped
    return _checked(request, auth).account


BeaconUser = Annotated[Account, Depends(beacon_writer)]
RequiredAuth = Annotated[Auth, Depends(require_auth)]
OptionalWriter = Annotated[Auth | None, Depends(optional_writer)]


def current_user(auth: RequiredAuth) -> Account:
    return auth.account


CurrentUser = Annotated[Account, Depends(current_user)]


def viewer(auth: OptionalAuth) -> Account | None:
    """Who is reading, or None when signed out. What they may read is the services' call
    (``domain/access.py``): per podcast, not per instance."""
    return auth.account if auth else None


Viewer = Annotated[Account | None, Depends(viewer)]
