"""Pytest plugin for api_suite.py: each test gets its own S3 prefix and broker queues, and
loses its Celery workers when it ends.

Local storage gives each test a folder of its own (tmp_path); on S3 the same isolation is a
key prefix per test, under the run's prefix so the run can be found (and listed) afterwards.
Queues are per test for a sharper reason: job ids start again at 1 in every test's database,
so a message left over from one test would name a job of the next.
"""

from __future__ import annotations

import os
import secrets

import pytest

from tests.pipeline_support import celery_runs, stop_workers


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    base = os.environ.get("SOUNDBITE_TEST_S3_RUN", "suite")
    token = secrets.token_hex(4)
    os.environ["SOUNDBITE_S3_PREFIX"] = f"{base}/{token}"
    os.environ["SOUNDBITE_BROKER_QUEUE_PREFIX"] = f"{base}-{token}-"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    # before the fixtures close the app and drop its database
    stop_workers()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"scale-out: {celery_runs['pipelines']} pipeline runs, "
        f"{celery_runs['jobs']} jobs through Celery workers"
    )
