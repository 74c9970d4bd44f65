"""Helpers shared by the web tests (this module holds no tests of its own).

The web tests drive the real application in-process through Starlette's TestClient, on the
real databases of the ``app`` fixture; nothing is mocked.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from soundbite.bootstrap import Soundbite
from soundbite.jobs.dispatch import LocalDispatcher
from soundbite.jobs.worker import WorkerPool
from soundbite.store.models import Episode, MediaBlob
from soundbite.web.app import create_app
from tests.conftest import DATA, OWNER_PASSWORD

SPEECH = DATA / "web" / "librispeech_61-70968-0000.flac"
BAD_MEDIA = DATA / "web" / "bad-media"
# a transcript of SPEECH, as a publisher might supply it
VTT = (
    b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHe began a confused complaint\n\n"
    b"00:00:02.500 --> 00:00:04.900\nagainst the wizard\n"
)


def make_client(app: Soundbite, pool: WorkerPool | None = None) -> TestClient:
    """A client of `app`; with `pool`, the routes' enqueues wake it (as `soundbite serve`)."""
    if pool is not None:
        assert isinstance(app.dispatcher, LocalDispatcher)
        app.dispatcher.pool = pool
    return TestClient(create_app(app))


def sign_in(client: TestClient, password: str = OWNER_PASSWORD) -> str:
    """Sign in by cookie and send the CSRF token on every later request; returns the token."""
    r = client.post("/api/auth/login", json={"username": "owner", "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def upload(
    client: TestClient,
    path: Path = SPEECH,
    *,
    title: str | None = None,
    transcript: tuple[str, bytes, str] | None = None,
    content_type: str = "audio/flac",
) -> httpx.Response:
    files: dict[str, tuple[str, bytes, str]] = {
        "file": (path.name, path.read_bytes(), content_type)
    }
    if transcript is not None:
        files["transcript"] = transcript
    data = {"title": title} if title is not None else None
    return client.post("/api/episodes", files=files, data=data)


def row_counts(app: Soundbite) -> tuple[int, int]:
    """(episodes, media blobs): what a refused upload must leave unchanged."""
    with app.db.read() as s:
        episodes = s.scalar(select(func.count()).select_from(Episode)) or 0
        blobs = s.scalar(select(func.count()).select_from(MediaBlob)) or 0
    return episodes, blobs


def stored_files(app: Soundbite) -> set[Path]:
    """Every file in the media store and in the upload scratch folder."""
    roots = [app.settings.resolved_storage_dir, app.settings.data_dir / "uploads"]
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}
