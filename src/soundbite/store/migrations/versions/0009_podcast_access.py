"""podcast access: each podcast's visibility and its creators (issue 12, roles and public site)

Existing podcasts stay members-only (``private``), which is what a server without
``SOUNDBITE_PUBLIC_LIBRARY`` showed before; an admin opens them up one by one.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("podcasts") as batch:
        batch.add_column(
            sa.Column("visibility", sa.String(length=16), nullable=False, server_default="private")
        )
    op.create_table(
        "podcast_creators",
        sa.Column(
            "podcast_id",
            sa.Integer(),
            sa.ForeignKey("podcasts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("podcast_creators")
    with op.batch_alter_table("podcasts") as batch:
        batch.drop_column("visibility")
