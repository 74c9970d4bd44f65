"""Moderation as people meet it: visitors report clips (share page form and API), moderators
work the queue (hide, delete, dismiss, disable the author), and a hidden clip is gone from
every surface (410) and every list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import update

from soundbite.bootstrap import Soundbite
from soundbite.cli import cli
from soundbite.domain.accounts import Account, Role
from soundbite.domain.public_pages import episode_path
from soundbite.errors import Forbidden, NotFound
from soundbite.services import moderation
from soundbite.services.accounts import add_user, ensure_owner, list_users, owner_account
from soundbite.services.moderation import may_moderate
from soundbite.store.models import Episode, Podcast
from tests.conftest import make_settings
from tests.test_share_pages import make_clip
from tests.test_web_support import make_client, sign_in

PASSWORD = "listener's own sturdy passphrase"


def listener(app: Soundbite, name: str = "ann") -> TestClient:
    add_user(app, name, PASSWORD)
    client = make_client(app)
    r = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the share page has no report form"
    return found.group(1)


def report_by_form(visitor: TestClient, share_id: str, **fields: str) -> object:
    token = form_token(visitor.get(f"/c/{share_id}").text)
    return visitor.post(f"/c/{share_id}/report", data={"form_token": token, **fields})


def csrf_of(client: TestClient) -> str:
    return str(client.headers["X-CSRF-Token"])


def test_anyone_reports_and_the_admin_sees_reports_grouped_by_clip(
    app: Soundbite, client: TestClient
) -> None:
    clip = make_clip(client, app, title="A clip people object to")
    other = make_clip(client, app, title="A quiet clip")
    share_id = clip["id"]
    anonymous = make_client(app)
    ann = listener(app)

    # the share page's form, signed out and without JavaScript
    page = anonymous.get(f"/c/{share_id}")
    assert "Report this clip" in page.text and 'action="/c/' in page.text
    sent = report_by_form(anonymous, share_id, reason="spam", note="buy pills at example.com")
    assert sent.status_code == 200 and "Thank you" in sent.text  # type: ignore[attr-defined]
    # the API, signed out and signed in
    r = anonymous.post(f"/api/clips/{share_id}/reports", json={"reason": "harassment"})
    assert r.status_code == 201, r.text
    r = ann.post(f"/api/clips/{share_id}/reports", json={"reason": "spam", "note": "again"})
    assert r.status_code == 201, r.text

    # what is refused, and why
    bad = anonymous.post(f"/api/clips/{share_id}/reports", json={"reason": "ugly"})
    assert bad.status_code == 422
    long = anonymous.post(
        f"/api/clips/{share_id}/reports", json={"reason": "other", "note": "x" * 1001}
    )
    assert long.status_code == 422
    assert anonymous.post("/api/clips/nope/reports", json={"reason": "spam"}).status_code == 404
    private = make_clip(client, app, visibility="private")
    r = anonymous.post(f"/api/clips/{private['id']}/reports", json={"reason": "spam"})
    assert r.status_code == 404  # as if it did not exist
    unlisted = make_clip(client, app, visibility="unlisted")
    r = anonymous.post(f"/api/clips/{unlisted['id']}/reports", json={"reason": "copyright"})
    assert r.status_code == 201  # reachable by its link, so reportable
    # a form post without our token, with another clip's token, or from another site
    r = anonymous.post(f"/c/{share_id}/report", data={"reason": "spam"})
    assert r.status_code == 403
    other_token = form_token(anonymous.get(f"/c/{other['id']}").text)
    r = anonymous.post(f"/c/{share_id}/report", data={"form_token": other_token, "reason": "spam"})
    assert r.status_code == 403
    r = anonymous.post(
        f"/c/{share_id}/report",
        data={"form_token": form_token(page.text), "reason": "spam"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    # a form without a reason comes back with the note kept and the reason explained
    again = report_by_form(anonymous, share_id, note="kept <b>as text</b>")
    assert again.status_code == 422  # type: ignore[attr-defined]
    assert "kept &lt;b&gt;as text&lt;/b&gt;" in again.text  # type: ignore[attr-defined]

    # the admin's queue: one entry per clip, most reported first, reporters named
    queue = client.get("/api/moderation/queue")
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert [i["clip"]["id"] for i in items] == [share_id, unlisted["id"]]
    first = items[0]
    assert first["reasons"] == {"spam": 2, "harassment": 1}
    assert [(r["reason"], r["reporter"], r["note"]) for r in first["reports"]] == [
        ("spam", None, "buy pills at example.com"),
        ("harassment", None, ""),
        ("spam", "ann", "again"),
    ]
    assert 'href="/moderation"' in client.get("/account").text
    assert 'href="/moderation"' not in ann.get("/account").text
    html = client.get("/moderation")
    assert html.status_code == 200 and "A clip people object to" in html.text
    assert "buy pills at example.com" in html.text and "3 reports" in html.text

    # a listener may not see it; signed out, the page asks to sign in
    assert ann.get("/api/moderation/queue").status_code == 403
    assert ann.get("/moderation").status_code == 403
    assert anonymous.get("/api/moderation/queue").status_code == 401
    to_login = anonymous.get("/moderation", follow_redirects=False)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login")
    r = ann.post(f"/api/moderation/clips/{share_id}/hide")
    assert r.status_code == 403
    assert anonymous.get(f"/c/{share_id}").status_code == 200  # nothing happened


def test_the_one_rule_of_who_moderates() -> None:
    admin = Account(1, "owner", Role.ADMIN)
    ann = Account(2, "ann")
    creator = Account(3, "cid", creator_of=frozenset({7}))
    assert may_moderate(admin) and may_moderate(admin, 7)
    assert not may_moderate(ann) and not may_moderate(ann, 7) and not may_moderate(None)
    assert may_moderate(creator) and may_moderate(creator, 7) and not may_moderate(creator, 8)


def test_a_creator_moderates_only_their_podcasts_clips(app: Soundbite, client: TestClient) -> None:
    """At the service layer, with an account as the roles feature hands it over."""
    mine = make_clip(client, app, title="On my podcast", episode="Mine")
    theirs = make_clip(client, app, title="On another podcast", episode="Theirs")
    private = make_clip(client, app, title="Private elsewhere", visibility="private")
    anonymous = make_client(app)
    for clip in (mine, theirs):
        anonymous.post(f"/api/clips/{clip['id']}/reports", json={"reason": "spam"})
    add_user(app, "cid", PASSWORD)
    cid_id = next(u.id for u in list_users(app, owner_account(app)) if u.username == "cid")
    with app.db.write() as s:  # "theirs" and the private clip move to a podcast of their own
        other = Podcast(owner_id=owner_account(app).id, feed_url="https://e.org/f", title="B")
        s.add(other)
        s.flush()
        s.execute(
            update(Episode)
            .where(Episode.id.in_([theirs["episode_id"], private["episode_id"]]))
            .values(podcast_id=other.id)
        )
    creator = Account(cid_id, "cid", creator_of=frozenset({mine["podcast_id"]}))

    assert [i.clip.share_id for i in moderation.queue(app, creator)] == [mine["id"]]
    with pytest.raises(Forbidden):
        moderation.hide_clip(app, creator, theirs["id"])
    with pytest.raises(NotFound):  # a private clip elsewhere: not even its existence
        moderation.hide_clip(app, creator, private["id"])
    with pytest.raises(Forbidden):  # the author of a clip on their podcast is an admin
        moderation.disable_author(app, creator, mine["id"])
    assert moderation.hide_clip(app, creator, mine["id"]) == 1
    assert anonymous.get(f"/c/{mine['id']}").status_code == 410
    assert anonymous.get(f"/c/{theirs['id']}").status_code == 200
    # the hidden list is theirs too: an admin's hide elsewhere is not the creator's to undo
    moderation.hide_clip(app, owner_account(app), theirs["id"])
    assert [v.share_id for v in moderation.hidden_clips(app, creator)] == [mine["id"]]
    assert [v.share_id for v in moderation.hidden_clips(app, owner_account(app))] == [
        theirs["id"],
        mine["id"],
    ]
    with pytest.raises(Forbidden):
        moderation.unhide_clip(app, creator, theirs["id"])
    assert moderation.unhide_clip(app, creator, mine["id"]) is True
    assert anonymous.get(f"/c/{mine['id']}").status_code == 200


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Soundbite]:
    """Low report limits (SQLite only: the limits live outside the database)."""
    settings = make_settings(
        tmp_path / "strict",
        report_limit_per_ip="3/hour",
        report_limit_per_account="1/hour",
        clip_prerender=False,
    )
    app = Soundbite.from_settings(settings)
    ensure_owner(app)
    yield app
    app.close()


def test_reports_are_limited_per_account_and_per_address(strict: Soundbite) -> None:
    owner = make_client(strict)
    sign_in(owner)
    clip = make_clip(owner, strict)
    url = f"/api/clips/{clip['id']}/reports"
    ann = listener(strict)
    anonymous = make_client(strict)

    assert ann.post(url, json={"reason": "spam"}).status_code == 201
    refused = ann.post(url, json={"reason": "spam"})  # the account's 1/hour
    assert refused.status_code == 429 and 3000 < int(refused.headers["retry-after"]) <= 3600
    assert "too many reports" in refused.json()["detail"]
    # the same address signed out still has room under its own limit (3/hour: 1 used)
    assert anonymous.post(url, json={"reason": "spam"}).status_code == 201
    r = report_by_form(anonymous, clip["id"], reason="other")
    assert r.status_code == 200  # type: ignore[attr-defined]
    # the address is now full, for the API and the form alike, with a Retry-After
    refused = anonymous.post(url, json={"reason": "spam"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    form = report_by_form(anonymous, clip["id"], reason="spam")
    assert form.status_code == 429 and int(form.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert "too many reports" in form.text  # type: ignore[attr-defined]
    # what the limits let through is what the queue holds
    assert len(owner.get("/api/moderation/queue").json()["items"][0]["reports"]) == 3
    # admins are not limited
    for _ in range(3):
        assert owner.post(url, json={"reason": "other"}).status_code == 201


def test_a_hidden_clip_is_gone_everywhere(app: Soundbite, client: TestClient) -> None:
    clip = make_clip(client, app, title="Soon hidden")
    share_id, links = clip["id"], clip["links"]
    anonymous = make_client(app)
    # seen before: the page is in this process's page cache, the audio rendered and stored
    assert anonymous.get(f"/c/{share_id}").status_code == 200
    assert anonymous.get(links["audio"]["mp3"]).status_code == 200
    assert anonymous.get(links["card"]).status_code == 200
    anonymous.post(f"/api/clips/{share_id}/reports", json={"reason": "copyright"})
    assert share_id in {c["id"] for c in client.get("/api/clips").json()["items"]}
    with app.db.write() as s:
        s.execute(
            update(Podcast).where(Podcast.id == clip["podcast_id"]).values(visibility="public")
        )
    public_page = episode_path(clip["podcast_id"], clip["episode_id"], clip["episode_title"])
    assert "Soon hidden" in anonymous.get(public_page).text

    # the admin hides it from the queue page (a plain form with the session's CSRF token)
    r = client.post(
        f"/moderation/clips/{share_id}/hide", data={"csrf": csrf_of(client)}, follow_redirects=False
    )
    assert r.status_code == 303
    done = client.get(r.headers["location"])
    assert "Clip hidden" in done.text and "No open reports" in done.text

    page = anonymous.get(f"/c/{share_id}")
    assert page.status_code == 410 and "This clip was removed" in page.text
    assert "Soon hidden" not in page.text
    embed = anonymous.get(f"/embed/{share_id}")
    assert embed.status_code == 410 and "This clip was removed" in embed.text
    assert "frame-ancestors *" in embed.headers["content-security-policy"]  # shown in iframes
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "public, max-age=0, s-maxage=60"
    assert anonymous.get(f"/c/{share_id}/episode").status_code == 410
    for url in [
        links["audio"]["mp3"],
        links["audio"]["m4a"],
        links["card"],
        links["artwork"],
        links["captions"],
        f"/c/{share_id}/video-9x16.mp4",
        f"/api/clips/{share_id}",
    ]:
        r = anonymous.get(url)
        assert r.status_code == 410, (url, r.status_code)
        assert r.headers["content-type"].startswith("application/json")  # never the bytes
    assert anonymous.head(links["audio"]["mp3"]).status_code == 410
    for fmt in ("json", "xml"):
        r = anonymous.get("/oembed", params={"url": clip["share_url"], "format": fmt})
        assert r.status_code == 410
    assert client.post(f"/api/clips/{share_id}/videos", json={}).status_code == 410
    public = anonymous.get(public_page)  # and from the public site's episode page
    assert public.status_code == 200 and "Soon hidden" not in public.text
    # gone from every list, the owner's own included, and it cannot be reported again
    assert share_id not in {c["id"] for c in client.get("/api/clips").json()["items"]}
    mine = client.get("/api/clips", params={"mine": True}).json()
    assert share_id not in {c["id"] for c in mine["items"]} and mine["total"] == 0
    r = anonymous.post(f"/api/clips/{share_id}/reports", json={"reason": "spam"})
    assert r.status_code == 410
    # its owner can neither edit it back into view nor play it, but may delete it
    assert client.patch(f"/api/clips/{share_id}", json={"title": "Back"}).status_code == 410
    assert client.get(links["audio"]["mp3"]).status_code == 410
    assert client.delete(f"/api/clips/{share_id}").status_code == 204
    assert anonymous.get(f"/c/{share_id}").status_code == 404


def test_hide_by_api_forgets_the_cached_page(app: Soundbite, client: TestClient) -> None:
    clip = make_clip(client, app)
    anonymous = make_client(app)
    assert anonymous.get(f"/c/{clip['id']}").status_code == 200
    assert anonymous.get(f"/c/{clip['id']}").status_code == 200  # from the page cache
    r = client.post(f"/api/moderation/clips/{clip['id']}/hide")
    assert r.status_code == 200 and "hidden" in r.json()["done"]
    assert anonymous.get(f"/c/{clip['id']}").status_code == 410
    assert anonymous.get(f"/embed/{clip['id']}").status_code == 410


def test_delete_dismiss_and_disable_the_author(app: Soundbite, client: TestClient) -> None:
    ann = listener(app)
    keep = make_clip(ann, app, title="Fine after all")
    drop = make_clip(ann, app, title="Really bad")
    anonymous = make_client(app)
    for clip in (keep, drop):
        r = anonymous.post(f"/api/clips/{clip['id']}/reports", json={"reason": "misinformation"})
        assert r.status_code == 201

    # dismiss: the reports close, the clip stays
    r = client.post(f"/api/moderation/clips/{keep['id']}/dismiss")
    assert r.status_code == 200 and r.json()["done"].startswith("1 report dismissed")
    assert anonymous.get(f"/c/{keep['id']}").status_code == 200
    queued = [i["clip"]["id"] for i in client.get("/api/moderation/queue").json()["items"]]
    assert queued == [drop["id"]]

    # disable the author (from the page): signed out at once, cannot sign in again
    assert ann.get("/api/auth/me").status_code == 200
    r = client.post(
        f"/moderation/clips/{drop['id']}/disable-author",
        data={"csrf": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert ann.get("/api/auth/me").status_code == 401
    login = make_client(app).post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
    assert login.status_code in (401, 403)
    item = client.get("/api/moderation/queue").json()["items"][0]
    assert item["author_disabled"] is True

    # delete: the clip, its events and its reports are gone
    assert client.delete(f"/api/moderation/clips/{drop['id']}").status_code == 204
    assert anonymous.get(f"/c/{drop['id']}").status_code == 404
    assert client.get("/api/moderation/queue").json()["items"] == []
    assert client.delete(f"/api/moderation/clips/{drop['id']}").status_code == 404

    # hostile inputs: an unknown action, a missing clip, the admin's own account
    mine = make_clip(client, app)
    assert client.post(f"/api/moderation/clips/{mine['id']}/explode").status_code == 422
    r = client.post(f"/moderation/clips/{mine['id']}/explode", data={"csrf": csrf_of(client)})
    assert r.status_code == 404
    assert client.post("/api/moderation/clips/nope/hide").status_code == 404
    r = client.post(f"/api/moderation/clips/{mine['id']}/disable-author")
    assert r.status_code == 409 and "your own" in r.json()["detail"]
    r = client.post(
        f"/moderation/clips/{mine['id']}/disable-author", data={"csrf": csrf_of(client)}
    )
    assert r.status_code == 409 and "your own clip" in r.text  # on the page, not as JSON
    assert 'role="alert"' in r.text
    # a page form without the session's CSRF token is refused
    r = client.post(f"/moderation/clips/{mine['id']}/hide", data={"csrf": "f" * 64})
    assert r.status_code == 403
    assert anonymous.get(f"/c/{mine['id']}").status_code == 200


def test_a_clip_made_private_after_a_report_is_its_owners_alone(
    app: Soundbite, client: TestClient
) -> None:
    """A reported clip its owner then makes private leaves the admin's queue and is 404 to
    the admin (as on every other route), until its owner shares it again."""
    ann = listener(app)
    r = ann.post(
        "/api/clips",
        json={
            "episode_id": make_clip(client, app)["episode_id"],
            "start_ms": 1000,
            "end_ms": 4000,
            "title": "Ann's",
        },
    )
    assert r.status_code == 201, r.text
    share_id = r.json()["id"]
    assert (
        make_client(app).post(f"/api/clips/{share_id}/reports", json={"reason": "spam"}).status_code
        == 201
    )
    queued = client.get("/api/moderation/queue").json()["items"]
    assert share_id in [i["clip"]["id"] for i in queued]

    ann.patch(f"/api/clips/{share_id}", json={"visibility": "private"})
    queued = client.get("/api/moderation/queue").json()["items"]
    assert share_id not in [i["clip"]["id"] for i in queued]
    assert client.post(f"/api/moderation/clips/{share_id}/hide").status_code == 404
    assert client.delete(f"/api/moderation/clips/{share_id}").status_code == 404
    assert share_id not in client.get("/moderation").text

    ann.patch(f"/api/clips/{share_id}", json={"visibility": "public"})
    queued = client.get("/api/moderation/queue").json()["items"]
    assert share_id in [i["clip"]["id"] for i in queued]  # the report waited
    assert client.post(f"/api/moderation/clips/{share_id}/hide").status_code == 200


def test_a_mistaken_hide_is_undone_from_the_page_and_the_api(
    app: Soundbite, client: TestClient
) -> None:
    clip = make_clip(client, app, title="Hidden by mistake")
    share_id = clip["id"]
    anonymous = make_client(app)
    assert anonymous.get(f"/c/{share_id}").status_code == 200  # cached in this process
    page = client.get("/moderation").text
    assert "Hidden clips" in page and "None." in page
    assert client.post(f"/api/moderation/clips/{share_id}/hide").status_code == 200
    assert anonymous.get(f"/c/{share_id}").status_code == 410
    listed = client.get("/api/moderation/hidden").json()["items"]
    assert [(i["clip"]["id"], i["clip"]["title"]) for i in listed] == [
        (share_id, "Hidden by mistake")
    ]
    page = client.get("/moderation").text
    assert f'data-hidden-clip="{share_id}"' in page and "Unhide: Hidden by mistake" in page

    r = client.post(
        f"/moderation/clips/{share_id}/unhide",
        data={"csrf": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Clip back" in client.get(r.headers["location"]).text
    assert anonymous.get(f"/c/{share_id}").status_code == 200  # the cached 410 was dropped
    assert anonymous.get(clip["links"]["audio"]["mp3"]).status_code == 200
    assert client.get("/api/moderation/hidden").json()["items"] == []
    r = client.post(f"/api/moderation/clips/{share_id}/unhide")
    assert r.status_code == 409 and "not hidden" in r.json()["detail"]
    assert client.post(f"/api/moderation/clips/{share_id}/shred").status_code == 422
    assert listener(app).get("/api/moderation/hidden").status_code == 403
    assert anonymous.get("/api/moderation/hidden").status_code == 401


def test_what_cannot_be_undone_asks_once_more(app: Soundbite, client: TestClient) -> None:
    """Delete and disable sit behind a disclosure that says what happens (no script needed);
    hide and dismiss, which can be undone, act at once."""
    ann = listener(app)
    clip = make_clip(ann, app, title="Reported")
    make_client(app).post(f"/api/clips/{clip['id']}/reports", json={"reason": "spam"})
    page = client.get("/moderation").text
    item = page[page.index(f'data-clip="{clip["id"]}"') :]
    item = item[: item.index('id="hidden"')]  # up to the hidden list
    for label in ("Delete clip", "Disable author"):
        summary = re.search(
            rf"<details class=\"confirm\">\s*<summary[^>]*>{label}…</summary>", item
        )
        assert summary, f"{label} is not behind a confirmation"
    assert "deleted for good" in item and "ann will no longer be able to sign in" in item
    assert re.search(r"<form[^>]*/hide\">\s*<input[^>]*>\s*<button", item)  # one step


def test_the_queue_from_a_shell(
    app: Soundbite, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = make_clip(client, app, title="Reported twice")
    for reason in ("spam", "spam"):
        make_client(app).post(f"/api/clips/{clip['id']}/reports", json={"reason": reason})
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(app.settings.data_dir))
    monkeypatch.setenv("SOUNDBITE_DATABASE_URL", app.settings.resolved_database_url)

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["moderation", *args], catch_exceptions=False)

    queued = run("queue", "--json")
    assert queued.exit_code == 0, queued.output
    assert json.loads(queued.output) == [
        {
            "id": clip["id"],
            "title": "Reported twice",
            "author": "owner",
            "reports": 2,
            "reasons": {"spam": 2},
        }
    ]
    assert run("hide", clip["id"]).output.startswith("Clip hidden (2 reports closed)")
    assert make_client(app).get(f"/c/{clip['id']}").status_code == 410
    assert clip["id"] in run("hidden").output and run("queue").output == "no open reports\n"
    assert run("unhide", clip["id"]).exit_code == 0
    assert make_client(app).get(f"/c/{clip['id']}").status_code == 200
    again = run("unhide", clip["id"])
    assert again.exit_code != 0 and "not hidden" in again.output
    missing = run("hide", "nosuchclip")
    assert missing.exit_code != 0 and "no such clip" in missing.output
