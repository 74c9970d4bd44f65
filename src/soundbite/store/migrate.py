"""Run Alembic migrations from code, so `soundbite serve` can bring any database up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from soundbite.store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database) -> None:
    config = alembic_config(db)
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
