"""speakers: the people a feed names on each episode (podcast:person)

Diarization labels voices "Speaker 1", "Speaker 2"; a creator names them once. The feed's
podcast:person tags say who was on the show, so the episode keeps them (the item's, or the
channel's when the item has none) to offer as those names.

Revision ID: 0016
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("episodes", sa.Column("persons", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("episodes", "persons")
