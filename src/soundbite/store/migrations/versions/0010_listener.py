"""listener: subscriptions, listening progress and history, listener settings, draft clips

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
# built beside 0009 (roles and podcast visibility); re-chained after it when both are merged
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("podcast_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["podcast_id"], ["podcasts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "podcast_id"),
    )
    op.create_table(
        "listening",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("position_ms", sa.BigInteger(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("first_played_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_played_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "episode_id"),
    )
    op.create_index("ix_listening_user_played", "listening", ["user_id", "last_played_at"])
    op.create_table(
        "listener_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mark_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    # a plain ADD COLUMN (no batch copy of `clips`): existing clips are not drafts
    op.add_column(
        "clips", sa.Column("draft", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE clips DROP COLUMN draft")
    else:
        op.drop_column("clips", "draft")
    op.drop_table("listener_settings")
    op.drop_index("ix_listening_user_played", table_name="listening")
    op.drop_table("listening")
    op.drop_table("subscriptions")
