"""Clip videos over HTTP, on both databases: the share dialog's call (start, follow progress,
render once), the MP4 itself with Range, the share page's og:video, and bad requests.

The episode is the demo recording with its real word-timed transcript; clips are 2-3 s long.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from soundbite.store.models import User
from tests.conftest import make_settings
from tests.test_clip_api import clip
from tests.test_clip_support import add_sonnet, word
from tests.test_web_support import make_client, sign_in


def _signed_in(app: Soundbite) -> TestClient:
    client = make_client(app)
    sign_in(client)
    return client


def _follow(client: TestClient, share_id: str, body: dict[str, object]) -> list[dict]:
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = client.post(f"/api/clips/{share_id}/videos", json=body)
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if seen[-1]["state"] == "ready":
            return seen
        time.sleep(0.1)
    raise AssertionError(f"the video was not ready in time: {seen[-1]}")


def test_the_share_dialog_renders_a_video_once_and_the_page_offers_it(
    app: Soundbite, owner_id: int
) -> None:
    client = _signed_in(app)
    episode_id = add_sonnet(app, owner_id)
    made = clip(client, episode_id, word("From").start_ms, word("we").end_ms, title="Fairest")
    share_id = made["id"]
    page = client.get(f"/c/{share_id}").text
    assert "og:video" not in page  # no video yet: the page offers none

    statuses = _follow(client, share_id, {"aspect": "1x1", "captions": True})
    progress = [s["progress"] for s in statuses]
    assert progress == sorted(progress) and progress[-1] == 1.0
    ready = statuses[-1]
    assert (ready["width"], ready["height"], ready["captions"]) == (1080, 1080, True)
    assert ready["note"] is None
    assert re.fullmatch(
        rf"http://testserver/c/{share_id}/video-1x1\.mp4\?captions=1&visual=waveform&v=[0-9a-f]{{16}}",
        ready["url"],
    )
    encodes = app.renders.encodes  # the video (and the MP3 pre-rendered when the clip was made)
    again = client.post(f"/api/clips/{share_id}/videos", json={"aspect": "1x1"})
    assert again.json()["state"] == "ready" and app.renders.encodes == encodes

    video = client.get(ready["url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp" and b"moov" in video.content[:4096]
    assert "immutable" in video.headers["cache-control"]
    part = client.get(ready["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == video.content[100:200]

    app.pages.forget(share_id)  # pages are kept 10 s: what a crawler sees after that
    page = client.get(f"/c/{share_id}").text
    assert f'<meta property="og:video" content="{ready["url"]}">' in page.replace("&amp;", "&")
    assert '<meta property="og:video:type" content="video/mp4">' in page
    assert '<meta property="og:video:width" content="1080">' in page
    assert '<meta name="twitter:player:stream:content_type" content="video/mp4">' in page


def test_a_clip_over_the_video_cap_is_refused_with_the_reason(
    tmp_path: Path, database_url: str
) -> None:
    app = Soundbite.from_settings(
        make_settings(tmp_path / "data", database_url, clip_video_max_seconds=5)
    )
    ensure_owner(app)
    with app.db.read() as s:
        owner_id = s.scalars(
            select(User.id).where(User.role == "admin").order_by(User.id).limit(1)
        ).one()
    client = _signed_in(app)
    episode_id = add_sonnet(app, owner_id)
    made = clip(client, episode_id, word("From").start_ms, word("tender").end_ms)
    r = client.post(f"/api/clips/{made['id']}/videos", json={"aspect": "9x16"})
    assert r.status_code == 413
    assert "clip_video_max_seconds" in r.text and "up to 5 s" in r.text
    app.close()


def test_without_word_timings_the_video_has_no_captions_and_says_so(
    app: Soundbite, owner_id: int
) -> None:
    client = _signed_in(app)
    episode_id = add_sonnet(app, owner_id, transcribed=False)
    made = clip(client, episode_id, 3000, 5000, snap="none", title="No words")
    ready = _follow(client, made["id"], {"aspect": "16x9", "captions": True})[-1]
    assert ready["captions"] is False
    assert "no word timings" in ready["note"]
    assert client.get(ready["url"]).status_code == 200
