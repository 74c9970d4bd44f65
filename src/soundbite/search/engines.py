"""Which lexical search engine a database gets: SQLite FTS5, or PostgreSQL full-text search."""

from __future__ import annotations

from soundbite.search.backend import LexicalBackend, SqliteBackend
from soundbite.store.db import Database


def backend_for(db: Database) -> LexicalBackend:
    if db.is_sqlite:
        return SqliteBackend()
    from soundbite.search.postgres import PostgresBackend

    return PostgresBackend()
