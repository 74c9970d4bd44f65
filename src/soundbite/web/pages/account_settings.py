"""The "Your account" page: where you are signed in, your password, your data; for admins,
invite links.

Plain HTML forms like the sign-in page. Every form here acts on a signed-in session, so each
carries the session's CSRF token in a hidden field and is refused (403) without it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from soundbite.errors import Forbidden, SoundbiteError
from soundbite.services import account_data, accounts, moderation, signup
from soundbite.web.deps import Auth, OptionalAuth, SoundbiteDep, client_ip, public_base
from soundbite.web.pages.rendering import render
from soundbite.web.sessions import clear_session_cookies, csrf_token, csrf_valid

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str, Form(max_length=100)]


def _page(
    request: Request,
    sb: SoundbiteDep,
    auth: Auth,
    error: str | None = None,
    status_code: int = 200,
    invite: dict[str, object] | None = None,
) -> Response:
    assert auth.session_token is not None
    context = {
        "user": auth.account,
        "csrf": csrf_token(auth.session_token),
        "sessions": accounts.list_sessions(sb, auth.account.id, auth.session_token),
        "error": error,
        "moderator": moderation.may_moderate(auth.account),
        "signup_mode": signup.signup_mode(sb).value,
        "invite": invite,
    }
    return render(request, "account.html", context, status_code=status_code)


def _session_auth(auth: Auth | None, csrf: str | None = None) -> Auth:
    if auth is None or auth.session_token is None:
        raise Forbidden("sign in first")
    if csrf is not None and not csrf_valid(auth.session_token, csrf):
        raise Forbidden("this form is out of date: reload the page and try again")
    return auth


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, sb: SoundbiteDep, auth: OptionalAuth) -> Response:
    if auth is None or auth.session_token is None:
        return RedirectResponse("/login?next=/account", status_code=303)
    return _page(request, sb, auth)


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(
    session_id: int, sb: SoundbiteDep, auth: OptionalAuth, csrf: CsrfField = ""
) -> Response:
    signed_in = _session_auth(auth, csrf)
    accounts.revoke_session(sb, signed_in.account.id, session_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    csrf: CsrfField = "",
) -> Response:
    signed_in = _session_auth(auth, csrf)
    try:
        accounts.confirm_password(
            sb, signed_in.account, current_password, client_ip=client_ip(request), limits=sb.limits
        )
        accounts.set_password(sb, signed_in.account.username, new_password)
    except SoundbiteError as exc:
        return _page(request, sb, signed_in, error=exc.message, status_code=exc.status_code)
    response = RedirectResponse("/login?next=/account", status_code=303)
    clear_session_cookies(response)  # every session ended with the old password
    return response


@router.post("/account/delete", response_class=HTMLResponse)
def delete_account(
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    password: Annotated[str, Form(max_length=1024)],
    csrf: CsrfField = "",
) -> Response:
    signed_in = _session_auth(auth, csrf)
    try:
        accounts.confirm_password(
            sb, signed_in.account, password, client_ip=client_ip(request), limits=sb.limits
        )
        account_data.delete_account(sb, signed_in.account.id)
    except SoundbiteError as exc:
        return _page(request, sb, signed_in, error=exc.message, status_code=exc.status_code)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookies(response)
    return response


@router.post("/account/invites", response_class=HTMLResponse)
def create_invite(
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    max_uses: Annotated[int, Form()] = 1,
    csrf: CsrfField = "",
) -> Response:
    """(Admin) Make an invite link. The page shows it in the response rather than after a
    redirect: only the token's hash is stored, so this is the one moment it can be shown."""
    signed_in = _session_auth(auth, csrf)
    try:
        info, token = signup.create_invite(sb, signed_in.account, max_uses=max_uses)
    except SoundbiteError as exc:
        return _page(request, sb, signed_in, error=exc.message, status_code=exc.status_code)
    url = f"{public_base(request, sb.settings)}/signup?invite={token}"
    invite = {"url": url, "max_uses": info.max_uses, "expires_at": info.expires_at}
    return _page(request, sb, signed_in, status_code=201, invite=invite)
