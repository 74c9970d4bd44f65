"""Running an app's queued jobs from a test, the way the app's own mode runs them.

A test says "now let the pipeline run" with :func:`run_pipeline`; the mode decides how:

- embedded (no broker, the default): the in-process worker pool runs the jobs in the test's
  thread, as `soundbite serve` does;
- scale-out (the app has a broker, as under ``python -m tests.scaleout.api_suite``): a real
  `soundbite worker` process (Celery, prefork) is started for the app on first use, the jobs
  travel as broker messages, and the test waits on the job table until nothing is runnable.
  The worker is stopped when the test ends (``tests/scaleout/suite_plugin.py``) or, failing
  that, when the interpreter exits.

So the same test body proves the same behaviour in both modes.
"""

from __future__ import annotations

import atexit
import time
from pathlib import Path

import sqlalchemy as sa

from soundbite.bootstrap import Soundbite
from soundbite.jobs.dispatch import CeleryDispatcher
from soundbite.jobs.worker import WorkerPool
from soundbite.store.models import Job
from soundbite.store.queue import QUEUED, RUNNING, blocked
from tests.scaleout.pipeline import worker_settings
from tests.scaleout.processes import Process, celery_worker

_workers: dict[tuple[int, str], Process] = {}  # (id(app), queues) -> a Celery worker
_counted: dict[int, int] = {}  # id(app) -> job attempts counted by earlier calls
# what ran through Celery in this process, for the suite's summary line
celery_runs = {"pipelines": 0, "jobs": 0}


def run_pipeline(app: Soundbite, *, stages: list[str] | None = None, timeout: float = 120.0) -> int:
    """Run jobs (of these stages only, if given) until none is runnable; returns how many
    job runs that took. In scale-out mode ``stages`` are the worker's queues."""
    if not isinstance(app.dispatcher, CeleryDispatcher):
        return WorkerPool(app, 0, stages=stages).run_until_idle()
    # Once started, the worker runs whatever is dispatched, between calls too (a retry sent
    # through the API is taken at once): count from the end of the previous call, not from now
    before = _counted.get(id(app))
    if before is None:
        before = _attempts(app)
    worker = _worker_for(app, stages)
    app.dispatcher.wake()  # jobs a test enqueued straight into the table
    _wait_until_idle(app, worker, stages, timeout)
    _counted[id(app)] = total = _attempts(app)
    ran = total - before
    not_celery = _ran_elsewhere(app)
    assert not not_celery, f"jobs run outside the Celery worker: {not_celery}"
    celery_runs["pipelines"] += 1
    celery_runs["jobs"] += ran
    return ran


def stop_workers() -> None:
    _counted.clear()
    while _workers:
        _, worker = _workers.popitem()
        worker.kill()


atexit.register(stop_workers)


def _worker_for(app: Soundbite, stages: list[str] | None) -> Process:
    queues = ",".join(stages or [])
    worker = _workers.get((id(app), queues))
    if worker is None:
        home = Path(app.settings.data_dir).parent / f"celery-worker-{len(_workers)}"
        home.mkdir(parents=True, exist_ok=True)
        # a data folder of its own, as on another host: media reach it through S3, or
        # through the app's media folder when a test runs Celery on local storage
        shared = app.settings.s3_bucket is None
        media = {} if not shared else {"storage_dir": app.settings.resolved_storage_dir}
        settings = worker_settings(app.settings, home, **media)
        worker = celery_worker(settings, home / "worker.log", queues=queues)
        _workers[id(app), queues] = worker
    return worker


def _attempts(app: Soundbite) -> int:
    with app.db.read() as s:
        return int(s.scalar(sa.select(sa.func.coalesce(sa.func.sum(Job.attempts), 0))) or 0)


def _busy(app: Soundbite, stages: list[str] | None) -> list[tuple[int, str, str]]:
    """Jobs running, or queued with every earlier stage done (what the pool would claim)."""
    query = sa.select(Job.id, Job.stage, Job.state).where(
        sa.or_(Job.state == RUNNING, sa.and_(Job.state == QUEUED, ~blocked()))
    )
    if stages:
        query = query.where(Job.stage.in_(stages))
    with app.db.read() as s:
        return [(int(i), str(stage), str(state)) for i, stage, state in s.execute(query)]


def _ran_elsewhere(app: Soundbite) -> list[tuple[int, str, str | None]]:
    query = sa.select(Job.id, Job.stage, Job.worker_id).where(
        Job.attempts > 0, sa.not_(Job.worker_id.like("%:celery"))
    )
    with app.db.read() as s:
        return [(int(i), str(stage), wid) for i, stage, wid in s.execute(query)]


def _wait_until_idle(
    app: Soundbite, worker: Process, stages: list[str] | None, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while (busy := _busy(app, stages)) and time.monotonic() < deadline:
        if worker.proc is not None and worker.proc.poll() is not None:
            raise AssertionError(f"the Celery worker exited:\n{worker.tail()}")
        time.sleep(0.05)
    if busy:
        raise AssertionError(f"jobs still busy after {timeout:.0f} s: {busy}\n{worker.tail()}")
