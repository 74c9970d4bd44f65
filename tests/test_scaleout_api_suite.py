"""The API test suite again, unchanged, in the scale-out mode.

Every API test file below runs a second time in a child pytest (tests/scaleout/api_suite.py)
whose apps keep their media in S3 (SeaweedFS) and send every job through a Redis broker to
real `soundbite worker` processes, on SQLite and on PostgreSQL alike. The first run of the
same files, in the embedded mode, is the ordinary suite.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from soundbite.store.blobs.s3 import S3Storage
from tests.scaleout.fixtures import BUCKET, s3_options, seaweedfs  # noqa: F401
from tests.scaleout.services import Redis, SeaweedFS

API_SUITE = [
    "tests/test_web_episodes.py",
    "tests/test_web_feeds.py",
    "tests/test_web_auth.py",
    "tests/test_web_ranges.py",
    "tests/test_web_pages.py",
    "tests/test_clip_api.py",
    "tests/test_clip_renders.py",
    "tests/test_share_pages.py",
    "tests/test_insight_stages.py",
    "tests/test_search.py",
]


@pytest.mark.timeout(900)
def test_the_api_suite_passes_in_scale_out_mode(
    seaweedfs: SeaweedFS,  # noqa: F811
    tmp_path: Path,
) -> None:
    from tests.scaleout.api_suite import run

    prefix = f"suite-{secrets.token_hex(4)}"
    with Redis(tmp_path / "redis") as redis:
        assert isinstance(redis, Redis)
        result = run(API_SUITE, seaweedfs.endpoint, redis.url, prefix)
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    assert " passed" in result.stdout and "failed" not in result.stdout, output
    # the jobs crossed the broker (run_pipeline also checks that a Celery worker ran each)...
    runs = re.search(r"scale-out: (\d+) pipeline runs, (\d+) jobs", result.stdout)
    assert runs and int(runs[1]) > 0 and int(runs[2]) >= int(runs[1]), output
    # ... and the media went to the bucket
    probe = S3Storage(s3_options(seaweedfs.endpoint, BUCKET, Path("/nonexistent")))
    listed = probe.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/", MaxKeys=5)
    assert listed.get("KeyCount", 0) > 0
