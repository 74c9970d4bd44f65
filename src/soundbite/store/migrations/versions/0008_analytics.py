"""analytics: raw events and the hourly and daily aggregates dashboards read (issue 14)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("podcast_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("listener", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=32), nullable=False),
        sa.Column("tracked", sa.Boolean(), nullable=False),
        sa.Column("bot", sa.Boolean(), nullable=False),
        sa.Column("app", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=32), nullable=False),
        sa.Column("os", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("range_start", sa.BigInteger(), nullable=True),
        sa.Column("range_end", sa.BigInteger(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("minute_bytes", sa.BigInteger(), nullable=True),
        sa.Column("played_ms", sa.Integer(), nullable=True),
        sa.Column("clip_ms", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("referrer", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_analytics_events_at", "analytics_events", ["at"])
    op.create_table(
        "analytics_rollups",
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("podcast_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "period", "start", "metric", "podcast_id", "episode_id", "clip_id", "dimension", "value"
        ),
    )
    op.create_index(
        "ix_analytics_rollups_read",
        "analytics_rollups",
        ["clip_id", "episode_id", "period", "metric", "dimension", "start"],
    )
    op.create_index(
        "ix_analytics_rollups_podcast",
        "analytics_rollups",
        ["podcast_id", "clip_id", "episode_id", "period", "metric", "dimension", "start"],
    )
    op.create_table(
        "analytics_rollup_runs",
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("period", "start"),
    )


def downgrade() -> None:
    op.drop_table("analytics_rollup_runs")
    op.drop_table("analytics_rollups")
    op.drop_table("analytics_events")
