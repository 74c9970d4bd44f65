"""Analytics through the real web app: media requests, share-page beacons and click-throughs go
through the sink and the rollup, and come back out of ``/api/analytics/...`` as JSON and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from soundbite.analytics.rollup import catch_up
from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from soundbite.store.analytics_models import AnalyticsEvent
from soundbite.store.models import Episode, MediaBlob
from tests.conftest import make_settings
from tests.test_clip_support import add_sonnet, word
from tests.test_web_support import make_client, sign_in

PODCAST_APP = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
OTHER_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537"


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Soundbite]:
    settings = make_settings(
        tmp_path / "data", database_url, clip_prerender=False, public_library=True
    )
    sb = Soundbite.from_settings(settings)
    ensure_owner(sb)
    yield sb
    sb.close()


@pytest.fixture
def owner(app: Soundbite) -> TestClient:
    client = make_client(app)
    sign_in(client)
    return client


def _media(app: Soundbite, episode_id: int) -> tuple[str, int]:
    with app.db.read() as s:
        sha = s.scalar(sa.select(Episode.media_sha256).where(Episode.id == episode_id))
        size = s.scalar(sa.select(MediaBlob.size).where(MediaBlob.sha256 == sha))
    assert sha and size
    return sha, size


def _rolled_up(app: Soundbite) -> None:
    app.analytics.flush()
    catch_up(app)


def test_media_requests_count_by_the_rules(
    app: Soundbite, owner: TestClient, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)  # 53 s: only the whole file is a download
    sha, size = _media(app, episode_id)
    listener = make_client(app)
    listener.headers["User-Agent"] = PODCAST_APP
    url = f"/media/{sha}"
    half = size // 2
    assert listener.head(url).status_code == 200
    assert listener.get(url, headers={"Range": "bytes=0-1"}).status_code == 206
    assert listener.get(url, headers={"Range": f"bytes=0-{half}"}).status_code == 206
    _rolled_up(app)
    assert owner.get("/api/analytics/summary").json()["totals"]["downloads"] == 0
    assert listener.get(url, headers={"Range": f"bytes={half + 1}-"}).status_code == 206
    assert listener.get(url).status_code == 200  # the same listener again today
    dnt = make_client(app)
    dnt.headers.update({"User-Agent": BROWSER, "Sec-GPC": "1"})
    assert dnt.get(url).status_code == 200  # counted anonymously all the same
    bot = make_client(app)
    bot.headers["User-Agent"] = "curl/8.4.0"
    assert bot.get(url).status_code == 200
    _rolled_up(app)

    summary = owner.get(f"/api/analytics/summary?episode_id={episode_id}").json()
    assert summary["totals"]["downloads"] == 2
    assert summary["totals"]["bot_downloads"] == 1
    assert summary["average_daily_listeners"] == round(2 / 30, 2)  # two listeners in 30 days
    apps = owner.get("/api/analytics/breakdown?dimension=app").json()["items"]
    assert {i["name"]: i["count"] for i in apps} == {"Overcast": 1, "Firefox": 1}
    with app.db.read() as s:
        methods = set(s.scalars(sa.select(AnalyticsEvent.method)))
        tracked = s.scalars(sa.select(AnalyticsEvent.tracked)).all()
    assert methods == {"GET"}  # HEAD and the two-byte probe were never written
    assert sorted(tracked) == [False, True, True, True, True]


def test_the_clip_funnel_from_share_link_to_episode(
    app: Soundbite, owner: TestClient, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)
    start, end = word("fairest").start_ms, word("tender").end_ms  # about 10 s
    made = owner.post(
        "/api/clips", json={"episode_id": episode_id, "start_ms": start, "end_ms": end}
    )
    assert made.status_code == 201, made.text
    share_id = made.json()["id"]
    page = make_client(app).get(f"/c/{share_id}").text
    assert f"%2Fc%2F{share_id}%3Fch%3Dx" in page  # the X button's link carries its tag
    assert f'data-copy="http://testserver/c/{share_id}?ch=copy"' in page

    beacon = f"/api/analytics/clips/{share_id}/beacon"
    sha, _ = _media(app, episode_id)
    for ua, channel in ((BROWSER, "x"), (OTHER_BROWSER, "whatsapp")):
        visitor = make_client(app)
        visitor.headers["User-Agent"] = ua
        body = {"kind": "view", "channel": channel, "referrer": "https://t.co/abc?secret=1"}
        assert visitor.post(beacon, json=body).status_code == 202
        if channel == "x":  # the first visitor plays past 3 s, clicks through and listens
            assert visitor.post(beacon, json={"kind": "play", "played_ms": 3100}).status_code == 202
            assert visitor.get(f"/c/{share_id}/episode", follow_redirects=False).status_code == 303
            assert visitor.get(f"/media/{sha}").status_code == 200
        else:  # the second stops short of it
            assert visitor.post(beacon, json={"kind": "play", "played_ms": 400}).status_code == 202
    _rolled_up(app)

    funnel = owner.get(f"/api/analytics/funnel?clip={share_id}").json()["items"]
    assert [(i["name"], i["count"]) for i in funnel] == [
        ("views", 2),
        ("plays", 1),
        ("completes", 0),
        ("clickthroughs", 1),
        ("listens", 1),
    ]
    exported = owner.get(f"/api/analytics/funnel?clip={share_id}&format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows == [["stage", "count"]] + [[i["name"], str(i["count"])] for i in funnel]
    channels = owner.get(f"/api/analytics/breakdown?dimension=channel&clip={share_id}").json()
    assert {i["name"]: i["count"] for i in channels["items"]} == {"x": 1, "whatsapp": 1}
    referrers = owner.get(f"/api/analytics/breakdown?dimension=referrer&clip={share_id}").json()
    assert referrers["items"] == [{"name": "t.co", "count": 2}]  # the host only

    assert make_client(app).get("/api/analytics/funnel").status_code == 401
    with app.db.read() as s:
        assert "secret" not in " ".join(s.scalars(sa.select(AnalyticsEvent.referrer)))


def test_what_we_count_page_and_openapi(app: Soundbite) -> None:
    client = make_client(app)
    page = client.get("/what-we-count")
    assert page.status_code == 200
    assert "48 hours" in page.text and "after 30 days" in page.text
    paths = client.get("/openapi.json").json()["paths"]
    for name in ("summary", "series", "breakdown", "funnel"):
        operation = paths[f"/api/analytics/{name}"]["get"]
        assert "text/csv" in operation["responses"]["200"]["content"]
    assert "/api/analytics/clips/{share_id}/beacon" in paths
