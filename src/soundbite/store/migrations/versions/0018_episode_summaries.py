"""episode summaries: one paragraph per episode, extractive or written by the configured
language model (insight/summary.py, insight/llm.py), derived from the transcript like chapters

A new table, so nothing existing is rebuilt; episodes analysed before it get their summary the
next time the analyze stage runs.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
# the lead re-chains it after the last migration merged beside it
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "episode_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_episode_summaries_episode_id", "episode_summaries", ["episode_id"], unique=True
    )
    op.create_index("ix_episode_summaries_transcript_id", "episode_summaries", ["transcript_id"])


def downgrade() -> None:
    op.drop_table("episode_summaries")
