"""Pages for signing in, signing up, signing out and first-run setup: plain HTML forms, no
script.

They work before any JavaScript app exists and whatever a browser blocks. A failed attempt
shows the form again with the reason and an honest status code (401, 422) rather than
a redirect, so the typed user name survives and tests can tell outcomes apart.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from soundbite.domain.accounts import SignupMode
from soundbite.errors import InvalidInput, SoundbiteError, TooManyRequests
from soundbite.services import accounts, signup
from soundbite.web.deps import OptionalAuth, SoundbiteDep, client_ip
from soundbite.web.pages.rendering import check_same_origin, render
from soundbite.web.sessions import clear_session_cookies, csrf_valid, set_session_cookies

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site ("//host" would leave it)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _signed_in(
    sb: SoundbiteDep, request: Request, session_token: str, target: str = "/"
) -> RedirectResponse:
    # 303: the browser follows with a GET, so reloading the page does not post again
    response = RedirectResponse(safe_next(target), status_code=303)
    https = request.url.scheme == "https"
    set_session_cookies(response, sb.settings, session_token, over_https=https)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, sb: SoundbiteDep, auth: OptionalAuth, next: str = "/") -> Response:
    if auth is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    open_signup = signup.signup_mode(sb) is SignupMode.OPEN
    return render(request, "login.html", {"next": safe_next(next), "open_signup": open_signup})


@router.post("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    sb: SoundbiteDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_same_origin(request, sb.settings)
    try:
        _, session_token = accounts.login(
            sb,
            username,
            password,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            limits=sb.limits,
        )
    except SoundbiteError as exc:
        context = {"error": exc.message, "username": username, "next": safe_next(next)}
        return _failed(request, "login.html", context, exc)
    return _signed_in(sb, request, session_token, next)


def _failed(
    request: Request, template: str, context: dict[str, Any], exc: SoundbiteError
) -> Response:
    response = render(request, template, context, status_code=exc.status_code)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request, sb: SoundbiteDep, invite: str = "") -> Response:
    mode = signup.signup_mode(sb)
    context = {"invite": invite, "mode": mode.value}
    if mode is SignupMode.CLOSED or (mode is SignupMode.INVITE and not invite):
        context["error"] = (
            "sign-up is closed on this server: ask an admin for an account"
            if mode is SignupMode.CLOSED
            else "sign-up on this server needs an invite link"
        )
        return render(request, "signup.html", context, status_code=403)
    return render(request, "signup.html", context)


@router.post("/signup", response_class=HTMLResponse)
def signup_form(
    request: Request,
    sb: SoundbiteDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    password_again: Annotated[str, Form(max_length=1024)],
    invite: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_same_origin(request, sb.settings)
    try:
        if password != password_again:
            raise InvalidInput("the two passwords differ")
        _, session_token = signup.sign_up(
            sb,
            username,
            password,
            invite=invite or None,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            limits=sb.limits,
        )
    except SoundbiteError as exc:
        mode = signup.signup_mode(sb).value
        context = {"error": exc.message, "username": username, "invite": invite, "mode": mode}
        return _failed(request, "signup.html", context, exc)
    return _signed_in(sb, request, session_token)


@router.post("/logout")
def logout_form(
    request: Request, sb: SoundbiteDep, auth: OptionalAuth, csrf: Annotated[str, Form()] = ""
) -> Response:
    if auth is not None and auth.session_token is not None:
        if not csrf_valid(auth.session_token, csrf):
            return render(request, "login.html", {"error": "please sign out again"}, 403)
        accounts.logout(sb, auth.session_token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookies(response)
    return response


@router.get("/setup", response_class=HTMLResponse)
def setup_page(request: Request, token: str = "") -> Response:
    if not token:
        error = "open the setup link printed in the console when Soundbite first started"
        return render(request, "setup.html", {"error": error}, status_code=400)
    return render(request, "setup.html", {"token": token})


@router.post("/setup", response_class=HTMLResponse)
def setup_form(
    request: Request,
    sb: SoundbiteDep,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    password_again: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Set the owner's password with the one-time link, then sign straight in."""
    check_same_origin(request, sb.settings)
    try:
        if password != password_again:
            raise InvalidInput("the two passwords differ")
        account = accounts.complete_setup(sb, token, password)
        _, session_token = accounts.login(sb, account.username, password)
    except SoundbiteError as exc:
        context = {"error": exc.message, "token": token}
        return render(request, "setup.html", context, status_code=exc.status_code)
    return _signed_in(sb, request, session_token)
