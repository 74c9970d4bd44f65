"""Soundbite processes for the scale-out tests: Celery workers and web servers, as real
`soundbite` commands in their own sessions, configured only through SOUNDBITE_* variables
(as docs/deploy.md tells an operator to)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from soundbite.ops.cluster import free_port
from tests.scaleout.services import wait_until

SOUNDBITE = str(Path(sys.executable).parent / "soundbite")


def environment(settings: Mapping[str, object]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOUNDBITE_")}
    for name, value in settings.items():
        if value is not None:
            env[f"SOUNDBITE_{name.upper()}"] = str(value)
    return env


class Process:
    def __init__(self, args: list[str], settings: Mapping[str, object], log: Path) -> None:
        self.args = args
        self.settings = dict(settings)
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [SOUNDBITE, *self.args],
                env=environment(self.settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (a Celery worker and its pool children)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def pids(self) -> set[int]:
        """The group's process ids (the worker and its pool children)."""
        if self.proc is None:
            return set()
        out = subprocess.run(
            ["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout
        return {int(p) for p in out.split()}

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


def celery_worker(
    settings: Mapping[str, object], log: Path, queues: str = "", name: str = ""
) -> Process:
    args = ["worker", "--threads", "1"]
    if queues:
        args += ["--queues", queues]
    if name:
        args += ["--name", name]
    return Process(args, settings, log).start()


def web_server(settings: Mapping[str, object], log: Path) -> tuple[Process, str]:
    port = free_port()
    proc = Process(["serve", "--port", str(port), "--workers", "0"], settings, log).start()
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/api/auth/me", timeout=1).status_code < 500
        except httpx.HTTPError:
            return False

    wait_until(up, 60, f"web server on {port}:\n{proc.tail()}")
    return proc, url


def fresh_schema(server_url: str, name: str) -> tuple[str, sa.Engine]:
    """A new schema on a PostgreSQL server: (URL whose search_path is that schema, admin)."""
    admin = sa.create_engine(server_url)
    with admin.begin() as c:
        c.execute(sa.text(f"create schema {name}"))
    # the application name lets drop_schema find every connection made to it, even in
    # processes a test started, and end them: a leftover one would block DROP SCHEMA forever
    return f"{server_url}?options=-csearch_path%3D{name}&application_name={name}", admin


def drop_schema(admin: sa.Engine, name: str) -> None:
    with admin.begin() as c:
        c.execute(
            sa.text(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where application_name = :name and pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        c.execute(sa.text("set local lock_timeout = '30s'"))
        c.execute(sa.text(f"drop schema {name} cascade"))
    admin.dispose()


def wait_until_serving(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until `soundbite serve` at `base` answers (a 401 from /api/auth/me); fail with its log
    if it exits or takes over a minute."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/api/auth/me", timeout=2).status_code == 401:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"soundbite serve did not start:\n{log.read_text()}")
        time.sleep(0.2)
