"""Monthly partitions of ``analytics_events`` on PostgreSQL (native declarative partitioning).

Raw events arrive at millions a month and leave a month at a time (the retention), so on
PostgreSQL the table is ``PARTITION BY RANGE (at)`` with one partition per UTC month
(``analytics_events_2026_11``) and a ``DEFAULT`` partition, made by migration 0019. Why:

- pruning past the retention drops a whole month's partition (a catalogue change) instead of
  deleting millions of rows and leaving the table bloated for VACUUM;
- a rollup reads one day, and the planner scans only that day's month.

The rollup job creates the current month's and the next ``AHEAD`` months' partitions, so rows
land in their month. Should the job not have run (a server stopped for months), an event for a
month with no partition lands in the DEFAULT partition, never lost; creating that month later
moves its rows out of DEFAULT first (PostgreSQL refuses to attach a partition whose rows the
DEFAULT partition holds).

The partition key must be part of every unique index, so the primary key is ``(id, at)``; ids
still come from one sequence and stay unique. SQLite has no partitioning: every function here
does nothing there, and pruning deletes rows as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

PARENT = "analytics_events"
DEFAULT = "analytics_events_default"
AHEAD = 2  # months created ahead of the current one


def month_of(at: datetime | date) -> date:
    return date(at.year, at.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_{month.year:04d}_{month.month:02d}"


def _bound(month: date) -> str:
    return datetime(month.year, month.month, 1, tzinfo=UTC).isoformat()


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": PARENT}
    ).scalar()
    return kind == "p"


def partitions(conn: Connection) -> dict[date, str]:
    """The monthly partitions that exist (the DEFAULT partition is not a month)."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": PARENT},
    ).scalars()
    out = {}
    prefix = PARENT + "_"
    for name in names:
        year, _, month = name.removeprefix(prefix).partition("_")
        if name.startswith(prefix) and year.isdigit() and month.isdigit():
            out[date(int(year), int(month), 1)] = name
    return out


def create_month(conn: Connection, month: date) -> bool:
    """Create `month`'s partition unless it exists, taking over its rows from DEFAULT.

    In the caller's transaction: the new table is filled from DEFAULT and attached, so no
    reader ever sees the month's rows twice or not at all."""
    if month in partitions(conn):
        return False
    name, lo, hi = partition_name(month), _bound(month), _bound(next_month(month))
    conn.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
    window = {"lo": lo, "hi": hi}
    conn.execute(
        text(f"INSERT INTO {name} SELECT * FROM {DEFAULT} WHERE at >= :lo AND at < :hi"), window
    )
    conn.execute(text(f"DELETE FROM {DEFAULT} WHERE at >= :lo AND at < :hi"), window)
    # a CHECK matching the bound lets ATTACH skip scanning the new table
    conn.execute(
        text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound CHECK (at >= '{lo}' AND at < '{hi}')")
    )
    conn.execute(
        text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    )
    conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound"))
    return True


def ensure_months(conn: Connection, today: date, *, ahead: int = AHEAD) -> list[date]:
    """Create this month's partition and `ahead` more; the months created."""
    if not is_partitioned(conn):
        return []
    made, month = [], month_of(today)
    for _ in range(ahead + 1):
        if create_month(conn, month):
            made.append(month)
        month = next_month(month)
    return made


def drop_months_before(
    conn: Connection, cutoff: date, *, final: Callable[[date, date], bool]
) -> dict[date, int]:
    """Drop every monthly partition that ends by `cutoff` and whose days are all final.

    ``final(first_day, end)`` says whether every day from the first event in the partition
    up to `end` (exclusive) has had its final rollup; a month that has not keeps its rows.
    Returns the rows dropped per month."""
    if not is_partitioned(conn):
        return {}
    dropped = {}
    for month, name in sorted(partitions(conn).items()):
        end = next_month(month)
        if end > cutoff:
            break
        first, rows = conn.execute(text(f"SELECT min(at), count(*) FROM {name}")).one()
        if first is not None and not final(first.astimezone(UTC).date(), end):
            continue
        conn.execute(text(f"DROP TABLE {name}"))
        dropped[month] = int(rows)
    return dropped
