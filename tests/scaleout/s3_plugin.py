"""Pytest plugin for api_suite.py: a fresh S3 key prefix for every test.

Local storage gives each test a folder of its own (tmp_path); on S3 the same isolation is a
prefix per test, under the run's prefix so the run can be found (and listed) afterwards.
"""

from __future__ import annotations

import os
import secrets

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    base = os.environ.get("SOUNDBITE_TEST_S3_RUN", "suite")
    os.environ["SOUNDBITE_S3_PREFIX"] = f"{base}/{secrets.token_hex(4)}"
