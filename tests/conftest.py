"""Shared fixtures: a real Soundbite instance on real SQLite and real PostgreSQL.

Tests that take the ``app`` fixture run twice, once per database. PostgreSQL is the server on
127.0.0.1:5432 (trust auth, database ``test``); each test gets a schema of its own, dropped
afterwards, so runs never see each other's rows. If the server is down we try to start it,
and fail loudly rather than skip: the suite promises both databases.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from soundbite.settings import Settings
from tests.scaleout.processes import drop_schema, fresh_schema

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

DATA = Path(__file__).parent / "data"
PG_SERVER = os.environ.get("SOUNDBITE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
OWNER_PASSWORD = "correct horse battery staple"
# one unpacked model for the whole run: joining and hashing 140 MB per test would dominate
MODEL_DIR = Path(os.environ.get("SOUNDBITE_TEST_MODEL_DIR", "/tmp/soundbite-test-models"))


def _postgres_up() -> bool:
    try:
        engine = sa.create_engine(PG_SERVER)
        with engine.connect() as c:
            c.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not _postgres_up():
        subprocess.run(
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            shell=True,
            check=False,
        )
        for _ in range(30):
            if _postgres_up():
                break
            time.sleep(1)
        else:
            pytest.fail(f"PostgreSQL is not reachable at {PG_SERVER} and could not be started")
    return PG_SERVER


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'soundbite.db'}"
        return
    schema = f"sbtest_{secrets.token_hex(6)}"
    url, admin = fresh_schema(request.getfixturevalue("postgres_server"), schema)
    yield url
    drop_schema(admin, schema)


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "owner_password": OWNER_PASSWORD,
        "model_dir": MODEL_DIR,
        "workers": 0,
        # Diarization (the `speakers` extra, when installed) adds seconds to every transcription
        # and minutes to a long one; tests/test_speakers.py turns it on where it is the subject.
        "diarize": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Soundbite]:
    sb = Soundbite.from_settings(settings)
    ensure_owner(sb)
    yield sb
    sb.close()


@pytest.fixture
def owner_id(app: Soundbite) -> int:
    from soundbite.store.models import User

    with app.db.read() as s:
        return s.scalars(
            sa.select(User.id).where(User.role == "admin").order_by(User.id).limit(1)
        ).one()


@pytest.fixture
def client(app: Soundbite) -> TestClient:
    """The owner, signed in by cookie, talking to the web app in-process."""
    # imported here: tests.test_web_support imports this module's constants
    from tests.test_web_support import make_client, sign_in

    client = make_client(app)
    sign_in(client)
    return client
