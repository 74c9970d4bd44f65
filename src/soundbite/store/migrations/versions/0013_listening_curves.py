"""listening curves: the 5 s buckets signed-in listeners heard, and their daily aggregates
(issue 14, part 3)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_hearings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("podcast_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("listener", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("heard", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_analytics_hearings_at", "analytics_hearings", ["at"])
    op.create_table(
        "analytics_curves",
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("podcast_id", sa.Integer(), nullable=False),
        sa.Column("listeners", sa.BigInteger(), nullable=False),
        sa.Column("replays", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("start", "episode_id", "bucket"),
    )
    op.create_index("ix_analytics_curves_episode", "analytics_curves", ["episode_id", "start"])


def downgrade() -> None:
    op.drop_table("analytics_curves")
    op.drop_table("analytics_hearings")
