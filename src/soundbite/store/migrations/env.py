"""Alembic environment: the URL and connection come from soundbite.store.migrate, not an ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from soundbite.store.models import Base

MIGRATION_LOCK_ID = 0x50B17E  # any fixed number; all Soundbite processes use the same one


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    if connection.dialect.name == "postgresql":
        # several web processes may start together: only one migrates, the others wait.
        # A transaction-level lock, released by the COMMIT that publishes the new schema:
        # a session lock released before that commit let a waiter in to find no tables yet
        # and migrate a second time (tests/test_faults.py starts three processes at once).
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
