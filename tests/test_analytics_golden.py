"""The golden test of the counting rules, on SQLite and PostgreSQL.

``tests/data/analytics/golden.log`` is a hand-written log of 190 requests covering each rule
(repeats within a day, ranges summing past one minute, HEAD and probes, bots, IPv6 /64s, an
anomalous IP, the clip funnel, DNT); its comments say what each block should count, and the
numbers below are those sums, worked out by hand. The log goes through the real sink (hashing,
agent lists, batch insert) and the real rollup, and is read back through the dashboard
queries. Then the database is scanned for anything that would identify a listener.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from soundbite.analytics import queries
from soundbite.analytics.queries import DayRange, Scope
from soundbite.analytics.rollup import catch_up
from soundbite.analytics.sink import EventSink
from soundbite.bootstrap import Soundbite
from soundbite.clips.events import salt_for_day
from soundbite.store.base import Base
from soundbite.store.clip_models import ClipEventSalt
from tests.analytics_support import DAY0, Library, golden_library, read_log

DAY1 = DAY0 + timedelta(days=1)
ONLY_DAY0 = DayRange(DAY0, DAY0)


@pytest.fixture
def golden(app: Soundbite, owner_id: int) -> tuple[Library, dict[str, str]]:
    library = golden_library(app, owner_id)
    events, agents = read_log(library)
    assert len(events) == 190
    sink = EventSink(app)
    for event in events:
        sink.add(event)
    sink.close()
    catch_up(app, now=datetime.combine(DAY1 + timedelta(days=1), time(), UTC))
    return library, agents


def test_downloads_listeners_bots_and_anomalies(app: Soundbite, golden: tuple) -> None:
    library, _ = golden
    day0 = queries.summary(app, Scope(), ONLY_DAY0)
    assert day0.totals["downloads"] == 37
    assert day0.average_daily_listeners == 36  # listener A took both episodes
    assert day0.totals["anomalous_downloads"] == 12
    assert day0.totals["bot_downloads"] == 4

    ep1, ep2 = (Scope(episode_id=library.episodes[n]) for n in (1, 2))
    assert queries.summary(app, ep1, ONLY_DAY0).totals["downloads"] == 24
    assert queries.summary(app, ep2, ONLY_DAY0).totals["downloads"] == 13
    podcast = Scope(podcast_id=library.podcast_id)
    assert queries.summary(app, podcast, ONLY_DAY0).totals["downloads"] == 37

    both = queries.summary(app, Scope(), DayRange(DAY0, DAY1))
    assert both.totals["downloads"] == 38  # listener A again on day 1; C never reaches a minute
    assert both.average_daily_listeners == 18.5  # (36 + 1) / 2

    hourly = {
        p.start.hour: p.count
        for p in queries.series(app, ep1, "downloads", ONLY_DAY0, period="hour")
    }
    assert hourly[10] == 0 and hourly[11] == 4 and hourly[14] == 10
    anomalies = queries.series(app, ep1, "anomalous_downloads", ONLY_DAY0, period="hour")
    assert [p.count for p in anomalies if p.count] == [12]


def test_apps_devices_and_systems(app: Soundbite, golden: tuple) -> None:
    apps = dict(queries.breakdown(app, Scope(), "app", ONLY_DAY0))
    assert apps == {
        "AntennaPod": 12,
        "Firefox": 11,
        "Google Chrome": 6,
        "Apple Podcasts": 4,
        "Overcast": 2,
        "Spotify": 2,
    }
    systems = dict(queries.breakdown(app, Scope(), "os", ONLY_DAY0))
    assert systems["android"] == 14  # AntennaPod and Spotify
    assert systems["windows"] == 6 and systems["linux"] == 11


def test_clip_funnel_channels_referrers_and_embeds(app: Soundbite, golden: tuple) -> None:
    library, _ = golden
    clip1, clip2 = (Scope(clip_id=library.clips[n]) for n in (1, 2))
    assert queries.funnel(app, clip1, ONLY_DAY0) == [
        ("views", 3),
        ("plays", 3),
        ("completes", 2),
        ("clickthroughs", 4),
        ("listens", 1),
    ]
    assert [n for _, n in queries.funnel(app, clip2, ONLY_DAY0)] == [1, 1, 1, 1, 1]
    episode = Scope(episode_id=library.episodes[1])
    assert [n for _, n in queries.funnel(app, episode, ONLY_DAY0)] == [4, 4, 3, 5, 2]

    assert queries.breakdown(app, clip1, "channel", ONLY_DAY0) == [("x", 2), ("whatsapp", 1)]
    assert queries.breakdown(app, clip1, "referrer", ONLY_DAY0) == [("t.co", 1)]  # DNT's dropped
    shares = queries.breakdown(app, clip1, "channel", ONLY_DAY0, metric="shares")
    assert sorted(shares) == [("copy", 1), ("whatsapp", 1), ("x", 1)]
    assert queries.breakdown(app, clip1, "embed", ONLY_DAY0) == [
        ("blog.example.org", 2),
        ("news.example.com", 1),
    ]
    day1 = queries.summary(app, clip1, DayRange(DAY1, DAY1)).totals
    assert (day1["views"], day1["plays"]) == (1, 0)


def test_no_address_or_user_agent_is_stored(app: Soundbite, golden: tuple) -> None:
    _, agents = golden
    text = []
    with app.db.read() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(sa.select(table)):
                text.append(" ".join(str(v) for v in row))
    dump = "\n".join(text)
    for fragment in ("198.51.100", "203.0.113", "192.0.2.", "66.249.", "2001:db8", "ffff:"):
        assert fragment not in dump, fragment
    for user_agent in filter(None, agents.values()):
        assert user_agent not in dump
        assert user_agent.split(" ")[0] not in dump  # not even its first product token
    assert " sb/" not in dump
    hashes = re.findall(r"\b[0-9a-f]{32}\b", dump)
    assert len(hashes) > 100  # what is stored instead: the hashes

    # two days of salts exist now; making day 2's deletes day 0's (older than 48 h)
    with app.db.write() as s:
        salt_for_day(s, DAY1 + timedelta(days=1))
    with app.db.read() as s:
        days = sorted(s.scalars(sa.select(ClipEventSalt.day)))
    assert days == [DAY1, DAY1 + timedelta(days=1)]
