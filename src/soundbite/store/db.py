"""Engine and sessions for SQLite (embedded) and PostgreSQL (scale-out), from one URL.

SQLite needs care to stay correct when web requests and worker threads write at once:
WAL lets readers run beside the writer, and write transactions start with
``BEGIN IMMEDIATE`` so that a transaction which reads and then writes takes the write lock
up front, waiting on ``busy_timeout``, instead of failing with SQLITE_BUSY when it tries to
upgrade. Read-only work uses :meth:`Database.read`, which begins deferred.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from soundbite.errors import NotFound

# What the driver raises when the database is down, unreachable or out of connections: the
# web layer answers these with 503 and Retry-After instead of a 500.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """Connection pool of a server database (SQLite has no pool worth tuning)."""

    size: int = 10
    max_overflow: int = 20
    timeout_s: float = 30.0
    recycle_s: int = 1800


class Database:
    def __init__(self, url: str, pool: PoolOptions | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, pool or PoolOptions())
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._read = sessionmaker(reader, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, pool: PoolOptions) -> Engine:
    if not url.startswith("sqlite"):
        # pre-ping: after a database restart, stale pooled connections are replaced on checkout
        # instead of failing the first request that draws each one
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool.size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.timeout_s,
            pool_recycle=pool.recycle_s,
        )
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control away from the sqlite3 module so that we issue BEGIN ourselves
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def rowcount(result: object) -> int:
    """Rows an UPDATE or DELETE touched (CursorResult at run time; typed only as Result)."""
    return int(getattr(result, "rowcount", 0))


Row = TypeVar("Row")


def get_or_not_found(s: Session, model: type[Row], key: object, what: str) -> Row:
    """The row with this primary key, or NotFound("no {what} {key}")."""
    row = s.get(model, key)
    if row is None:
        raise NotFound(f"no {what} {key}")
    return row
