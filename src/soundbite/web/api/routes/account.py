"""Your own account: sessions, password, a JSON export of your data, deleting it all; and,
for admins, invite links.

Changing the password or deleting the account asks for the current password again, so a
browser left signed in is not enough to take the account over or destroy it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from soundbite.domain.accounts import Account
from soundbite.services import account_data, accounts, signup
from soundbite.services.schemas import (
    InviteCreate,
    InviteCreated,
    InvitePublic,
    PasswordChange,
    PasswordConfirm,
    WebSessionPublic,
)
from soundbite.web.api.params import RowIdPath
from soundbite.web.deps import CurrentUser, RequiredAuth, SoundbiteDep, client_ip, public_base
from soundbite.web.sessions import clear_session_cookies

router = APIRouter(tags=["account"])


def _confirm(sb: SoundbiteDep, request: Request, user: Account, password: str) -> None:
    # the same lockout as signing in: a stolen session cannot guess the password here instead
    accounts.confirm_password(sb, user, password, client_ip=client_ip(request), limits=sb.limits)


@router.get("/account/sessions", response_model=list[WebSessionPublic])
def list_sessions(sb: SoundbiteDep, auth: RequiredAuth) -> list[WebSessionPublic]:
    """Where you are signed in (browser sessions; API tokens are under /api/tokens)."""
    rows = accounts.list_sessions(sb, auth.account.id, auth.session_token)
    return [WebSessionPublic.model_validate(r) for r in rows]


@router.delete("/account/sessions/{session_id}", status_code=204)
def revoke_session(session_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> None:
    """Sign out one device."""
    accounts.revoke_session(sb, user.id, session_id)


@router.put("/account/password", status_code=204)
def change_password(
    body: PasswordChange, request: Request, sb: SoundbiteDep, user: CurrentUser
) -> None:
    """Change your password; every session ends (sign in again with the new one)."""
    _confirm(sb, request, user, body.current_password)
    accounts.set_password(sb, user.username, body.new_password)


@router.get("/account/export")
def export(sb: SoundbiteDep, user: CurrentUser) -> JSONResponse:
    """Everything Soundbite keeps about you, as a JSON download."""
    data: dict[str, Any] = account_data.export_account(sb, user.id)
    name = f"soundbite-{user.username}.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.delete("/account", status_code=204)
def delete_account(
    body: PasswordConfirm, request: Request, sb: SoundbiteDep, user: CurrentUser
) -> Response:
    """Delete your account with your clips, sessions and tokens (not the last admin)."""
    _confirm(sb, request, user, body.password)
    account_data.delete_account(sb, user.id)
    response = Response(status_code=204)
    clear_session_cookies(response)
    return response


@router.post("/invites", response_model=InviteCreated, status_code=201)
def create_invite(
    body: InviteCreate, request: Request, sb: SoundbiteDep, user: CurrentUser
) -> InviteCreated:
    """(Admin) An invite link for `max_uses` sign-ups; its token is shown only this once."""
    info, token = signup.create_invite(sb, user, max_uses=body.max_uses, days=body.days)
    url = f"{public_base(request, sb.settings)}/signup?invite={token}"
    return InviteCreated(**asdict(info), token=token, url=url)


@router.get("/invites", response_model=list[InvitePublic])
def list_invites(sb: SoundbiteDep, user: CurrentUser) -> list[InvitePublic]:
    return [InvitePublic.model_validate(i) for i in signup.list_invites(sb, user)]


@router.delete("/invites/{invite_id}", status_code=204)
def revoke_invite(invite_id: RowIdPath, sb: SoundbiteDep, user: CurrentUser) -> None:
    signup.revoke_invite(sb, user, invite_id)
