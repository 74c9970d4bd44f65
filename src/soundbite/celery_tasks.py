"""The Celery tasks: run one job of the job table by id, and pre-render a clip.

They sit above the composition root because each worker process builds its own ``Soundbite``
(database pool, S3 client, render cache) after the fork: neither a psycopg connection nor a
boto3 client may be shared across processes. ``jobs/celery_app.py`` configures the Celery app
and names this module in ``include``; ``soundbite worker`` imports it before Celery forks.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init

from soundbite.bootstrap import Soundbite
from soundbite.derived import RenderJob
from soundbite.jobs.dispatch import RENDER_TASK, TASK_NAME
from soundbite.settings import Settings
from soundbite.store.queue import worker_identity

log = logging.getLogger(__name__)

_settings: Settings | None = None
_instances: dict[int, Soundbite] = {}  # per process id


def use_settings(settings: Settings, parent: Soundbite | None = None) -> None:
    """Called by `soundbite worker` before Celery forks its processes."""
    global _settings
    _settings = settings
    if parent is not None:
        _instances[os.getpid()] = parent


def worker_soundbite() -> Soundbite:
    """This process's Soundbite, built on first use (after any fork)."""
    pid = os.getpid()
    sb = _instances.get(pid)
    if sb is None:
        sb = Soundbite.from_settings(_settings or Settings(), migrate=False)
        _instances[pid] = sb
    return sb


@worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # the parent's pooled connections were copied into this child: forget them without
    # closing, since closing would end the parent's sessions on the shared sockets
    for pid, sb in list(_instances.items()):
        if pid != os.getpid():
            sb.db.engine.dispose(close=False)
            del _instances[pid]


@shared_task(name=TASK_NAME, ignore_result=True)
def run_job(job_id: int) -> str:
    """Claim job ``job_id`` and run its stage; then dispatch what became runnable."""
    from soundbite.jobs.worker import WorkerPool  # the model library loads with the stages

    sb = worker_soundbite()
    job = sb.queue.claim_job(job_id, worker_identity("celery"))
    if job is None:
        return "not runnable (done, running elsewhere or waiting for an earlier stage)"
    WorkerPool(sb, 0).run_job(job)
    sb.dispatcher.wake(job.episode_id)
    return "ran"


@shared_task(name=RENDER_TASK, ignore_result=True)
def render_clip(**message: Any) -> str:
    """Pre-render a clip (``Dispatcher.prerender`` sent it); a no-op if it is stored."""
    sb = worker_soundbite()
    job = RenderJob.from_message(message)
    try:
        size = sb.renders.render(job)
    except Exception as exc:
        # nobody waits on this message: the first play renders again and reports the error
        log.warning("pre-render of %s failed: %s", job.key, exc)
        return f"failed: {exc}"
    return f"{size} bytes"
