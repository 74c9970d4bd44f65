"""The app's pages from the server's side: the shell for every client route, its settings
and CSP nonce, and who is sent to sign in (the browser tests in tests/browser drive the app)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.services.access import set_visibility
from soundbite.services.accounts import ensure_owner, owner_account
from soundbite.services.library import add_media_file
from soundbite.web.pages.app import SHELL
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_web_support import SPEECH, make_client

APP_PATHS = ["/", "/episodes/7?t=83.5", "/podcasts/2", "/clips", "/search?q=rose"]

pytestmark = pytest.mark.skipif(
    not SHELL.exists(), reason="the web app is not built: `make install` builds it"
)


def _config(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="sb-config">(.*?)</script>', html)
    assert found, "no settings block in the shell"
    config: dict[str, object] = json.loads(found.group(1))
    return config


@pytest.mark.parametrize("path", APP_PATHS)
def test_app_routes_serve_the_shell_with_settings_and_a_fresh_nonce(
    app: Soundbite, client: TestClient, path: str
) -> None:
    first, second = client.get(path), client.get(path)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    config = _config(first.text)
    assert config["clip_max_ms"] == app.settings.clip_max_seconds * 1000
    assert config["clip_min_ms"] == 1000
    csp = first.headers["content-security-policy"]
    assert f"'nonce-{config['style_nonce']}'" in csp
    assert "script-src 'self';" in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert _config(second.text)["style_nonce"] != config["style_nonce"]
    for asset in re.findall(r'(?:src|href)="(/static/app/[^"]+)"', first.text):
        assert client.get(asset).status_code == 200


def test_signed_out_visitors_sign_in_and_come_back(app: Soundbite) -> None:
    client = make_client(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    away = client.get("/episodes/7?t=83", follow_redirects=False)
    assert (
        away.status_code == 303 and away.headers["location"] == "/login?next=/episodes/7%3Ft%3D83"
    )
    form = client.get("/login?next=/episodes/7%3Ft%3D83")
    assert 'name="next" value="/episodes/7?t=83"' in form.text
    done = client.post(
        "/login",
        data={"username": "owner", "password": OWNER_PASSWORD, "next": "/episodes/7?t=83"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/episodes/7?t=83"
    assert client.get("/login?next=/clips", follow_redirects=False).headers["location"] == "/clips"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_sign_in_never_sends_anyone_to_another_site(app: Soundbite, target: str) -> None:
    client = make_client(app)
    done = client.post(
        "/login",
        data={"username": "owner", "password": OWNER_PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_unknown_paths_are_not_the_app(client: TestClient) -> None:
    assert client.get("/nothing-here").status_code == 404
    assert client.get("/api/nothing").status_code == 404


def test_a_public_podcast_opens_without_sign_in(tmp_path: Path, database_url: str) -> None:
    """`public_library` makes new podcasts public: their pages open for a signed-out visitor;
    once an admin makes one private, its pages ask to sign in."""
    sb = Soundbite.from_settings(make_settings(tmp_path / "d", database_url, public_library=True))
    try:
        ensure_owner(sb)
        episode_id = add_media_file(sb, SPEECH, owner_account(sb).id)
        visitor = make_client(sb)
        page = visitor.get(f"/episodes/{episode_id}", follow_redirects=False)
        assert page.status_code == 200 and _config(page.text)["public_library"] is True
        assert visitor.get("/", follow_redirects=False).status_code == 200
        podcast_id = visitor.get(f"/api/episodes/{episode_id}").json()["podcast_id"]
        set_visibility(sb, owner_account(sb), podcast_id, "private")
        hidden = visitor.get(f"/episodes/{episode_id}", follow_redirects=False)
        assert hidden.status_code == 303
        assert hidden.headers["location"] == f"/login?next=/episodes/{episode_id}"
        assert visitor.get("/", follow_redirects=False).status_code == 303
    finally:
        sb.close()


def test_api_docs_load_only_from_this_server(app: Soundbite) -> None:
    """/docs must work on a server without internet: no CDN, and every asset it names is ours."""
    client = make_client(app)
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assets += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404  # ReDoc would come from a CDN
