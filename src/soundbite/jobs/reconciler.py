"""The reconciler: makes the broker agree with the job table again.

A broker is a delivery mechanism, not a record: Redis restarted without persistence forgets
its queues, a worker killed with ``kill -9`` leaves its message unacknowledged (Redis hands it
out again only after its visibility timeout, an hour), and a web process may enqueue while the
broker is down. In each case the job table still says what must run, so every Celery worker
runs this loop every ``reconcile_seconds``:

1. Running jobs whose lease ran out, or whose worker process on this host is gone, are queued
   again (``JobQueue.reconcile``), and that clears their dispatch lease.
2. Queued, runnable jobs with no dispatch lease are sent now.
3. Those whose dispatch lease ran out are sent again when their stage's broker queue holds
   fewer messages than jobs waiting: then some messages must be lost. A long backlog whose
   messages are all still there is left alone, so a slow queue does not fill with duplicates.

Duplicates are harmless either way (the task claims its job id or drops the message), so this
errs towards sending. On PostgreSQL an advisory lock keeps two workers from reconciling at the
same moment, which would only double the messages.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from soundbite.jobs.dispatch import CeleryDispatcher, dispatched_counts, runnable_jobs
from soundbite.store.queue import JobQueue

log = logging.getLogger(__name__)

RECONCILE_LOCK_ID = 0x50B17F  # beside the migration lock in migrations/env.py


@dataclass(frozen=True, slots=True)
class Pass:
    requeued: int  # running jobs whose worker was gone
    sent: int  # messages published
    skipped: bool = False  # another process held the lock


class Reconciler:
    def __init__(
        self, queue: JobQueue, dispatcher: CeleryDispatcher, *, interval_s: float = 10.0
    ) -> None:
        self.queue = queue
        self.dispatcher = dispatcher
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Pass:
        with self._exclusive() as ours:
            if not ours:
                return Pass(0, 0, skipped=True)
            requeued = self.queue.reconcile()
            jobs = runnable_jobs(self.queue.db)
            fresh = [j for j in jobs if not j.dispatched]
            lossy = self._stages_missing_messages({j.stage for j in jobs if j.dispatched})
            stale = [j for j in jobs if j.dispatched and j.stage in lossy]
            sent = self.dispatcher.send(fresh + stale)
        if requeued or sent:
            log.info("reconciler: %s job(s) requeued, %s message(s) sent", requeued, sent)
        return Pass(requeued, sent)

    def _stages_missing_messages(self, stages: set[str]) -> set[str]:
        """Stages whose broker queue holds fewer messages than dispatched jobs wait for."""
        if not stages:
            return set()
        expected = dispatched_counts(self.queue.db)
        lossy = set()
        for stage in stages:
            depth = self.dispatcher.queue_depth(stage)
            if depth is None or depth < expected[stage]:
                lossy.add(stage)
        return lossy

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="soundbite-reconciler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception as exc:
                # the database or the broker is down: say so once per pass and keep going
                log.warning("reconciler pass failed: %s", exc)

    @contextmanager
    def _exclusive(self) -> Iterator[bool]:
        db = self.queue.db
        if db.is_sqlite:
            yield True  # one machine, one writer: nothing to coordinate
            return
        with db.engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": RECONCILE_LOCK_ID})
            ours = bool(got.scalar())
            conn.commit()
            try:
                yield ours
            finally:
                if ours:
                    conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": RECONCILE_LOCK_ID})
                    conn.commit()
