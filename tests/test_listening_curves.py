"""Listening curves (issue 14, part 3): the bucket rules, the rollup into retention and "most
replayed" curves, and the beacon and curve routes with hostile input and every kind of caller.

The rules themselves are analytics/curves.py; the web tests go through the real app, sink and
rollup on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from soundbite.analytics import curves
from soundbite.analytics.curves import Hearing, bucket_count, check_batch, heard_buckets
from soundbite.analytics.rollup import catch_up, rollup_day
from soundbite.analytics.sink import RawHearings
from soundbite.bootstrap import Soundbite
from soundbite.domain.pipeline import ANALYZE, DONE, QUEUED
from soundbite.errors import InvalidInput
from soundbite.services import accounts
from soundbite.services.accounts import ensure_owner
from soundbite.store.analytics_models import AnalyticsCurve, AnalyticsHearing
from soundbite.store.models import Job, User
from tests.conftest import make_settings
from tests.test_clip_support import add_sonnet
from tests.test_web_support import make_client, sign_in

PASSWORD = "a sturdy passphrase for curves"


# --- the bucket rules -----------------------------------------------------------------------


def test_a_bucket_is_heard_when_half_of_it_is_played_in_one_run() -> None:
    assert bucket_count(60_000) == 12
    assert bucket_count(60_001) == 13  # a last, short bucket
    assert bucket_count(0) == 0
    assert heard_buckets(0, 12_000) == [0, 1]  # 2 s of bucket 2: not heard
    assert heard_buckets(0, 12_500) == [0, 1, 2]  # exactly half of bucket 2
    assert heard_buckets(3_000, 7_000) == []  # 2 s of one, 2 s of the next: neither
    assert heard_buckets(2_500, 7_500) == [0, 1]
    assert heard_buckets(7_000, 7_000) == []
    # the episode ends 1 s into bucket 2: half a second of that second is enough
    assert heard_buckets(9_000, 10_600, duration_ms=11_000) == [2]
    assert heard_buckets(10_000, 10_600, duration_ms=11_000) == [2]
    assert heard_buckets(10_000, 10_400, duration_ms=11_000) == []


def test_a_batch_must_stay_inside_the_episode_and_within_bounds() -> None:
    assert check_batch([0, 1, 1, 11], 60_000) == {0: 1, 1: 2, 11: 1}
    assert check_batch([], 60_000) == {}
    with pytest.raises(InvalidInput, match="bucket 12 is outside the episode: it has 12"):
        check_batch([0, 12], 60_000)
    with pytest.raises(InvalidInput, match="bucket 99999999999 is outside"):
        check_batch([99_999_999_999], 60_000)
    with pytest.raises(InvalidInput, match="bucket -1 is outside"):
        check_batch([-1], 60_000)
    with pytest.raises(InvalidInput, match="bucket 3 is reported heard 21 times"):
        check_batch([3] * 21, 60_000)
    with pytest.raises(InvalidInput, match="at most 2000 hearings"):
        check_batch([0] * 2001, 60_000)
    with pytest.raises(InvalidInput, match="length is not known"):
        check_batch([0], None)


def test_a_day_counts_starters_listeners_and_replayers_once_each() -> None:
    rows = [
        # ann hears 0-2, and bucket 1 again in a later batch: a replay of 1
        Hearing(1, 10, "ann", 0),
        Hearing(1, 10, "ann", 1),
        Hearing(1, 10, "ann", 2),
        Hearing(1, 10, "ann", 1),
        # bob hears 0 and 1, and loops bucket 1 twelve times: still one replayer
        Hearing(1, 10, "bob", 0),
        Hearing(1, 10, "bob", 1, heard=12),
        # cid only hears bucket 2 (he started there)
        Hearing(1, 10, "cid", 2),
        # another episode
        Hearing(1, 11, "ann", 0),
    ]
    day = curves.count_day(rows)
    assert day[10].started == 3
    assert day[10].buckets == {0: (2, 0), 1: (2, 2), 2: (2, 0)}
    assert day[11].started == 1 and day[11].buckets == {0: (1, 0)}
    assert curves.count_day(reversed(rows))[10].buckets == day[10].buckets  # order is no matter


# --- the rollup -----------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Soundbite]:
    settings = make_settings(
        tmp_path / "data", database_url, clip_prerender=False, public_library=True
    )
    sb = Soundbite.from_settings(settings)
    ensure_owner(sb)
    yield sb
    sb.close()


def _curve_rows(app: Soundbite) -> list[tuple[object, ...]]:
    with app.db.read() as s:
        return [
            tuple(r)
            for r in s.execute(
                sa.select(
                    AnalyticsCurve.episode_id,
                    AnalyticsCurve.bucket,
                    AnalyticsCurve.listeners,
                    AnalyticsCurve.replays,
                ).order_by(AnalyticsCurve.episode_id, AnalyticsCurve.bucket)
            )
        ]


def test_rollup_twice_gives_the_same_curve_and_the_account_is_not_stored(
    app: Soundbite, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)
    podcast_id = 1
    at = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    for account, heard in ((owner_id, {0: 1, 1: 1, 2: 1}), (owner_id, {1: 1}), (999, {0: 2})):
        app.analytics.add(RawHearings(at, account, podcast_id, episode_id, heard))
    assert app.analytics.flush() == 5
    rollup_day(app, at.date())
    first = _curve_rows(app)
    assert first == [(episode_id, 0, 2, 1), (episode_id, 1, 1, 1), (episode_id, 2, 1, 0)]
    rollup_day(app, at.date())
    assert _curve_rows(app) == first  # again: nothing counted twice
    with app.db.read() as s:
        listeners = set(s.scalars(sa.select(AnalyticsHearing.listener)))
        usernames = set(s.scalars(sa.select(User.username)))
    assert len(listeners) == 2
    assert not listeners & {str(owner_id), "999", *usernames}  # hashes, not accounts


def test_prune_deletes_old_hearings_and_keeps_the_curve(app: Soundbite, owner_id: int) -> None:
    episode_id = add_sonnet(app, owner_id)
    old = datetime.now(UTC) - timedelta(days=app.settings.analytics_retention_days + 3)
    app.analytics.add(RawHearings(old, owner_id, 1, episode_id, {0: 1}))
    app.analytics.flush()
    catch_up(app)
    with app.db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AnalyticsHearing)) == 0
    assert _curve_rows(app) == [(episode_id, 0, 1, 0)]


def test_a_final_day_with_replays_queues_the_analysis_again(app: Soundbite, owner_id: int) -> None:
    episode_id = add_sonnet(app, owner_id)
    with app.db.write() as s:
        job = s.scalars(
            sa.select(Job).where(Job.episode_id == episode_id, Job.stage == ANALYZE)
        ).one()
        job.state = DONE  # analysed before anyone listened
    yesterday = datetime.now(UTC) - timedelta(days=1)
    app.analytics.add(RawHearings(yesterday, owner_id, 1, episode_id, {3: 2}))
    app.analytics.flush()
    catch_up(app)
    with app.db.read() as s:
        state = s.scalar(
            sa.select(Job.state).where(Job.episode_id == episode_id, Job.stage == ANALYZE)
        )
    assert state == QUEUED  # highlights will take the replays in


# --- through the web app --------------------------------------------------------------------


def _as(app: Soundbite, username: str) -> TestClient:
    client = make_client(app)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def test_listeners_report_buckets_and_the_creator_reads_the_curves(
    app: Soundbite, owner_id: int
) -> None:
    episode_id = add_sonnet(app, owner_id)
    for name in ("lena", "otto", "pia"):
        accounts.add_user(app, name, PASSWORD)
    owner = make_client(app)
    sign_in(owner)
    duration = owner.get(f"/api/episodes/{episode_id}").json()["duration_ms"]
    last = bucket_count(duration) - 1
    url = f"/api/analytics/episodes/{episode_id}/listening"

    # lena hears the first 20 s, then goes back and hears 10-15 s again (sendBeacon style:
    # no CSRF header, the token in the body)
    lena = _as(app, "lena")
    token = lena.headers.pop("X-CSRF-Token")
    sent = lena.post(url, json={"heard": [0, 1, 2, 3], "csrf_token": token})
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"kept": True, "hearings": 4, "reason": None}
    assert lena.post(url, json={"heard": [2], "csrf_token": token}).status_code == 202
    # otto, with the header as any other write, hears 0-10 s
    otto = _as(app, "otto")
    assert otto.post(url, json={"heard": [0, 1]}).status_code == 202

    # hostile or mistaken reports: refused with the reason, nothing kept
    refused = {
        "past the end": (otto.post(url, json={"heard": [last + 1]}), 422, "outside the episode"),
        "huge": (otto.post(url, json={"heard": [10**15]}), 422, "outside the episode"),
        "negative": (otto.post(url, json={"heard": [-3]}), 422, "outside the episode"),
        "looped": (otto.post(url, json={"heard": [1] * 25}), 422, "heard 25 times"),
        "flood": (otto.post(url, json={"heard": [0] * 2001}), 422, "2000"),
        "not a list": (otto.post(url, json={"heard": "0,1"}), 422, "list"),
        "no episode": (
            otto.post("/api/analytics/episodes/999999/listening", json={"heard": [0]}),
            404,
            "no episode",
        ),
        "visitor": (make_client(app).post(url, json={"heard": [0]}), 401, "sign in"),
        "wrong token": (
            lena.post(url, json={"heard": [0], "csrf_token": "f" * 64}),
            403,
            "csrf_token",
        ),
        "no token": (lena.post(url, json={"heard": [0]}), 403, "X-CSRF-Token"),
    }
    for name, (response, status, says) in refused.items():
        assert response.status_code == status, (name, response.text)
        assert says in str(response.json()["detail"]), (name, response.text)

    # pia's browser says Do Not Track; then she pauses her history: nothing is kept either way
    pia = _as(app, "pia")
    dnt = pia.post(url, json={"heard": [5, 6]}, headers={"Sec-GPC": "1"})
    assert dnt.status_code == 202 and dnt.json()["kept"] is False
    assert "DNT or Sec-GPC" in dnt.json()["reason"]
    paused = pia.put("/api/for-you/privacy", json={"history_paused": True})
    assert paused.status_code == 200, paused.text
    quiet = pia.post(url, json={"heard": [5, 6]})
    assert quiet.status_code == 202 and quiet.json()["kept"] is False
    assert "paused" in quiet.json()["reason"]

    app.analytics.flush()
    catch_up(app)
    curve = owner.get(f"/api/analytics/episodes/{episode_id}/retention")
    assert curve.status_code == 200, curve.text
    body = curve.json()
    assert body["started"] == 2 and body["bucket_ms"] == 5000
    assert len(body["points"]) == last + 1
    by_bucket = {
        p["bucket"]: (p["listeners"], p["retention"], p["replays"]) for p in body["points"]
    }
    assert by_bucket[0] == (2, 1.0, 0)
    assert by_bucket[2] == (1, 0.5, 1)  # lena heard 10-15 s twice
    assert by_bucket[3] == (1, 0.5, 0)
    assert by_bucket[5] == (0, 0.0, 0)  # pia's were never kept

    exported = owner.get(f"/api/analytics/episodes/{episode_id}/retention?format=csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0] == ["start_s", "listeners", "retention", "replays", "started"]
    assert table[3] == ["10.0", "1", "0.5", "1", "2"]

    # who may read the curves: admins and the podcast's creators; listeners and visitors not
    assert otto.get(f"/api/analytics/episodes/{episode_id}/retention").status_code == 403
    assert (
        make_client(app).get(f"/api/analytics/episodes/{episode_id}/retention").status_code == 401
    )
    bad_range = owner.get(
        f"/api/analytics/episodes/{episode_id}/retention?start=2026-02-01&end=2026-01-01"
    )
    assert bad_range.status_code == 422 and "ends before it starts" in bad_range.text

    paths = owner.get("/openapi.json").json()["paths"]
    operation = paths["/api/analytics/episodes/{episode_id}/retention"]["get"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert "/api/analytics/episodes/{episode_id}/listening" in paths
