"""analytics partitions: on PostgreSQL, analytics_events becomes PARTITION BY RANGE (at), one
partition per UTC month and a DEFAULT one, keeping every row (store/analytics_partitions.py).
SQLite has no partitioning: nothing changes there.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

from soundbite.store import analytics_partitions as parts

revision = "0019"
# the lead re-chains it after the last migration merged beside it
down_revision = "0018"
branch_labels = None
depends_on = None

OLD = "analytics_events_unpartitioned"


def _rename_old() -> str:
    """Move the plain table (and its index and key names) aside; its id sequence's name."""
    op.execute(f"ALTER TABLE {parts.PARENT} RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {parts.PARENT}_pkey TO {OLD}_pkey")
    op.execute(f"ALTER INDEX ix_{parts.PARENT}_at RENAME TO ix_{OLD}_at")
    sequence = (
        op.get_bind().execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": OLD}).scalar()
    )
    assert sequence, "analytics_events.id has no sequence"
    return str(sequence)


def _swap(sequence: str) -> None:
    """Copy the rows over, hand the id sequence to the new table, drop the old one."""
    op.execute(f"INSERT INTO {parts.PARENT} SELECT * FROM {OLD}")
    # the sequence is owned by the old id column: dropping that table would take it along
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {parts.PARENT}.id")
    op.execute(f"DROP TABLE {OLD}")
    op.execute(f"ANALYZE {parts.PARENT}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    sequence = _rename_old()
    # LIKE copies the columns, NOT NULLs and defaults (the id's nextval of the same sequence)
    op.execute(
        f"CREATE TABLE {parts.PARENT} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY RANGE (at)"
    )
    # a partitioned table's unique keys must hold the partition key
    op.execute(
        f"ALTER TABLE {parts.PARENT} ADD CONSTRAINT {parts.PARENT}_pkey PRIMARY KEY (id, at)"
    )
    op.execute(f"CREATE INDEX ix_{parts.PARENT}_at ON {parts.PARENT} (at)")
    op.execute(f"CREATE TABLE {parts.DEFAULT} PARTITION OF {parts.PARENT} DEFAULT")
    first = bind.execute(text(f"SELECT min(at) FROM {OLD}")).scalar()
    today = datetime.now(UTC).date()
    month = parts.month_of(first.astimezone(UTC) if first is not None else today)
    while month <= parts.month_of(today):
        parts.create_month(bind, month)
        month = parts.next_month(month)
    parts.ensure_months(bind, today)
    _swap(sequence)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    sequence = _rename_old()
    op.execute(f"CREATE TABLE {parts.PARENT} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute(f"ALTER TABLE {parts.PARENT} ADD CONSTRAINT {parts.PARENT}_pkey PRIMARY KEY (id)")
    op.execute(f"CREATE INDEX ix_{parts.PARENT}_at ON {parts.PARENT} (at)")
    _swap(sequence)  # dropping the partitioned table drops its partitions
