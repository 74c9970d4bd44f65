"""chapters: generated chapters are stored apart from topics

Generated chapters used to be the topics themselves, one every minute or two: 95 chapters on
a 2.4-hour interview (issue 15). The analyze stage now writes a coarse level, a few chapters
an hour with noun-phrase titles, into this table, and topics nest inside them. Episodes
analysed before this revision get their analyze and index stages queued again, so that their
chapters exist and their search context follows the new topics.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chapters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chapters_transcript_id", "chapters", ["transcript_id"])
    op.create_index("ix_chapters_episode_position", "chapters", ["episode_id", "position"])
    op.execute(
        sa.text(
            "UPDATE jobs SET state = 'queued', attempts = 0, progress = 0, message = 'waiting',"
            " error = NULL, updated_at = CURRENT_TIMESTAMP"
            " WHERE stage IN ('analyze', 'index') AND state = 'done'"
        )
    )


def downgrade() -> None:
    op.drop_table("chapters")
