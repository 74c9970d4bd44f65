"""The durable job table: enqueue, claim with a lease, report, finish, retry, reconcile.

Every operation is a short transaction on the ``jobs`` table, which is the single source of
truth for pipeline state whatever dispatches the work. Claiming is an optimistic
``UPDATE … WHERE state = 'queued'`` checked by row count, which is race-free on SQLite and
PostgreSQL alike without ``SKIP LOCKED``.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, select, text, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import Exists

from soundbite.domain.pipeline import DONE, FAILED, QUEUED, RUNNING, STEPS
from soundbite.errors import Conflict
from soundbite.store.base import as_utc
from soundbite.store.db import Database, get_or_not_found, rowcount
from soundbite.store.models import Job

SERVER_ENQUEUE_LOCK = 0x50B180  # beside the migration and reconciler locks


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    episode_id: int | None  # None: server-wide work (domain/pipeline.py SERVER_STAGES)
    stage: str
    attempts: int
    worker_id: str


def now() -> datetime:
    return datetime.now(UTC)


def worker_identity(suffix: str = "") -> str:
    """host:pid[:suffix] — lets a restarted process on the same host spot its dead predecessors."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{suffix}" if suffix else base


class JobQueue:
    def __init__(self, db: Database, *, lease_seconds: int = 120, max_attempts: int = 3) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts

    def enqueue(self, episode_id: int | None, stages: list[str]) -> None:
        """Queue stages for an episode (None: server-wide stages); a stage already known is
        queued again unless running, so repeated requests for the same work are one job."""
        with self.db.write() as s:
            if episode_id is None:
                _server_lock(s)
            same = Job.episode_id.is_(None) if episode_id is None else Job.episode_id == episode_id
            existing = {j.stage: j for j in s.scalars(select(Job).where(same))}
            for stage in stages:
                job = existing.get(stage)
                if job is None:
                    s.add(
                        Job(
                            episode_id=episode_id, stage=stage, step=STEPS[stage], message="waiting"
                        )
                    )
                elif job.state != RUNNING:
                    if job.state in (DONE, FAILED):
                        job.attempts = 0  # a new run: the last run's attempts are not its own
                    job.state, job.progress, job.message = QUEUED, 0.0, "waiting"
                    job.error, job.updated_at = None, now()

    def enqueue_periodic(self, stage: str, every: timedelta) -> bool:
        """Queue a server-wide stage unless it is queued, running, or finished less than
        `every` ago; True when it was queued. Several processes may each call it on their own
        timer: the row is one, and a run that just finished is not repeated."""
        with self.db.write() as s:
            _server_lock(s)
            job = s.scalars(select(Job).where(Job.episode_id.is_(None), Job.stage == stage)).first()
            if job is None:
                s.add(Job(episode_id=None, stage=stage, step=STEPS[stage], message="waiting"))
                return True
            if job.state in (QUEUED, RUNNING):
                return False
            if job.finished_at is not None and as_utc(job.finished_at) > now() - every:
                return False
            job.state, job.progress, job.message, job.attempts = QUEUED, 0.0, "waiting", 0
            job.error, job.updated_at = None, now()
            return True

    def claim(self, worker_id: str, stages: list[str] | None = None) -> ClaimedJob | None:
        """Take the oldest runnable job, or None. Expired leases are reconciled first."""
        self.reconcile()
        query = select(Job.id).where(Job.state == QUEUED, ~blocked()).order_by(Job.step, Job.id)
        if stages:
            query = query.where(Job.stage.in_(stages))
        for _ in range(5):  # another worker may win the race for a candidate: try the next
            with self.db.write() as s:
                job_id = s.scalars(query.limit(1)).first()
                if job_id is None:
                    return None
                claimed = s.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.state == QUEUED)
                    .values(**self._running(worker_id))
                )
                if rowcount(claimed) == 1:
                    job = s.get_one(Job, job_id)
                    return ClaimedJob(job.id, job.episode_id, job.stage, job.attempts, worker_id)
        return None

    def claim_job(self, job_id: int, worker_id: str) -> ClaimedJob | None:
        """Take this very job (a broker delivered its id), or None if it is not runnable now.

        None covers a duplicate delivery (the job is done or running elsewhere) and a job whose
        earlier stages are unfinished: the caller drops the message, and the job table decides
        what runs next. A dead holder on this host is reconciled first, so a message redelivered
        after its worker was killed is taken at once rather than after the lease runs out.
        """
        self.reconcile()
        with self.db.write() as s:
            claimed = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == QUEUED, ~blocked())
                .values(**self._running(worker_id))
            )
            if rowcount(claimed) != 1:
                return None
            job = s.get_one(Job, job_id)
            return ClaimedJob(job.id, job.episode_id, job.stage, job.attempts, worker_id)

    def _running(self, worker_id: str) -> dict[str, object]:
        t = now()
        return {
            "state": RUNNING,
            "worker_id": worker_id,
            "attempts": Job.attempts + 1,
            "lease_expires_at": t + self.lease,
            "started_at": t,
            "updated_at": t,
            "progress": 0.0,
            "message": "starting",
        }

    def heartbeat(
        self, job: ClaimedJob, *, progress: float | None = None, message: str | None = None
    ) -> bool:
        """Extend the lease (and record progress). False when the job is no longer ours."""
        values: dict[str, object] = {"lease_expires_at": now() + self.lease, "updated_at": now()}
        if progress is not None:
            values["progress"] = max(0.0, min(100.0, progress))
        if message is not None:
            values["message"] = message
        return self._update_ours(job, **values)

    def complete(self, job: ClaimedJob, message: str = "done") -> bool:
        return self._finish(job, state=DONE, progress=100.0, message=message, error=None)

    def fail(self, job: ClaimedJob, error: str) -> bool:
        return self._finish(job, state=FAILED, message="failed", error=error)

    def _finish(self, job: ClaimedJob, **values: object) -> bool:
        t = now()
        return self._update_ours(job, lease_expires_at=None, finished_at=t, updated_at=t, **values)

    def _update_ours(self, job: ClaimedJob, **values: object) -> bool:
        """Write to the job only while this worker still holds it; False once it does not."""
        with self.db.write() as s:
            result = s.execute(
                update(Job)
                .where(Job.id == job.id, Job.state == RUNNING, Job.worker_id == job.worker_id)
                .values(**values)
            )
            return rowcount(result) == 1

    def retry(self, job_id: int) -> None:
        with self.db.write() as s:
            job = get_or_not_found(s, Job, job_id, "job")
            if job.state in (RUNNING, QUEUED):
                raise Conflict(f"job {job_id} is {job.state}; only a finished job can be retried")
            job.state, job.progress, job.message, job.updated_at = (
                QUEUED,
                0.0,
                "queued for retry",
                now(),
            )
            # later stages depend on this one: run them again too
            for later in s.scalars(
                select(Job).where(Job.episode_id == job.episode_id, Job.step > job.step)
            ):
                if later.state != RUNNING:
                    later.state, later.progress, later.message = QUEUED, 0.0, "waiting"

    def reconcile(self) -> int:
        """Requeue running jobs whose lease expired or whose process on this host is gone."""
        t = now()
        requeued = 0
        with self.db.write() as s:
            stale = s.scalars(select(Job).where(Job.state == RUNNING)).all()
            for job in stale:
                expired = job.lease_expires_at is not None and as_utc(job.lease_expires_at) < t
                if not (expired or _holder_is_dead(job.worker_id)):
                    continue
                requeued += 1
                job.worker_id, job.lease_expires_at, job.updated_at = None, None, t
                if job.attempts >= self.max_attempts:
                    job.state, job.message = FAILED, "failed"
                    job.error = f"the worker stopped during each of {job.attempts} attempts"
                else:
                    job.state, job.message = QUEUED, "worker stopped; queued again"
        return requeued


def _server_lock(s: Session) -> None:
    """Serialise enqueues of server-wide jobs on PostgreSQL: their episode is NULL, which the
    (episode_id, stage) unique key does not compare, so two processes could each insert one.
    (On SQLite the write transaction already begins IMMEDIATE.)"""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SERVER_ENQUEUE_LOCK})


def blocked() -> Exists:
    """True for a job some earlier stage of whose episode is not done yet."""
    earlier = aliased(Job)
    return exists().where(
        and_(earlier.episode_id == Job.episode_id, earlier.step < Job.step, earlier.state != DONE)
    )


def _holder_is_dead(worker_id: str | None) -> bool:
    if not worker_id:
        return True
    host, _, rest = worker_id.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's worker: only its lease can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
