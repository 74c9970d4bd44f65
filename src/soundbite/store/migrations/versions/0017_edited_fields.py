"""edited fields: which of a podcast's or episode's details (title, description) an admin or
creator changed by hand, so that reading the feed again does not put the feed's back

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
# the lead re-chains it after the last migration merged beside it
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN, not batch mode: on SQLite batch mode copies the table, drops it and
    # renames the copy, and dropping `episodes` cascades to every clip of it
    for table in ("podcasts", "episodes"):
        op.add_column(
            table, sa.Column("edited", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    for table in ("podcasts", "episodes"):
        op.drop_column(table, "edited")  # SQLite 3.35+ drops a column in place
