"""Accounts over HTTP: sign-up (JSON and the plain form), invites, sessions, scoped tokens,
password change, export, deletion, the account page, and the 429s of the abuse limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import add_user, ensure_owner
from tests.conftest import make_settings
from tests.test_clip_support import add_sonnet
from tests.test_web_support import make_client, sign_in

PASSWORD = "listener's own sturdy passphrase"


@pytest.fixture
def sb(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Iterator[Soundbite]:
    overrides = getattr(request, "param", {})
    app = Soundbite.from_settings(make_settings(tmp_path / "d", database_url, **overrides))
    ensure_owner(app)
    yield app
    app.close()


def signed_up(client: TestClient, username: str, **extra: str) -> TestClient:
    r = client.post("/api/auth/signup", json={"username": username, "password": PASSWORD, **extra})
    assert r.status_code == 201, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_closed_by_default(sb: Soundbite) -> None:
    r = make_client(sb).post("/api/auth/signup", json={"username": "ann", "password": PASSWORD})
    assert r.status_code == 403 and "closed" in r.json()["detail"]
    page = make_client(sb).get("/signup")
    assert page.status_code == 403 and "ask an admin" in page.text
    assert 'href="/signup"' not in make_client(sb).get("/login").text
    form = {"username": "ann", "password": PASSWORD, "password_again": PASSWORD}
    posted = make_client(sb).post("/signup", data=form)
    assert posted.status_code == 403 and 'name="password_again"' not in posted.text


@pytest.mark.parametrize("sb", [{"signup_mode": "invite"}], indirect=True)
def test_admin_invites_a_listener_who_signs_up_with_the_form(sb: Soundbite) -> None:
    admin = make_client(sb)
    sign_in(admin)
    created = admin.post("/api/invites", json={"max_uses": 1}).json()
    assert created["url"].endswith(f"/signup?invite={created['token']}")
    assert admin.get("/api/invites").json()[0]["uses"] == 0

    listener = make_client(sb)
    assert listener.get("/signup").status_code == 403  # no invite: no form
    page = listener.get("/signup", params={"invite": created["token"]})
    assert page.status_code == 200 and 'name="invite"' in page.text
    form = {"username": "ann", "invite": created["token"]}
    weak = listener.post(
        "/signup", data={**form, "password": "ann12345", "password_again": "ann12345"}
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    done = listener.post(
        "/signup",
        data={**form, "password": PASSWORD, "password_again": PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    me = listener.get("/api/auth/me").json()["user"]
    assert (me["username"], me["role"], me["is_owner"]) == ("ann", "listener", False)

    again = make_client(sb).post(
        "/signup",
        data={**form, "username": "bob", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert again.status_code == 403 and "not valid" in again.text
    listener.headers["X-CSRF-Token"] = listener.cookies["sb_csrf"]
    assert listener.post("/api/invites", json={}).status_code == 403  # listeners cannot invite
    assert listener.get("/api/users").status_code == 403
    assert listener.patch("/api/users/owner", json={"disabled": True}).status_code == 403

    # the admin manages the new account
    listed = {u["username"]: u for u in admin.get("/api/users").json()}
    assert listed["ann"]["role"] == "listener" and listed["ann"]["disabled"] is False
    assert admin.patch("/api/users/ann", json={"disabled": True}).status_code == 204
    assert listener.get("/api/auth/me").status_code == 401  # signed out everywhere
    assert admin.patch("/api/users/owner", json={"role": "listener"}).status_code == 409
    assert admin.patch("/api/users/nobody", json={"role": "admin"}).status_code == 404
    assert (
        admin.patch("/api/users/ann", json={"role": "admin", "disabled": False}).status_code == 204
    )
    assert admin.get("/api/users").json()[1]["role"] == "admin"


@pytest.mark.parametrize("sb", [{"signup_mode": "open"}], indirect=True)
def test_sessions_tokens_password_export_and_deletion(sb: Soundbite) -> None:
    assert 'href="/signup"' in make_client(sb).get("/login").text
    laptop = signed_up(make_client(sb), "ann")
    phone = make_client(sb)
    r = phone.post(
        "/api/auth/login",
        json={"username": "ann", "password": PASSWORD},
        headers={"User-Agent": "Phone browser"},
    )
    assert r.status_code == 200

    sessions = laptop.get("/api/account/sessions").json()
    assert [(s["user_agent"], s["current"]) for s in sessions] == [
        ("testclient", True),
        ("Phone browser", False),
    ]
    assert laptop.delete(f"/api/account/sessions/{sessions[1]['id']}").status_code == 204
    assert phone.get("/api/auth/me").status_code == 401

    token = laptop.post("/api/tokens", json={"name": "feed reader", "scope": "read"}).json()
    assert token["scope"] == "read"
    bearer = {"Authorization": f"Bearer {token['token']}"}
    script = make_client(sb)
    assert script.get("/api/account/export", headers=bearer).status_code == 200
    r = script.post("/api/tokens", json={"name": "more"}, headers=bearer)
    assert r.status_code == 403 and "read" in r.json()["detail"]

    export = laptop.get("/api/account/export")
    assert "attachment" in export.headers["content-disposition"]
    data = export.json()
    assert data["account"]["username"] == "ann" and data["clips"] == []
    assert [t["scope"] for t in data["api_tokens"]] == ["read"]
    assert data["history"] == [] and data["subscriptions"] == [] and data["drafts"] == []

    wrong = laptop.put(
        "/api/account/password", json={"current_password": "nope nope", "new_password": "x"}
    )
    assert wrong.status_code == 401
    weak = laptop.put(
        "/api/account/password", json={"current_password": PASSWORD, "new_password": "abcdefgh"}
    )
    assert weak.status_code == 422
    new = "another sturdy passphrase of ann"
    ok = laptop.put(
        "/api/account/password", json={"current_password": PASSWORD, "new_password": new}
    )
    assert ok.status_code == 204
    assert laptop.get("/api/auth/me").status_code == 401  # every session ended

    again = make_client(sb)
    r = again.post("/api/auth/login", json={"username": "ann", "password": new})
    again.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    assert (
        again.request("DELETE", "/api/account", json={"password": "wrong one"}).status_code == 401
    )
    assert again.request("DELETE", "/api/account", json={"password": new}).status_code == 204
    assert (
        make_client(sb)
        .post("/api/auth/login", json={"username": "ann", "password": new})
        .status_code
        == 401
    )
    assert script.get("/api/auth/me", headers=bearer).status_code == 401  # tokens went too


def test_the_account_page(sb: Soundbite) -> None:
    client = make_client(sb)
    assert (
        client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"
    )
    sign_in(client)
    other = make_client(sb)
    sign_in(other)
    page = client.get("/account")
    assert page.status_code == 200 and "(this browser)" in page.text
    assert 'href="/api/account/export"' in page.text
    csrf = client.cookies["sb_csrf"]
    assert f'value="{csrf}"' in page.text
    ids = [s["id"] for s in client.get("/api/account/sessions").json() if not s["current"]]
    r = client.post(
        f"/account/sessions/{ids[0]}/revoke", data={"csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and other.get("/api/auth/me").status_code == 401
    last = client.post(
        "/account/delete", data={"csrf": csrf, "password": "correct horse battery staple"}
    )
    assert last.status_code == 409 and "last admin" in last.text


@pytest.mark.parametrize("sb", [{"signup_mode": "invite"}], indirect=True)
def test_an_admin_makes_an_invite_link_on_the_account_page(sb: Soundbite) -> None:
    admin = make_client(sb)
    sign_in(admin)
    csrf = admin.cookies["sb_csrf"]
    assert "Make an invite link" in admin.get("/account").text
    assert admin.post("/account/invites", data={"max_uses": "3"}).status_code == 403  # no CSRF
    made = admin.post("/account/invites", data={"csrf": csrf, "max_uses": "3"})
    assert made.status_code == 201 and "for 3 sign-ups" in made.text
    token = re.search(r'value="[^"]*/signup\?invite=(inv[^"]+)"', made.text)
    assert token is not None
    assert admin.get("/api/invites").json()[0]["max_uses"] == 3
    assert "/signup?invite=" not in admin.get("/account").text  # shown once, never again
    listener = make_client(sb)
    form = {"username": "ann", "invite": token[1], "password": PASSWORD}
    done = listener.post(
        "/signup", data={**form, "password_again": PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    too_many = admin.post("/account/invites", data={"csrf": csrf, "max_uses": "0"})
    assert too_many.status_code == 422 and "1 to 10000 sign-ups" in too_many.text
    # a listener gets neither the form nor the link
    assert "Make an invite link" not in listener.get("/account").text
    listener_csrf = listener.cookies["sb_csrf"]
    refused = listener.post("/account/invites", data={"csrf": listener_csrf, "max_uses": "1"})
    assert refused.status_code == 403 and "/signup?invite=" not in refused.text


@pytest.mark.parametrize(
    "sb", [{"signup_mode": "open", "signup_limit_per_ip": "2/hour"}], indirect=True
)
def test_sign_up_limit_answers_429_with_retry_after(sb: Soundbite) -> None:
    for name in ["ann", "bob"]:
        signed_up(make_client(sb), name)
    r = make_client(sb).post("/api/auth/signup", json={"username": "cid", "password": PASSWORD})
    assert r.status_code == 429 and 3000 < int(r.headers["retry-after"]) <= 3600
    elsewhere = TestClient(make_client(sb).app, client=("192.0.2.9", 1))
    assert signed_up(elsewhere, "cid").get("/api/auth/me").status_code == 200


@pytest.mark.parametrize(
    "sb",
    [
        {
            "clip_limit_per_account": "2/hour",
            "renders_in_flight_per_user": 1,
            "clip_prerender": False,
        }
    ],
    indirect=True,
)
def test_clip_creation_limit_and_render_cap(sb: Soundbite) -> None:
    admin = make_client(sb)
    sign_in(admin)
    episode = add_sonnet(sb, admin.get("/api/auth/me").json()["user"]["id"])
    add_user(sb, "ann", PASSWORD)
    client = make_client(sb)
    r = client.post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    me = r.json()["user"]["id"]
    made = [
        client.post("/api/clips", json={"episode_id": episode, "start_ms": s, "end_ms": s + 3000})
        for s in (1000, 9000, 17000)
    ]
    assert [r.status_code for r in made] == [201, 201, 429]
    assert 3000 < int(made[2].headers["retry-after"]) <= 3600

    # a render of this user's is in flight (held here as a slow render would hold it)
    slot = sb.limits.take_render_slot(f"user:{me}")
    audio = f"/c/{made[0].json()['id']}/audio.mp3"
    r = client.get(audio)
    assert r.status_code == 429 and r.headers["retry-after"] == "5"
    slot.release()
    r = client.get(audio)
    assert r.status_code == 200 and (r.content[:3] == b"ID3" or r.content[:2] == b"\xff\xfb")
    assert client.get(audio).status_code == 200  # stored now: no slot needed, none held
    sb.limits.take_render_slot(f"user:{me}").release()  # and the request's slot was freed

    # the admin is limited in neither
    for start in (25_000, 30_000, 35_000):
        r = admin.post(
            "/api/clips", json={"episode_id": episode, "start_ms": start, "end_ms": start + 3000}
        )
        assert r.status_code == 201
    held = sb.limits.take_render_slot(f"user:{admin.get('/api/auth/me').json()['user']['id']}")
    assert admin.get(r.json()["audio_url"]).status_code == 200
    held.release()
