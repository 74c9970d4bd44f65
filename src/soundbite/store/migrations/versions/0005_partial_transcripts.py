"""transcripts.complete: a transcript is written as it is made, and says when it is whole

The transcribe stage stores each chunk's segments as soon as they are decoded (issue 10), so
a listener can clip the start of a long episode while the rest is being transcribed. Every
transcript written before this revision was written whole.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transcripts") as batch:
        batch.add_column(
            sa.Column("complete", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("transcripts") as batch:
        batch.drop_column("complete")
