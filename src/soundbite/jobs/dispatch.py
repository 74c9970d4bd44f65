"""Job dispatch: telling workers that the job table has work for them.

The job table decides *what* runs; a dispatcher only says *when to look*. Two of them:

- ``LocalDispatcher`` (embedded): wakes the worker threads in this process, which claim from
  the table themselves.
- ``CeleryDispatcher`` (scale-out): sends the id of every runnable job to the broker queue
  named after its stage (``transcribe`` on GPU hosts, the rest near the web tier). The Celery
  task claims *that* id in the table, so a duplicate message is a harmless no-op, and a lost
  one is sent again by the reconciler (``jobs/reconciler.py``).

A queued job's ``lease_expires_at`` is its *dispatch lease*: sending its message stamps it
with now + ``redispatch_seconds`` (a running job's lease means the same thing for its worker).
``None`` means no message was ever sent for it (a fresh enqueue, a retry, a worker that died),
so :meth:`CeleryDispatcher.wake` sends those at once and the reconciler sends the rest when
the lease has run out and the broker queue holds fewer messages than jobs waiting for them.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, or_, select, update

from soundbite.context import Dispatcher
from soundbite.derived import RenderJob
from soundbite.store.db import Database
from soundbite.store.models import Job
from soundbite.store.queue import QUEUED, blocked, now

if TYPE_CHECKING:
    from soundbite.jobs.worker import WorkerPool

log = logging.getLogger(__name__)

TASK_NAME = "soundbite.run_job"
# Clip pre-renders, on a queue of their own: workers near the web tier and the media store
# take them, so web processes keep their CPU for requests (a first play before the worker is
# done still renders, or waits for the render, in the web process: see clips/renders.py)
RENDER_TASK = "soundbite.render_clip"
RENDER_QUEUE = "render"


@dataclass(frozen=True, slots=True)
class Runnable:
    job_id: int
    stage: str
    dispatched: bool  # a message was sent before (its dispatch lease ran out)


class LocalDispatcher(Dispatcher):
    """The embedded mode: wakes the in-process worker pool (``soundbite serve``; a no-op until
    one is attached) and renders clips on this process's render pool."""

    def __init__(self, pool: WorkerPool | None = None) -> None:
        self.pool = pool

    def wake(self, episode_id: int | None = None) -> None:
        if self.pool is not None:
            self.pool.wake()

    def prerender(self, job: RenderJob) -> None:
        self.render_locally(job)


class CeleryDispatcher(Dispatcher):
    """Sends job ids to per-stage Celery queues."""

    def __init__(
        self, db: Database, celery: Any, *, redispatch_seconds: int = 60, queue_prefix: str = ""
    ) -> None:
        self.db = db
        self.celery = celery
        self.redispatch = timedelta(seconds=redispatch_seconds)
        self.prefix = queue_prefix

    def wake(self, episode_id: int | None = None) -> None:
        self.send(runnable_jobs(self.db, episode_id=episode_id, fresh_only=True))

    def send(self, jobs: list[Runnable]) -> int:
        """Publish one message per job; returns how many went out. Stamps the dispatch lease."""
        sent: list[int] = []
        try:
            for job in jobs:
                queue = self.prefix + job.stage
                self.celery.send_task(TASK_NAME, args=[job.job_id], queue=queue)
                sent.append(job.job_id)
        except Exception as exc:  # kombu raises a zoo of connection errors
            log.warning("broker unavailable (%s); the reconciler will dispatch later", exc)
        if sent:
            # after publishing: a worker that claims first has made the job running, and
            # the state condition below then leaves its lease alone
            with self.db.write() as s:
                s.execute(
                    update(Job)
                    .where(Job.id.in_(sent), Job.state == QUEUED)
                    .values(lease_expires_at=now() + self.redispatch)
                )
        return len(sent)

    def prerender(self, job: RenderJob) -> None:
        """On a worker's ``render`` queue, so web processes keep their CPU for requests; in
        this process when the broker cannot take it. Renders are not job rows: the render
        table already makes them once-only, and one that never happens here happens on
        first play."""
        message = job.to_message()
        try:
            self.celery.send_task(RENDER_TASK, kwargs=message, queue=self.prefix + RENDER_QUEUE)
        except Exception as exc:
            log.warning("broker unavailable (%s); rendering in this process", exc)
            self.render_locally(job)

    def queue_depth(self, stage: str) -> int | None:
        """Messages waiting in a stage's broker queue, or None when the broker cannot say."""
        try:
            with self.celery.connection_for_read() as conn:
                ok = conn.default_channel.queue_declare(queue=self.prefix + stage, passive=True)
                return int(ok.message_count)
        except Exception as exc:
            if "NOT_FOUND" in str(exc) or "404" in str(exc):
                return 0  # RabbitMQ: nobody declared the queue yet, so nothing waits in it
            log.debug("queue depth of %s unknown: %s", stage, exc)
            return None

    def close(self) -> None:
        self.celery.close()


def runnable_jobs(
    db: Database,
    *,
    episode_id: int | None = None,
    fresh_only: bool = False,
    limit: int = 1000,
) -> list[Runnable]:
    """Queued jobs whose earlier stages are done and whose dispatch lease is unset or over."""
    t = now()
    lease_over: ColumnElement[bool] = Job.lease_expires_at.is_(None)
    if not fresh_only:
        lease_over = or_(lease_over, Job.lease_expires_at < t)
    query = (
        select(Job.id, Job.stage, Job.lease_expires_at)
        .where(Job.state == QUEUED, ~blocked(), lease_over)
        .order_by(Job.step, Job.id)
        .limit(limit)
    )
    if episode_id is not None:
        query = query.where(Job.episode_id == episode_id)
    with db.read() as s:
        rows = s.execute(query).all()
    return [Runnable(job_id, stage, lease is not None) for job_id, stage, lease in rows]


def dispatched_counts(db: Database) -> Counter[str]:
    """Per stage: queued, runnable jobs sent to the broker (each should have a message)."""
    query = (
        select(Job.stage, func.count())
        .where(Job.state == QUEUED, ~blocked(), Job.lease_expires_at.is_not(None))
        .group_by(Job.stage)
    )
    with db.read() as s:
        return Counter({stage: int(n) for stage, n in s.execute(query).all()})
