"""Security checks of the issue's acceptance list: session cookie flags, CSRF on every
cookie-authenticated write, and the sign-in lockout seen from two addresses.

The CSRF test enumerates the application's own routes, so a write route added later is
covered without editing this file; only routes that act before there is a session (they check
the Origin header instead) or that anyone may call anonymously are exempt, by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from soundbite.bootstrap import Soundbite
from soundbite.web.app import create_app
from soundbite.web.sessions import UNSAFE_METHODS
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_web_support import make_client, sign_in

# before a session exists there is no token to bind to: these refuse cross-site Origins
PRE_SESSION = {"/api/auth/login", "/api/auth/signup", "/login", "/signup", "/setup"}
# play/share/click-through counts: anonymous by design, so a forged one is no different
ANONYMOUS = {"/api/clips/{share_id}/events", "/api/analytics/clips/{share_id}/beacon"}
LISTENER_PASSWORD = "listener's own sturdy passphrase"
# every field any page form asks for (the CSRF field left out)
FORM = {
    "password": OWNER_PASSWORD,
    "current_password": OWNER_PASSWORD,
    "new_password": "a different sturdy passphrase",
}


def _api_routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        # FastAPI ≥ 0.160 keeps included routers nested instead of copying their routes; a
        # router's own routes carry its prefix already, the routers included in it do not
        inner = getattr(route, "original_router", None)
        if inner is None:
            if isinstance(route, APIRoute):
                yield prefix + route.path, route
            continue
        for sub in inner.routes:
            if getattr(sub, "original_router", None) is not None:
                yield from _api_routes([sub], prefix + inner.prefix)
            elif isinstance(sub, APIRoute):
                yield prefix + sub.path, sub


def write_routes(app: Soundbite) -> list[tuple[str, str]]:
    routes = []
    for path, route in _api_routes(create_app(app).routes):
        if path in PRE_SESSION | ANONYMOUS:
            continue
        for method in sorted(route.methods & UNSAFE_METHODS):
            routes.append((method, path))
    return routes


def test_every_cookie_authenticated_write_is_enumerated(app: Soundbite) -> None:
    found = set(write_routes(app))
    # a sample the enumeration must find: if it finds fewer, it is broken, not the app safe
    for expected in [
        ("POST", "/api/clips"),
        ("DELETE", "/api/account"),
        ("POST", "/api/tokens"),
        ("POST", "/account/delete"),
        ("POST", "/logout"),
    ]:
        assert expected in found
    assert len(found) >= 20


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def signed_in(app: Soundbite) -> TestClient:
    client = make_client(app)
    sign_in(client)
    del client.headers["X-CSRF-Token"]  # signed in by cookie, but sending no CSRF token
    return client


def _body(path: str) -> dict[str, object]:
    """A body that would pass validation, so only the CSRF check can refuse it."""
    if path.startswith("/api/"):
        return {"json": {}}
    return {"data": FORM}


def test_csrf_is_refused_on_every_cookie_authenticated_write(
    app: Soundbite, signed_in: TestClient
) -> None:
    for method, path in write_routes(app):
        url = _concrete(path)
        r = signed_in.request(method, url, follow_redirects=False, **_body(path))  # type: ignore[arg-type]
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
        wrong = signed_in.request(
            method,
            url,
            headers={"X-CSRF-Token": "f" * 64},
            follow_redirects=False,
            **_body(path),  # type: ignore[arg-type]
        )
        assert wrong.status_code == 403, (method, path, "wrong token", wrong.status_code)
    # still signed in: none of the refused requests signed out or deleted anything
    assert signed_in.get("/api/auth/me").status_code == 200


def test_page_forms_refuse_a_missing_or_wrong_csrf_field(signed_in: TestClient) -> None:
    for path in ["/account/sessions/1/revoke", "/account/password", "/account/delete", "/logout"]:
        for field in [{}, {"csrf": "f" * 64}]:
            form = {
                "password": OWNER_PASSWORD,
                "current_password": OWNER_PASSWORD,
                "new_password": "a different sturdy passphrase",
                **field,
            }
            r = signed_in.post(path, data=form, follow_redirects=False)
            assert r.status_code == 403, (path, field, r.status_code)
    assert signed_in.get("/api/auth/me").status_code == 200


def _cookie_flags(response: object) -> dict[str, str]:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {c.split("=", 1)[0]: c.lower() for c in headers}


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "https://clips.example.org"])
def test_session_cookie_flags_on_every_way_in(
    tmp_path: Path, database_url: str, base_url: str
) -> None:
    https = base_url.startswith("https")
    sb = Soundbite.from_settings(
        make_settings(tmp_path / "d", database_url, public_base_url=base_url, signup_mode="open")
    )
    try:
        from soundbite.services.accounts import ensure_owner

        ensure_owner(sb)
        ways = {
            "api login": lambda c: c.post(
                "/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD}
            ),
            "page login": lambda c: c.post(
                "/login",
                data={"username": "owner", "password": OWNER_PASSWORD},
                follow_redirects=False,
            ),
            "api signup": lambda c: c.post(
                "/api/auth/signup", json={"username": "ann", "password": LISTENER_PASSWORD}
            ),
            "page signup": lambda c: c.post(
                "/signup",
                data={
                    "username": "bob",
                    "password": LISTENER_PASSWORD,
                    "password_again": LISTENER_PASSWORD,
                },
                follow_redirects=False,
            ),
        }
        for name, way in ways.items():
            r = way(make_client(sb))
            assert r.status_code in (200, 201, 303), (name, r.text)
            session = _cookie_flags(r)["sb_session"]
            assert "httponly" in session and "samesite=lax" in session, name
            assert ("; secure" in session) is https, (name, session)
            assert "httponly" not in _cookie_flags(r)["sb_csrf"]  # the page script reads it
    finally:
        sb.close()


def test_session_cookie_is_secure_when_the_request_came_over_https(app: Soundbite) -> None:
    # no https public URL configured: the request's own scheme decides
    client = TestClient(create_app(app), base_url="https://clips.example.org")
    r = client.post("/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD})
    assert "; secure" in _cookie_flags(r)["sb_session"]
    plain = make_client(app).post(
        "/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD}
    )
    assert "; secure" not in _cookie_flags(plain)["sb_session"]


def test_twenty_wrong_passwords_lock_that_address_not_the_real_user(app: Soundbite) -> None:
    attacker = TestClient(create_app(app), client=("203.0.113.7", 40000))
    owner_elsewhere = TestClient(create_app(app), client=("198.51.100.20", 40000))
    statuses = [
        attacker.post(
            "/api/auth/login", json={"username": "owner", "password": f"guess {n}"}
        ).status_code
        for n in range(20)
    ]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}

    # locked: even the right password is refused from there, with how long to wait
    r = attacker.post("/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD})
    assert r.status_code == 429 and "wrong passwords" in r.json()["detail"]
    assert 0 < int(r.headers["retry-after"]) <= 3600  # a back-off, never forever
    page = attacker.post("/login", data={"username": "owner", "password": OWNER_PASSWORD})
    assert page.status_code == 429 and int(page.headers["retry-after"]) <= 3600

    # the real user, from their own address, signs straight in
    r = owner_elsewhere.post(
        "/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD}
    )
    assert r.status_code == 200 and r.json()["user"]["role"] == "admin"
