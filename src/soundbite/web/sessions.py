"""Session cookies and the CSRF token bound to them, shared by the JSON API and the pages.

The session cookie is HttpOnly, so page scripts never see the secret. CSRF protection is the
"double submit" of a value derived from that secret: ``sha256("csrf:" + session token)``.
It is handed out in a readable ``sb_csrf`` cookie and in the login/me responses, and every
cookie-authenticated unsafe request must echo it in ``X-CSRF-Token``. A cross-site attacker
can make the browser send our cookies but can neither read them nor compute the value, and
because the value is derived rather than stored there is nothing to keep in the database.
SameSite=Lax is a second fence, not the only one: older browsers ignore it.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Response

from soundbite.services.accounts import SESSION_DAYS
from soundbite.settings import Settings

SESSION_COOKIE = "sb_session"
CSRF_COOKIE = "sb_csrf"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token(session_token: str) -> str:
    return hashlib.sha256(f"csrf:{session_token}".encode()).hexdigest()


def csrf_valid(session_token: str, given: str | None) -> bool:
    if not given:
        return False
    # constant time, so the response time says nothing about how much of a guess was right
    return hmac.compare_digest(csrf_token(session_token).encode(), given.encode())


def set_session_cookies(
    response: Response, settings: Settings, session_token: str, *, over_https: bool = False
) -> str:
    """Set both cookies on a response; returns the CSRF token for the response body.

    They are Secure when the public URL is https or the request came over https (directly,
    or through a proxy that uvicorn trusts with --forwarded-allow-ips).
    """
    secure = over_https or settings.base_url.startswith("https://")
    max_age = SESSION_DAYS * 24 * 3600
    token = csrf_token(session_token)
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="lax",
        secure=secure,
    )
    return token


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
