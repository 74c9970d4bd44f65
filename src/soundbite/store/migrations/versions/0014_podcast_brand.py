"""podcast brand: the colours, logo and caption style of a podcast's clip videos (issue 13)

Existing podcasts keep the default look (colours NULL: the defaults of ``domain/brand.py``).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
# built beside 0013; the lead re-chains it when both are merged
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs, not batch mode: on SQLite batch mode may copy the table, drop it and
    # rename the copy, and dropping `podcasts` cascades to its episodes and their clips
    op.add_column("podcasts", sa.Column("brand_background", sa.String(7)))
    op.add_column("podcasts", sa.Column("brand_accent", sa.String(7)))
    op.add_column("podcasts", sa.Column("brand_logo_key", sa.Text()))
    op.add_column(
        "podcasts",
        sa.Column("caption_style", sa.String(16), nullable=False, server_default="highlight"),
    )
    op.add_column(
        "podcasts", sa.Column("caption_size", sa.String(8), nullable=False, server_default="medium")
    )


def downgrade() -> None:
    for column in (
        "caption_size",
        "caption_style",
        "brand_logo_key",
        "brand_accent",
        "brand_background",
    ):
        op.drop_column("podcasts", column)  # SQLite 3.35+ drops a column in place
