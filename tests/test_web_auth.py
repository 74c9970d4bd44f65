"""Authentication over HTTP: session cookies with CSRF, API tokens, and who may read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from soundbite.web.sessions import csrf_token
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_web_support import make_client, sign_in

FAKE_SHA = "0" * 64


@pytest.fixture
def anonymous(app: Soundbite) -> TestClient:
    """A visitor who has not signed in."""
    return make_client(app)


@contextmanager
def instance(tmp_path: Path, database_url: str, **overrides: object) -> Iterator[Soundbite]:
    sb = Soundbite.from_settings(make_settings(tmp_path / "other", database_url, **overrides))
    ensure_owner(sb)
    try:
        yield sb
    finally:
        sb.close()


def test_signed_out_visitors_see_only_public_podcasts_and_write_nothing(
    anonymous: TestClient,
) -> None:
    # reads are per podcast (tests/test_authorization_matrix.py): with nothing public, the
    # lists are empty and a thing by id does not exist
    assert anonymous.get("/api/podcasts").json() == []
    assert anonymous.get("/api/episodes").json()["total"] == 0
    assert anonymous.get("/api/jobs").json() == []
    assert anonymous.get("/api/episodes/1/transcript").status_code == 404
    assert anonymous.get(f"/media/{FAKE_SHA}").status_code == 404
    for method, url in [
        ("GET", "/api/auth/me"),
        ("POST", "/api/feeds"),
        ("POST", "/api/tokens"),
        ("POST", "/api/jobs/1/retry"),
    ]:
        r = anonymous.request(method, url, json={"url": "https://example.org/f", "name": "x"})
        assert r.status_code == 401, (method, url, r.text)
        assert "sign in" in r.json()["detail"]
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_login_sets_cookies_and_writes_need_the_csrf_token(anonymous: TestClient) -> None:
    r = anonymous.post("/api/auth/login", json={"username": "owner", "password": "nope"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong user name or password"

    r = anonymous.post("/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "owner" and body["user"]["is_owner"] is True
    cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
    assert "httponly" in cookies["sb_session"] and "samesite=lax" in cookies["sb_session"]
    assert "httponly" not in cookies["sb_csrf"]
    assert "secure" not in cookies["sb_session"]  # plain http base URL
    session = anonymous.cookies["sb_session"]
    assert body["csrf_token"] == csrf_token(session) == anonymous.cookies["sb_csrf"]

    me = anonymous.get("/api/auth/me").json()
    assert me["csrf_token"] == body["csrf_token"]

    r = anonymous.post("/api/tokens", json={"name": "cli"})
    assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
    r = anonymous.post("/api/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": "f" * 64})
    assert r.status_code == 403
    r = anonymous.post(
        "/api/tokens", json={"name": "cli"}, headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert r.status_code == 201


def test_api_tokens_work_without_csrf_and_stop_when_revoked(
    app: Soundbite, anonymous: TestClient
) -> None:
    sign_in(anonymous)
    created = anonymous.post("/api/tokens", json={"name": "my script"}).json()
    token = created["token"]
    assert token.startswith("sbt_") and created["name"] == "my script"
    listed = anonymous.get("/api/tokens").json()
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]

    script = make_client(app)  # no cookies at all
    bearer = {"Authorization": f"Bearer {token}"}
    me = script.get("/api/auth/me", headers=bearer).json()
    assert me["user"]["username"] == "owner" and me["csrf_token"] is None
    assert script.post("/api/tokens", json={"name": "second"}, headers=bearer).status_code == 201

    # a bad bearer header is refused even when a valid session cookie comes along
    r = anonymous.get("/api/podcasts", headers={"Authorization": "Bearer sbt_wrong"})
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    r = anonymous.get("/api/podcasts", headers={"Authorization": "Basic b3duZXI6eA=="})
    assert r.status_code == 401

    assert anonymous.delete(f"/api/tokens/{created['id']}").status_code == 204
    assert script.get("/api/auth/me", headers=bearer).status_code == 401
    assert anonymous.delete(f"/api/tokens/{created['id']}").status_code == 404


def test_logout_ends_the_session(anonymous: TestClient) -> None:
    sign_in(anonymous)
    session = anonymous.cookies["sb_session"]
    r = anonymous.post("/api/auth/logout")
    assert r.status_code == 204
    assert "sb_session" not in anonymous.cookies
    assert anonymous.get("/api/auth/me").status_code == 401
    # the old cookie, replayed, is dead on the server too
    anonymous.cookies.set("sb_session", session)
    assert anonymous.get("/api/auth/me").status_code == 401


def test_logout_needs_csrf(anonymous: TestClient) -> None:
    sign_in(anonymous)
    del anonymous.headers["X-CSRF-Token"]
    assert anonymous.post("/api/auth/logout").status_code == 403
    assert anonymous.get("/api/auth/me").status_code == 200


def test_public_library_is_readable_but_not_writable(tmp_path: Path, database_url: str) -> None:
    with instance(tmp_path, database_url, public_library=True) as sb:
        anon = make_client(sb)
        assert anon.get("/api/podcasts").json() == []
        assert anon.get("/api/episodes").json()["total"] == 0
        assert anon.get(f"/media/{FAKE_SHA}").status_code == 404
        assert anon.post("/api/feeds", json={"url": "https://example.org/f"}).status_code == 401
        assert anon.get("/api/auth/me").status_code == 401


def test_cookies_are_secure_behind_https(tmp_path: Path, database_url: str) -> None:
    with instance(tmp_path, database_url, public_base_url="https://clips.example.org") as sb:
        r = make_client(sb).post(
            "/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD}
        )
        assert all("secure" in c.lower() for c in r.headers.get_list("set-cookie"))


def test_setup_link_sets_the_owner_password_once(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(
        make_settings(tmp_path / "fresh", database_url, owner_password=None)
    )
    try:
        link_token = ensure_owner(sb)
        assert link_token is not None
        client = make_client(sb)
        page = client.get("/setup", params={"token": link_token})
        assert page.status_code == 200 and 'for="password"' in page.text and link_token in page.text
        assert client.get("/setup").status_code == 400

        form = {"token": link_token, "password": "a new password", "password_again": "different"}
        assert client.post("/setup", data=form).status_code == 422
        form["password_again"] = form["password"]
        bad = client.post("/setup", data={**form, "token": "setup_wrong"})
        assert bad.status_code == 401 and "not valid" in bad.text
        short = client.post("/setup", data={**form, "password": "short", "password_again": "short"})
        assert short.status_code == 422 and "at least 8" in short.text

        done = client.post("/setup", data=form, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert client.get("/api/auth/me").json()["user"]["username"] == "owner"

        again = make_client(sb).post("/setup", data=form)
        assert again.status_code == 401  # the link worked once
        sign_in(make_client(sb), password="a new password")
    finally:
        sb.close()


def test_login_page_and_sign_out_form(anonymous: TestClient) -> None:
    assert anonymous.get("/", follow_redirects=False).headers["location"] == "/login"
    page = anonymous.get("/login")
    assert page.status_code == 200 and '<label for="username">' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]

    wrong = anonymous.post("/login", data={"username": "owner", "password": "nope"})
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    cross_site = {"Origin": "https://evil.example"}
    form = {"username": "owner", "password": OWNER_PASSWORD}
    assert anonymous.post("/login", data=form, headers=cross_site).status_code == 403

    ok = anonymous.post("/login", data=form, follow_redirects=False)
    assert ok.status_code == 303 and "sb_session" in anonymous.cookies
    assert anonymous.get("/login", follow_redirects=False).status_code == 303

    assert anonymous.post("/logout", data={"csrf": "wrong"}).status_code == 403
    out = anonymous.post(
        "/logout", data={"csrf": anonymous.cookies["sb_csrf"]}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert anonymous.get("/api/auth/me").status_code == 401
