"""Roles at work: an admin names a podcast's creators and sets its visibility (API and CLI);
a creator runs that podcast (uploads into it, sees its analytics) and no other; a listener
listens and clips. Who gets which status on every route is tests/test_authorization_matrix.py;
this file follows what each role actually does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.cli import cli
from soundbite.services import accounts
from soundbite.services.access import set_creator
from soundbite.services.episodes import episode_ref
from soundbite.services.library import add_feed_document, add_media_file
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_web_support import SPEECH, VTT, make_client, sign_in, upload

PASSWORD = "a sturdy passphrase for roles"
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Other show</title>'
    b"<item><guid>a</guid><title>A</title></item></channel></rss>"
)


def _as(app: Soundbite, username: str) -> TestClient:
    client = make_client(app)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_a_creator_runs_their_podcast_and_no_other(app: Soundbite) -> None:
    admin = make_client(app)
    sign_in(admin)
    for name in ("cora", "lena"):
        accounts.add_user(app, name, PASSWORD)
    first = upload(admin, title="First", transcript=("t.vtt", VTT, "text/vtt")).json()
    podcast_id = first["podcast_id"]
    cora, lena = _as(app, "cora"), _as(app, "lena")

    # before: cora is a listener like lena
    assert cora.get(f"/api/podcasts/{podcast_id}").json()["may_edit"] is False
    assert upload(cora).status_code == 403  # adding a podcast (an upload of one's own)
    assert admin.put(f"/api/podcasts/{podcast_id}/creators/nobody").status_code == 404
    assert cora.put(f"/api/podcasts/{podcast_id}/creators/cora").status_code == 403
    assert admin.put(f"/api/podcasts/{podcast_id}/creators/cora").status_code == 204
    assert admin.put(f"/api/podcasts/{podcast_id}/creators/cora").status_code == 204  # again
    assert admin.get(f"/api/podcasts/{podcast_id}/creators").json() == ["cora"]

    # the same signed-in session now runs the podcast: the account is read per request
    assert cora.get(f"/api/podcasts/{podcast_id}").json()["may_edit"] is True
    into = cora.post(
        "/api/episodes",
        files={"file": (SPEECH.name, SPEECH.read_bytes(), "audio/flac")},
        data={"title": "Cora's upload", "podcast_id": str(podcast_id)},
    )
    assert into.status_code == 201, into.text
    assert into.json()["podcast_id"] == podcast_id
    refused = lena.post(
        "/api/episodes",
        files={"file": (SPEECH.name, SPEECH.read_bytes(), "audio/flac")},
        data={"podcast_id": str(podcast_id)},
    )
    assert refused.status_code == 403
    assert upload(cora).status_code == 403  # no podcast named: a new one, an admin's
    assert lena.post(f"/api/episodes/{first['id']}/process").status_code == 403

    # analytics: hers (named or not), never the instance's; a listener's: none
    assert cora.get("/api/analytics/summary", params={"podcast_id": podcast_id}).status_code == 200
    assert cora.get("/api/analytics/summary").status_code == 200  # her one podcast
    assert lena.get("/api/analytics/summary").status_code == 403
    assert lena.get("/api/analytics/summary", params={"podcast_id": podcast_id}).status_code == 403

    # visibility is an admin's, whatever a creator may do
    patched = cora.patch(f"/api/podcasts/{podcast_id}", json={"visibility": "public"})
    assert patched.status_code == 403
    bad = admin.patch(f"/api/podcasts/{podcast_id}", json={"visibility": "everyone"})
    assert bad.status_code == 422
    done = admin.patch(f"/api/podcasts/{podcast_id}", json={"visibility": "unlisted"})
    assert done.status_code == 200 and done.json()["visibility"] == "unlisted"
    assert [p["id"] for p in lena.get("/api/podcasts").json()] == []  # unlisted: not listed
    assert [p["id"] for p in cora.get("/api/podcasts").json()] == [podcast_id]

    assert admin.delete(f"/api/podcasts/{podcast_id}/creators/cora").status_code == 204
    assert cora.post(f"/api/episodes/{first['id']}/process").status_code == 403
    gone = cora.post(
        "/api/episodes",
        files={"file": (SPEECH.name, SPEECH.read_bytes(), "audio/flac")},
        data={"podcast_id": str(podcast_id)},
    )
    assert gone.status_code == 403


def test_a_creator_of_several_podcasts_names_one_for_analytics(app: Soundbite) -> None:
    admin = accounts.owner_account(app)
    accounts.add_user(app, "cora", PASSWORD)
    uploads = episode_ref(app, add_media_file(app, SPEECH, admin.id)).podcast_id
    other = add_feed_document(app, FEED, "https://example.org/other.xml", admin.id).podcast_id
    for podcast_id in (uploads, other):
        set_creator(app, admin, podcast_id, "cora", on=True)
    cora = _as(app, "cora")
    unnamed = cora.get("/api/analytics/summary")
    assert unnamed.status_code == 422 and "podcast_id" in unnamed.json()["detail"]
    assert cora.get("/api/analytics/summary", params={"podcast_id": other}).status_code == 200


def test_podcast_visibility_and_creators_from_the_cli(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    sb = Soundbite.from_settings(make_settings(data, database_url))
    try:
        accounts.ensure_owner(sb)
        episode_id = add_media_file(sb, SPEECH, accounts.owner_account(sb).id)
        accounts.add_user(sb, "cora", PASSWORD)
    finally:
        sb.close()
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(data))
    monkeypatch.setenv("SOUNDBITE_DATABASE_URL", database_url)
    monkeypatch.setenv("SOUNDBITE_OWNER_PASSWORD", OWNER_PASSWORD)
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    def listed() -> list[dict[str, object]]:
        result: list[dict[str, object]] = json.loads(run("podcasts", "list", "--json").stdout)
        return result

    [podcast] = listed()
    assert podcast["visibility"] == "private" and podcast["creators"] == []
    pid = str(podcast["id"])
    assert run("podcasts", "visibility", pid, "public").exit_code == 0
    assert run("podcasts", "visibility", pid, "everyone").exit_code == 2
    missing = run("podcasts", "visibility", "999", "public")
    assert missing.exit_code != 0 and "no podcast 999" in missing.stderr
    made = run("users", "creator", "cora", pid)
    assert made.exit_code == 0 and "cora is now a creator" in made.stdout
    assert "already" in run("users", "creator", "cora", pid).stdout
    assert listed() == [{**podcast, "visibility": "public", "creators": ["cora"]}]
    assert run("users", "creator", "nobody", pid).exit_code != 0
    assert run("users", "creator", "cora", pid, "--remove").exit_code == 0
    assert listed()[0]["creators"] == []
    assert episode_id  # the podcast is the upload's


def test_a_creator_writes_the_podcasts_details_and_the_feed_keeps_them(app: Soundbite) -> None:
    admin = accounts.owner_account(app)
    for name in ("cora", "cory", "lena"):
        accounts.add_user(app, name, PASSWORD)
    url = "https://example.org/other.xml"
    podcast_id = add_feed_document(app, FEED, url, admin.id).podcast_id
    set_creator(app, admin, podcast_id, "cora", on=True)
    cora, cory, lena = _as(app, "cora"), _as(app, "cory"), _as(app, "lena")
    episode_id = lena.get("/api/episodes", params={"podcast_id": podcast_id}).json()["items"][0][
        "id"
    ]
    assert cora.get(f"/api/episodes/{episode_id}").json()["may_edit"] is True
    assert lena.get(f"/api/episodes/{episode_id}").json()["may_edit"] is False
    # the app shows a creator her podcasts' analytics link from this
    assert cora.get("/api/auth/me").json()["user"]["creates_for"] == [podcast_id]
    assert lena.get("/api/auth/me").json()["user"]["creates_for"] == []

    # cora writes her own words; nobody else may
    r = cora.patch(
        f"/api/episodes/{episode_id}",
        json={"title": "  The A episode, retitled  ", "description": "What it is about."},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["title"], r.json()["description"]) == (
        "The A episode, retitled",
        "What it is about.",
    )
    r = cora.patch(f"/api/podcasts/{podcast_id}", json={"title": "Cora's show"})
    assert r.status_code == 200 and r.json()["title"] == "Cora's show"
    for other in (cory, lena):
        assert other.patch(f"/api/episodes/{episode_id}", json={"title": "Mine"}).status_code == 403
        assert other.patch(f"/api/podcasts/{podcast_id}", json={"title": "Mine"}).status_code == 403
    assert (
        make_client(app).patch(f"/api/episodes/{episode_id}", json={"title": "x"}).status_code
        == 401
    )

    # bad input: said, and nothing half applied
    for body, says in [
        ({"title": "   "}, "cannot be empty"),
        ({"title": "x" * 301}, "at most 300 characters"),
        ({"description": "x" * 20_001}, "at most 20000 characters"),
    ]:
        r = cora.patch(f"/api/episodes/{episode_id}", json=body)
        assert r.status_code == 422 and says in r.text, (body, r.text)
    r = cora.patch(f"/api/podcasts/{podcast_id}", json={"title": "Half", "visibility": "public"})
    assert r.status_code == 403  # visibility is an admin's: the title did not change either
    assert cora.get(f"/api/podcasts/{podcast_id}").json()["title"] == "Cora's show"
    r = cora.patch(f"/api/podcasts/{podcast_id}", json={"title": "", "description": "ok"})
    assert r.status_code == 422
    assert cora.get(f"/api/podcasts/{podcast_id}").json()["description"] == ""

    # reading the feed again: her words stay, the feed's other news arrives
    newer = FEED.replace(b"<title>A</title>", b"<title>A (feed edit)</title>").replace(
        b"</channel>", b"<description>The feed's own blurb</description></channel>"
    )
    add_feed_document(app, newer, url, admin.id)
    episode = cora.get(f"/api/episodes/{episode_id}").json()
    assert (episode["title"], episode["description"]) == (
        "The A episode, retitled",
        "What it is about.",
    )
    podcast = cora.get(f"/api/podcasts/{podcast_id}").json()
    assert podcast["title"] == "Cora's show"  # edited
    assert podcast["description"] == "The feed's own blurb"  # never edited: the feed's
