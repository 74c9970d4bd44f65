"""for you: listeners' signals, privacy choices, podcasts kept out of recommendations, trained
models; jobs may be server-wide (no episode), for the recommender's training

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
# built beside 0011 (moderation); the lead re-chains it after 0011 when both are merged
down_revision = "0011"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("episode_id", sa.Integer(), sa.ForeignKey("episodes.id", ondelete="CASCADE")),
        sa.Column("clip_id", sa.Integer(), sa.ForeignKey("clips.id", ondelete="CASCADE")),
        sa.Column("podcast_id", sa.Integer(), sa.ForeignKey("podcasts.id", ondelete="CASCADE")),
        sa.Column("query", sa.Text()),
        sa.Column("start_ms", sa.BigInteger()),
        sa.Column("listened_ms", sa.BigInteger()),
    )
    op.create_index("ix_signals_user_at", "signals", ["user_id", "at"])
    op.create_index("ix_signals_at", "signals", ["at"])
    op.create_index("ix_signals_episode_id", "signals", ["episode_id"])
    op.create_index("ix_signals_clip_id", "signals", ["clip_id"])
    op.create_table(
        "listener_privacy",
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("personalised", sa.Boolean(), nullable=False),
        sa.Column("history_paused", sa.Boolean(), nullable=False),
        sa.Column("signals_changed_at", _TZ),
    )
    op.create_table(
        "recommend_exclusions",
        sa.Column(
            "podcast_id",
            sa.Integer(),
            sa.ForeignKey("podcasts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("excluded_at", _TZ, nullable=False),
    )
    op.create_table(
        "recommend_models",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trained_at", _TZ, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("listeners", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("signals", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("last_full_at", _TZ, nullable=False),
    )
    # the recommender's training is one job for the whole server, not per episode
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("episode_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE episode_id IS NULL")
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("episode_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("recommend_models")
    op.drop_table("recommend_exclusions")
    op.drop_table("listener_privacy")
    for name in (
        "ix_signals_clip_id",
        "ix_signals_episode_id",
        "ix_signals_at",
        "ix_signals_user_at",
    ):
        op.drop_index(name, table_name="signals")
    op.drop_table("signals")
