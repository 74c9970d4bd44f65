"""feed problems: what was repaired or skipped when a podcast's feed was last read

A JSON list of ``{"item": title or null, "reason": text}``, empty when the feed was well-formed
(see ``ingest/feed_recovery.py``). Existing podcasts start with an empty list.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("podcasts") as batch:
        batch.add_column(
            sa.Column("feed_problems", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("podcasts") as batch:
        batch.drop_column("feed_problems")
