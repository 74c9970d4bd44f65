"""Signing up, in and out, and API tokens for scripts.

Login answers with the CSRF token as well as setting it in a cookie, so a single-page app
can keep it in memory and never has to parse cookies. Sign-in and sign-up are guarded by the
abuse limits (``services/abuse.py``): over a limit the answer is 429 with Retry-After.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, Response

from soundbite.domain.accounts import Account
from soundbite.services import accounts, signup
from soundbite.services.schemas import (
    LoginRequest,
    SessionPublic,
    SignupRequest,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserPublic,
)
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import CurrentUser, RequiredAuth, SoundbiteDep, client_ip
from soundbite.web.sessions import clear_session_cookies, csrf_token, set_session_cookies

router = APIRouter(tags=["auth"])


def user_public(account: Account) -> UserPublic:
    return UserPublic(
        id=account.id,
        username=account.username,
        role=account.role,
        is_owner=account.is_admin,
        creates_for=sorted(account.creator_of),
    )


def _signed_in(
    sb: SoundbiteDep, request: Request, response: Response, account: Account, token: str
) -> SessionPublic:
    https = request.url.scheme == "https"
    csrf = set_session_cookies(response, sb.settings, token, over_https=https)
    return SessionPublic(user=user_public(account), csrf_token=csrf)


@router.post("/auth/login", response_model=SessionPublic)
def login(
    body: LoginRequest, request: Request, sb: SoundbiteDep, response: Response
) -> SessionPublic:
    """Check the password, open a session and set the `sb_session` and `sb_csrf` cookies."""
    account, session_token = accounts.login(
        sb,
        body.username,
        body.password,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        limits=sb.limits,
    )
    return _signed_in(sb, request, response, account, session_token)


@router.post("/auth/signup", response_model=SessionPublic, status_code=201)
def sign_up(
    body: SignupRequest, request: Request, sb: SoundbiteDep, response: Response
) -> SessionPublic:
    """Make a listener account, as the server's sign-up mode allows, and sign it in."""
    account, session_token = signup.sign_up(
        sb,
        body.username,
        body.password,
        invite=body.invite,
        client_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        limits=sb.limits,
    )
    return _signed_in(sb, request, response, account, session_token)


@router.post("/auth/logout", status_code=204)
def logout(sb: SoundbiteDep, auth: RequiredAuth, response: Response) -> None:
    """End the browser session (an API token stays valid: revoke it under /api/tokens)."""
    if auth.session_token is not None:
        accounts.logout(sb, auth.session_token)
    clear_session_cookies(response)


@router.get("/auth/me", response_model=SessionPublic)
def me(auth: RequiredAuth) -> SessionPublic:
    token = csrf_token(auth.session_token) if auth.session_token else None
    return SessionPublic(user=user_public(auth.account), csrf_token=token)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, sb: SoundbiteDep, user: CurrentUser) -> TokenCreated:
    """Make an API token for `Authorization: Bearer …`. The token is shown only this once."""
    info, token = accounts.issue_api_token(sb, user.id, body.name, body.scope)
    return TokenCreated(**asdict(info), token=token)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(sb: SoundbiteDep, user: CurrentUser) -> list[TokenPublic]:
    return [TokenPublic.model_validate(t) for t in accounts.list_api_tokens(sb, user.id)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> None:
    accounts.revoke_api_token(sb, user.id, token_id)
