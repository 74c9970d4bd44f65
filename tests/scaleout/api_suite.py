"""Run API test files in the scale-out mode: media in S3 (SeaweedFS), jobs through Celery.

    python -m tests.scaleout.api_suite tests/test_web_episodes.py [more files or pytest args]

The tests' ``make_settings`` leaves the S3 and broker settings to the environment, so setting
SOUNDBITE_S3_* and SOUNDBITE_BROKER_URL is all it takes: the same tests, unchanged, then
store media through S3Storage (uploads, the pipeline's download cache, ranged /media
responses), and every job they run goes to a broker queue and is run by a real `soundbite
worker` process (tests/pipeline_support.py). The `app` fixture still runs each test on SQLite
and on PostgreSQL. Exits with pytest's status.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.scaleout.fixtures import BUCKET, shared_seaweedfs
from tests.scaleout.services import S3_ACCESS_KEY, S3_SECRET_KEY, Redis

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def scaleout_environment(s3_endpoint: str, broker_url: str, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SOUNDBITE_S3_BUCKET=BUCKET,
        SOUNDBITE_TEST_S3_RUN=prefix,  # each test gets <prefix>/<random> (suite_plugin.py)
        SOUNDBITE_S3_ENDPOINT_URL=s3_endpoint,
        SOUNDBITE_S3_ACCESS_KEY_ID=S3_ACCESS_KEY,
        SOUNDBITE_S3_SECRET_ACCESS_KEY=S3_SECRET_KEY,
        SOUNDBITE_BROKER_URL=broker_url,
    )
    return env


def run(
    args: list[str], s3_endpoint: str, broker_url: str, prefix: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYTEST, "-p", "tests.scaleout.suite_plugin", *args],
        env=scaleout_environment(s3_endpoint, broker_url, prefix),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


if __name__ == "__main__":
    with Redis(Path(tempfile.mkdtemp(prefix="soundbite-redis-"))) as redis:
        assert isinstance(redis, Redis)
        prefix = f"suite-{secrets.token_hex(4)}"
        result = run(sys.argv[1:], shared_seaweedfs().endpoint, redis.url, prefix)
    print(result.stdout[-5000:], result.stderr[-2000:])
    sys.exit(result.returncode)
