"""Signing in and out, and API tokens for scripts.

Login answers with the CSRF token as well as setting it in a cookie, so a single-page app
can keep it in memory and never has to parse cookies.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from soundbite.domain.secrets import token_hash
from soundbite.services import accounts
from soundbite.services.schemas import (
    LoginRequest,
    SessionPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserPublic,
)
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import CurrentUser, RequiredAuth, SoundbiteDep
from soundbite.web.sessions import clear_session_cookies, csrf_token, set_session_cookies

router = APIRouter(tags=["auth"])


def _user(account: accounts.Account) -> UserPublic:
    return UserPublic(id=account.id, username=account.username, is_owner=account.is_owner)


@router.post("/auth/login", response_model=SessionPublic)
def login(body: LoginRequest, sb: SoundbiteDep, response: Response) -> SessionPublic:
    """Check the password, open a session and set the `sb_session` and `sb_csrf` cookies."""
    account, session_token = accounts.login(sb, body.username, body.password)
    csrf = set_session_cookies(response, sb.settings, session_token)
    return SessionPublic(user=_user(account), csrf_token=csrf)


@router.post("/auth/logout", status_code=204)
def logout(sb: SoundbiteDep, auth: RequiredAuth, response: Response) -> None:
    """End the browser session (an API token stays valid: revoke it under /api/tokens)."""
    if auth.session_token is not None:
        accounts.logout(sb, auth.session_token)
    clear_session_cookies(response)


@router.get("/auth/me", response_model=SessionPublic)
def me(auth: RequiredAuth) -> SessionPublic:
    token = csrf_token(auth.session_token) if auth.session_token else None
    return SessionPublic(user=_user(auth.account), csrf_token=token)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, sb: SoundbiteDep, user: CurrentUser) -> TokenCreated:
    """Make an API token for `Authorization: Bearer …`. The token is shown only this once."""
    token = accounts.create_api_token(sb, user.id, body.name)
    # the store returns only the secret; its hash finds the row that describes it
    digest = token_hash(token)
    row = next(t for t in accounts.list_api_tokens(sb, user.id) if t.token_hash == digest)
    return TokenCreated(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        token=token,
    )


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(sb: SoundbiteDep, user: CurrentUser) -> list[TokenPublic]:
    return [TokenPublic.model_validate(t) for t in accounts.list_api_tokens(sb, user.id)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> None:
    accounts.revoke_api_token(sb, user.id, token_id)
