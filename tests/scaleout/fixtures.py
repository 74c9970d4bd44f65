"""Pytest fixtures for the scale-out tests; test modules import the ones they use.

One SeaweedFS and one bucket serve the whole session, and a random key prefix keeps tests
apart (SeaweedFS gives every bucket volumes of its own, so a bucket per test would run it out
of volumes). The fault tests start their own servers, since they kill them.
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundbite.store.blobs.s3 import S3Options, S3Storage
from tests.scaleout.services import S3_ACCESS_KEY, S3_SECRET_KEY, SeaweedFS

BUCKET = "soundbite-test"
_shared: SeaweedFS | None = None


def shared_seaweedfs() -> SeaweedFS:
    """The session's SeaweedFS, started on first use and killed when the interpreter exits."""
    global _shared
    if _shared is None:
        server = SeaweedFS(Path(tempfile.mkdtemp(prefix="soundbite-s3-")))
        server.start()
        atexit.register(shutil.rmtree, server.workdir, ignore_errors=True)
        atexit.register(server.stop)  # runs first: atexit is last in, first out
        make = S3Storage(s3_options(server.endpoint, BUCKET, Path(tempfile.mkdtemp())))
        make.ensure_bucket()
        _shared = server
    return _shared


def s3_options(endpoint: str, bucket: str, cache_dir: Path, **overrides: object) -> S3Options:
    values: dict[str, object] = {
        "bucket": bucket,
        "cache_dir": cache_dir,
        "endpoint_url": endpoint,
        "access_key_id": S3_ACCESS_KEY,
        "secret_access_key": S3_SECRET_KEY,
    }
    values.update(overrides)
    return S3Options(**values)  # type: ignore[arg-type]


def s3_settings(endpoint: str, bucket: str = BUCKET) -> dict[str, object]:
    """Settings overrides that put an app's media under a fresh prefix of the bucket."""
    return {
        "s3_bucket": bucket,
        "s3_prefix": f"t-{secrets.token_hex(6)}",
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": S3_ACCESS_KEY,
        "s3_secret_access_key": S3_SECRET_KEY,
    }


@pytest.fixture(scope="session")
def seaweedfs() -> SeaweedFS:
    return shared_seaweedfs()


@pytest.fixture
def s3_storage(seaweedfs: SeaweedFS, tmp_path: Path) -> Iterator[S3Storage]:
    prefix = f"t-{secrets.token_hex(6)}"
    yield S3Storage(s3_options(seaweedfs.endpoint, BUCKET, tmp_path / "s3-cache", prefix=prefix))
