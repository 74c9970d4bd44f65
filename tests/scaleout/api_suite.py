"""Run API test files with every test app on S3 storage (SeaweedFS) instead of a folder.

    python -m tests.scaleout.api_suite tests/test_web_episodes.py [more files or pytest args]

The tests' ``make_settings`` leaves the S3 settings to the environment, so setting
SOUNDBITE_S3_* is all it takes: the same tests, unchanged, then exercise S3Storage through
the app (uploads, the pipeline's local_path cache, ranged /media responses). The `app`
fixture still runs each test on SQLite and on PostgreSQL. Exits with pytest's status.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from tests.scaleout.fixtures import BUCKET, shared_seaweedfs
from tests.scaleout.services import S3_ACCESS_KEY, S3_SECRET_KEY

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def s3_environment(endpoint: str, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SOUNDBITE_S3_BUCKET=BUCKET,
        SOUNDBITE_TEST_S3_RUN=prefix,  # each test gets <prefix>/<random> (s3_plugin.py)
        SOUNDBITE_S3_ENDPOINT_URL=endpoint,
        SOUNDBITE_S3_ACCESS_KEY_ID=S3_ACCESS_KEY,
        SOUNDBITE_S3_SECRET_ACCESS_KEY=S3_SECRET_KEY,
    )
    return env


def run(args: list[str], endpoint: str, prefix: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PYTEST, "-p", "tests.scaleout.s3_plugin", *args],
        env=s3_environment(endpoint, prefix),
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


if __name__ == "__main__":
    result = run(sys.argv[1:], shared_seaweedfs().endpoint, f"suite-{secrets.token_hex(4)}")
    print(result.stdout[-5000:], result.stderr[-2000:])
    sys.exit(result.returncode)
