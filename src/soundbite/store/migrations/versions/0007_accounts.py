"""accounts: roles, disabled accounts, invites, token scopes, session details

Until now one owner (users.is_owner) ran the server. An install upgrades in place: the owner
becomes an admin and keeps every row it owns (clips, podcasts, episodes and tokens point at the
same users.id); every other account becomes a listener. Existing API tokens could do
everything, so they get the `write` scope.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="listener")
        )
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET role = 'admin' WHERE is_owner")
    _drop_column("users", "is_owner")

    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(16), nullable=False, server_default="write"))
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(255), nullable=True))

    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("invites")
    _drop_column("web_sessions", "user_agent")
    _drop_column("api_tokens", "scope")
    # a plain ADD COLUMN: batch mode would rebuild `users` (see _drop_column)
    op.add_column(
        "users", sa.Column("is_owner", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # one owner again: the first admin (the others lose their rights, as they did not exist)
    op.execute(
        "UPDATE users SET is_owner = TRUE WHERE id = "
        "(SELECT MIN(id) FROM users WHERE role = 'admin')"
    )
    _drop_column("users", "disabled_at")
    _drop_column("users", "role")


def _drop_column(table: str, column: str) -> None:
    """Drop a column without rebuilding the table.

    Alembic's batch mode on SQLite copies the table and drops the old one. For `users` that
    DROP fails while foreign keys are on, because clips, podcasts and episodes point at it (and
    were it allowed, ON DELETE CASCADE would take every clip with it). SQLite's own
    ALTER TABLE … DROP COLUMN (3.35+) changes the table in place, which is all a column needs
    that no index or constraint names.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)
