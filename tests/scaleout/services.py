"""Own instances of SeaweedFS (S3), Redis and PostgreSQL on free loopback ports.

Each is a context manager that starts the server in a temporary folder, waits until it
answers, and kills it on exit; ``stop()``/``start()`` in between are what fault tests use.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from soundbite.ops.cluster import free_port, weed_command

PG_BIN = Path("/usr/lib/postgresql/15/bin")
S3_ACCESS_KEY = "soundbite-test"
S3_SECRET_KEY = "soundbite-test-secret"


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """A child process in its own session (so a kill takes its children too)."""

    name = "server"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
            )
        try:
            wait_until(self.ready, timeout, self.name)
        except TimeoutError:
            self.stop()
            raise TimeoutError(
                f"{self.name} did not start:\n{self.log.read_text()[-2000:]}"
            ) from None

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class SeaweedFS(Server):
    """`weed mini`: master, volume, filer and S3 gateway in one process, every port pinned."""

    name = "seaweedfs"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        names = ["master", "volume", "filer", "s3", "admin", "webdav"]
        self.ports = {n: free_port() for n in names}
        self.grpc = {n: free_port() for n in names}
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        config = workdir / "s3.json"
        identity = {
            "name": "soundbite",
            "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        self.config = config

    def command(self) -> list[str]:
        (self.workdir / "data").mkdir(exist_ok=True)
        cmd = [
            weed_command(),
            "mini",
            f"-dir={self.workdir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.config}",
            "-volume.max=40",
            "-master.volumeSizeLimitMB=64",
        ]
        for n in ("master", "volume", "filer", "s3", "admin"):
            cmd += [f"-{n}.port={self.ports[n]}", f"-{n}.port.grpc={self.grpc[n]}"]
        cmd.append(f"-webdav.port={self.ports['webdav']}")
        return cmd

    def ready(self) -> bool:
        import httpx

        try:
            # 403 (signed requests only) means the gateway and the filer behind it are up
            return httpx.get(self.endpoint, timeout=1).status_code in (200, 403)
        except httpx.HTTPError:
            return False


class Redis(Server):
    name = "redis"

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        super().__init__(workdir)
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        # like the machine's Redis: nothing kept on disk, so a restart forgets every message
        return [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]

    def ready(self) -> bool:
        return port_open(self.port)


class Postgres(Server):
    """A throwaway cluster made with initdb; `pg_ctl`-free so a kill is a plain kill."""

    name = "postgres"

    def __init__(self, workdir: Path) -> None:
        # its own folder straight under /tmp: the postgres account cannot enter pytest's
        # root-only temporary folders
        super().__init__(Path(tempfile.mkdtemp(prefix="soundbite-pg-")))
        self.port = free_port()
        self.datadir = self.workdir / "pgdata"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def command(self) -> list[str]:
        if not (self.datadir / "PG_VERSION").exists():
            subprocess.run(
                [str(PG_BIN / "initdb"), "-D", str(self.datadir), "-U", "postgres", "-A", "trust"],
                check=True,
                capture_output=True,
                cwd=self.workdir,
                **_as_postgres_user(),
            )
        return [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.datadir),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.workdir}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=60",
        ]

    def start(self, timeout: float = 30.0) -> None:
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: hand the folder to the postgres account
            shutil.chown(self.workdir, "postgres", "postgres")
            self.datadir.mkdir(exist_ok=True, mode=0o700)
            shutil.chown(self.datadir, "postgres", "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres", "postgres")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
                **_as_postgres_user(),
            )
        wait_until(self.ready, timeout, self.name)

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=self.port,
                user="postgres",
                dbname="postgres",
                connect_timeout=1,
            ):
                return True
        except psycopg.OperationalError:
            return False


def _as_postgres_user() -> dict[str, object]:
    if os.geteuid() != 0:
        return {}
    import pwd

    pw = pwd.getpwnam("postgres")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
