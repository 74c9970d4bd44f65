"""On PostgreSQL the raw event table is partitioned by month (store/analytics_partitions.py):
rows land in their month's partition, an event for a month with no partition yet is kept (in
the DEFAULT partition, and moved to its month when that is created), pruning drops a month
past the retention whole, and migration 0019 keeps the rows it finds."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from soundbite.analytics.rollup import prune, rollup_day
from soundbite.analytics.sink import EventSink, RawEvent
from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from soundbite.store import analytics_partitions as parts
from soundbite.store.db import Database
from tests.analytics_support import DAY0, golden_library, read_log
from tests.conftest import make_settings
from tests.scaleout.processes import drop_schema, fresh_schema
from tests.test_migration_accounts import _migrate


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    schema = f"sbtest_{secrets.token_hex(6)}"
    url, admin = fresh_schema(postgres_server, schema)
    yield url
    drop_schema(admin, schema)


@pytest.fixture
def pg_app(tmp_path: Path, pg_url: str) -> Iterator[Soundbite]:
    sb = Soundbite.from_settings(make_settings(tmp_path / "data", pg_url))
    ensure_owner(sb)
    yield sb
    sb.close()


def _where(db: Database) -> dict[str, int]:
    """Rows per partition, by the partition each row is stored in (tableoid)."""
    with db.engine.connect() as c:
        rows = c.execute(
            sa.text("SELECT tableoid::regclass::text, count(*) FROM analytics_events GROUP BY 1")
        ).all()
    return {name.split(".")[-1]: n for name, n in rows}


def _children(db: Database) -> set[str]:
    with db.engine.connect() as c:
        return set(
            c.execute(
                sa.text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'analytics_events'::regclass"
                )
            ).scalars()
        )


def test_events_land_in_their_month_and_a_month_without_partition_loses_nothing(
    pg_app: Soundbite,
) -> None:
    this_month = parts.month_of(datetime.now(UTC))
    ahead = [
        this_month,
        parts.next_month(this_month),
        parts.next_month(parts.next_month(this_month)),
    ]
    # made by the migration: this month, two ahead, and DEFAULT
    assert {parts.partition_name(m) for m in ahead} | {parts.DEFAULT} <= _children(pg_app.db)

    with pg_app.db.read() as s:
        owner = s.execute(sa.text("SELECT id FROM users ORDER BY id LIMIT 1")).scalar_one()
    events, _ = read_log(golden_library(pg_app, owner))
    # the golden log's month (November 2026): a server running then had made its partition;
    # the migration makes only today's month and the next two
    with pg_app.db.write() as s:
        parts.create_month(s.connection(), parts.month_of(DAY0))
    sink = EventSink(pg_app)
    for event in events:
        sink.add(event)
    far = datetime(2031, 1, 15, 12, tzinfo=UTC)  # no partition for January 2031 yet
    sink.add(RawEvent(at=far, kind="view", address="192.0.2.1", user_agent="Firefox/1", clip_id=1))
    sink.close()

    where = _where(pg_app.db)
    nov = parts.partition_name(parts.month_of(DAY0))
    assert where == {nov: 161, parts.DEFAULT: 1}  # 158 + 3 on days 0 and 1; January 2031

    # creating January 2031 (the rollup job does it ahead of time) moves its row over
    with pg_app.db.write() as s:
        assert parts.ensure_months(s.connection(), date(2030, 12, 5), ahead=1) == [
            date(2030, 12, 1),
            date(2031, 1, 1),
        ]
    assert _where(pg_app.db) == {nov: 161, "analytics_events_2031_01": 1}
    with pg_app.db.write() as s:
        assert parts.ensure_months(s.connection(), date(2030, 12, 5), ahead=1) == []


def test_pruning_drops_a_month_past_the_retention_once_its_days_are_final(
    pg_app: Soundbite,
) -> None:
    september = date(2026, 9, 1)
    with pg_app.db.write() as s:
        assert parts.create_month(s.connection(), september)
    sink = EventSink(pg_app)
    for day in (28, 29, 30):
        at = datetime(2026, 9, day, 10, tzinfo=UTC)
        sink.add(RawEvent(at=at, kind="view", address="192.0.2.9", user_agent="Firefox/1"))
    sink.close()
    assert _where(pg_app.db) == {"analytics_events_2026_09": 3}

    retention = timedelta(days=pg_app.settings.analytics_retention_days)
    after = datetime(2026, 10, 2, tzinfo=UTC) + retention  # the retention ends after Sep 30
    # Sep 29 and 30 were never rolled up: the month is not final and keeps its rows
    rollup_day(pg_app, date(2026, 9, 28), now=after)
    assert prune(pg_app, now=after) == 1  # Sep 28, by rows; the partition stays
    assert "analytics_events_2026_09" in _children(pg_app.db)

    for day in (29, 30):
        rollup_day(pg_app, date(2026, 9, day), now=after)
    assert prune(pg_app, now=after) == 2
    assert "analytics_events_2026_09" not in _children(pg_app.db)
    with pg_app.db.read() as s:
        runs = s.execute(sa.text("SELECT count(*) FROM analytics_rollup_runs")).scalar_one()
    assert runs == 3  # the aggregates and their runs are kept


def test_the_upgrade_partitions_the_table_and_keeps_every_row(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        _migrate(db, "0018")
        md = sa.MetaData()
        md.reflect(db.engine, only=["analytics_events"])
        table = md.tables["analytics_events"]
        base = {
            "kind": "view",
            "podcast_id": 1,
            "episode_id": 2,
            "clip_id": 3,
            "listener": "l" * 32,
            "address": "a" * 32,
            "tracked": True,
            "bot": False,
            "app": "",
            "device": "",
            "os": "",
            "method": "GET",
            "channel": "x",
            "referrer": "t.co",
        }
        stamps = [
            datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC),  # long ago: a partition of its own
            datetime.combine(DAY0, time(12), UTC),
            datetime.combine(DAY0, time(13), UTC),
        ]
        with db.engine.begin() as c:
            c.execute(table.insert(), [{**base, "at": at} for at in stamps])
            before = c.execute(sa.select(table).order_by(table.c.id)).all()
        _migrate(db, "head")

        with db.engine.connect() as c:
            kind = c.execute(
                sa.text("SELECT relkind FROM pg_class WHERE oid = 'analytics_events'::regclass")
            ).scalar_one()
            after = c.execute(sa.select(table).order_by(table.c.id)).all()
        assert kind == "p"
        assert after == before
        assert _where(db) == {"analytics_events_2025_06": 1, parts.partition_name(DAY0): 2}

        # ids go on from the same sequence
        with db.engine.begin() as c:
            c.execute(table.insert(), {**base, "at": stamps[1]})
            ids = c.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
        assert ids == [*(row.id for row in before), before[-1].id + 1]

        _migrate(db, "0018", down=True)  # and back, rows kept, no partitions left
        with db.engine.connect() as c:
            kind = c.execute(
                sa.text("SELECT relkind FROM pg_class WHERE oid = 'analytics_events'::regclass")
            ).scalar_one()
            count = c.execute(sa.text("SELECT count(*) FROM analytics_events")).scalar_one()
        assert (kind, count) == ("r", 4)
    finally:
        db.dispose()
