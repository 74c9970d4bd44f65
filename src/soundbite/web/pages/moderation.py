"""Moderation pages: the share page's report form (``POST /c/{id}/report``) and the
moderators' queue (``/moderation``). Plain HTML forms, no script.

The report form is anonymous-friendly: it carries a signed form token instead of a session
CSRF token (the share page is cached and the same for everyone) and refuses cross-site
``Origin``s; a signed-in visitor's report is filed under their account. The queue's forms act
on a signed-in session and carry its CSRF token, like the account page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from soundbite.bootstrap import Soundbite
from soundbite.clips import service
from soundbite.domain.moderation import REASON_LABELS
from soundbite.errors import Forbidden, Gone, NotFound, SoundbiteError, TooManyRequests
from soundbite.services import moderation
from soundbite.web.deps import Auth, OptionalAuth, SoundbiteDep, client_ip
from soundbite.web.pages.rendering import check_same_origin, render
from soundbite.web.pages.share import missing, removed, report_context
from soundbite.web.sessions import csrf_token, csrf_valid

router = APIRouter(include_in_schema=False)

# fixed sentences, so the `done` query parameter cannot put words of its own on the page
DONE = {
    "hide": "Clip hidden: its link now says it was removed.",
    "unhide": "Clip back: its link plays again.",
    "delete": "Clip deleted, with its reports.",
    "dismiss": "Reports dismissed; the clip stays.",
    "disable-author": "The clip's author can no longer sign in.",
}


@router.post("/c/{share_id}/report", response_class=HTMLResponse)
def report_form(
    share_id: str,
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    form_token: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    check_same_origin(request, sb.settings)
    moderation.check_report_form(sb, share_id, form_token)
    reporter = auth.account if auth else None
    try:
        view = service.get_clip(sb, share_id, reporter)
    except NotFound:
        return missing(request)
    except Gone:
        return removed(request)
    try:
        moderation.report_clip(
            sb,
            share_id,
            reporter,
            reason=reason,
            note=note,
            ip=client_ip(request),
            limits=sb.limits,
        )
    except SoundbiteError as exc:
        return _form_again(request, sb, view, exc, reason, note)
    return render(request, "clip_report.html", {"clip": view, "sent": True})


def _form_again(
    request: Request,
    sb: Soundbite,
    view: service.ClipView,
    exc: SoundbiteError,
    reason: str,
    note: str,
) -> Response:
    context = {
        "clip": view,
        "error": exc.message,
        "report_reason": reason if reason in REASON_LABELS else None,
        "report_note": note,
        **report_context(sb, view),
    }
    response = render(request, "clip_report.html", context, status_code=exc.status_code)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


@router.get("/moderation", response_class=HTMLResponse)
def queue_page(request: Request, sb: SoundbiteDep, auth: OptionalAuth, done: str = "") -> Response:
    if auth is None or auth.session_token is None:
        return RedirectResponse("/login?next=/moderation", status_code=303)
    return _queue(request, sb, auth, done=DONE.get(done))


def _queue(
    request: Request,
    sb: Soundbite,
    auth: Auth,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    assert auth.session_token is not None
    if not moderation.may_moderate(auth.account):
        error = "Only moderators (admins, and creators for their podcasts) can see this page."
        return render(request, "moderation.html", {"error": error, "items": None}, 403)
    context = {
        "items": moderation.queue(sb, auth.account),
        "hidden": moderation.hidden_clips(sb, auth.account),
        "me": auth.account,
        "csrf": csrf_token(auth.session_token),
        "done": done,
        "error": error,
        "reason_labels": REASON_LABELS,
    }
    return render(request, "moderation.html", context, status_code)


@router.post("/moderation/clips/{share_id}/{action}", response_class=HTMLResponse)
def queue_action(
    share_id: str,
    action: Annotated[str, Path(max_length=32)],
    request: Request,
    sb: SoundbiteDep,
    auth: OptionalAuth,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if auth is None or auth.session_token is None:
        raise Forbidden("sign in first")
    if not csrf_valid(auth.session_token, csrf):
        raise Forbidden("this form is out of date: reload the page and try again")
    try:
        moderation.act(sb, auth.account, share_id, action)
    except SoundbiteError as exc:  # shown on the queue, like every page form's refusal
        return _queue(request, sb, auth, error=exc.message, status_code=exc.status_code)
    finally:
        sb.pages.forget(share_id)  # this process's cached share and embed pages
    return RedirectResponse(f"/moderation?done={action}", status_code=303)
