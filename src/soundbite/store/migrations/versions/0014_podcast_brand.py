"""podcast brand: the colours, logo and caption style of a podcast's clip videos (issue 13)

Existing podcasts keep the default look (colours NULL: the defaults of ``domain/brand.py``).

Revision ID: 0014
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
# built beside 0013; the lead re-chains it when both are merged
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("podcasts") as batch:
        batch.add_column(sa.Column("brand_background", sa.String(7)))
        batch.add_column(sa.Column("brand_accent", sa.String(7)))
        batch.add_column(sa.Column("brand_logo_key", sa.Text()))
        batch.add_column(
            sa.Column("caption_style", sa.String(16), nullable=False, server_default="highlight")
        )
        batch.add_column(
            sa.Column("caption_size", sa.String(8), nullable=False, server_default="medium")
        )


def downgrade() -> None:
    with op.batch_alter_table("podcasts") as batch:
        for column in (
            "caption_size",
            "caption_style",
            "brand_logo_key",
            "brand_accent",
            "brand_background",
        ):
            batch.drop_column(column)
