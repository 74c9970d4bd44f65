"""Rollups are idempotent: run twice they count nothing twice, and a run killed midway (the
process gone with SIGKILL after it deleted the day's aggregates, before it wrote the new
ones) leaves the aggregates as they were. Raw events are pruned after the retention, and
only once their day is final. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from soundbite.analytics.rollup import catch_up, prune, rollup_day
from soundbite.analytics.sink import EventSink
from soundbite.bootstrap import Soundbite
from soundbite.cli import cli
from soundbite.store.analytics_models import AnalyticsEvent, AnalyticsRollup
from tests.analytics_support import DAY0, golden_library, read_log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KILLED_ROLLUP = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date
    from sqlalchemy import event
    from soundbite.analytics.rollup import rollup_day
    from soundbite.bootstrap import Soundbite
    from soundbite.settings import Settings

    sb = Soundbite.from_settings(Settings(), migrate=False)

    @event.listens_for(sb.db.engine, "before_cursor_execute")
    def die_before_writing(conn, cursor, statement, *args):
        # by now this transaction has deleted the day's aggregates
        if statement.lstrip().upper().startswith("INSERT INTO ANALYTICS_ROLLUPS"):
            print("killed midway", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    rollup_day(sb, date.fromisoformat(sys.argv[1]))
    """
)


def _aggregates(app: Soundbite) -> list[tuple]:
    r = AnalyticsRollup
    with app.db.read() as s:
        rows = s.execute(
            sa.select(
                r.period,
                r.start,
                r.metric,
                r.podcast_id,
                r.episode_id,
                r.clip_id,
                r.dimension,
                r.value,
                r.count,
            )
        ).all()
    return sorted((p, start.replace(tzinfo=None), *rest) for p, start, *rest in rows)


def _load_golden(app: Soundbite, owner_id: int) -> None:
    events, _ = read_log(golden_library(app, owner_id))
    sink = EventSink(app)
    for event in events:
        sink.add(event)
    sink.close()


def test_rollup_twice_and_killed_midway_count_nothing_twice(app: Soundbite, owner_id: int) -> None:
    _load_golden(app, owner_id)
    rollup_day(app, DAY0)
    first = _aggregates(app)
    downloads = [
        row for row in first if row[:3] == ("day", datetime.combine(DAY0, time()), "downloads")
    ]
    assert sum(row[-1] for row in downloads if row[3:8] == (0, 0, 0, "", "")) == 37

    rollup_day(app, DAY0)
    assert _aggregates(app) == first

    env = {
        **os.environ,
        "PYTHONPATH": os.path.join(ROOT, "src"),
        "SOUNDBITE_DATA_DIR": str(app.settings.data_dir),
        "SOUNDBITE_DATABASE_URL": app.settings.resolved_database_url,
    }
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_ROLLUP, DAY0.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "killed midway" in killed.stdout
    assert _aggregates(app) == first  # the deletion died with the transaction

    rollup_day(app, DAY0)
    assert _aggregates(app) == first


def test_catch_up_finalises_days_and_prune_keeps_the_aggregates(
    app: Soundbite, owner_id: int
) -> None:
    _load_golden(app, owner_id)
    during_day0 = datetime.combine(DAY0, time(12), UTC)
    assert [r.day for r in catch_up(app, now=during_day0)] == [DAY0]
    # day 0 was rolled up while it lasted: it is rolled up again later, then never more
    later = datetime.combine(DAY0 + timedelta(days=3), time(1), UTC)
    assert [r.day for r in catch_up(app, now=later)] == [
        DAY0,
        DAY0 + timedelta(days=1),
        DAY0 + timedelta(days=2),
        DAY0 + timedelta(days=3),
    ]
    assert [r.day for r in catch_up(app, now=later)] == [DAY0 + timedelta(days=3)]
    before = _aggregates(app)

    retention = app.settings.analytics_retention_days
    assert prune(app, now=later) == 0  # within the retention
    gone = prune(app, now=later + timedelta(days=retention))
    with app.db.read() as s:
        left = s.scalar(sa.select(sa.func.count()).select_from(AnalyticsEvent))
    # 14 HEAD requests and 15 probes of at most two bytes were never stored
    assert gone == 190 - 14 - 15 and left == 0
    assert _aggregates(app) == before


def test_rollup_command(app: Soundbite, owner_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _load_golden(app, owner_id)
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(app.settings.data_dir))
    monkeypatch.setenv("SOUNDBITE_DATABASE_URL", app.settings.resolved_database_url)
    result = CliRunner().invoke(cli, ["analytics", "rollup"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # 161 stored events: 158 on day 0, 3 on day 1
    day1 = DAY0 + timedelta(days=1)
    assert lines[:2] == [
        f"{DAY0}  158 events  {len(_aggregates_of(app, DAY0))} aggregate rows",
        f"{day1}  3 events  {len(_aggregates_of(app, day1))} aggregate rows",
    ]
    again = CliRunner().invoke(cli, ["analytics", "rollup"], catch_exceptions=False)
    assert f"{DAY0}  " not in again.output  # final now: not rolled up again


def _aggregates_of(app: Soundbite, day: date) -> list[tuple]:
    start = datetime.combine(day, time())
    return [row for row in _aggregates(app) if start <= row[1] < start + timedelta(days=1)]
