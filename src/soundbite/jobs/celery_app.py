"""The Celery application: one task that runs one job of the job table by id.

Settings and why:

- ``task_acks_late``: a message is acknowledged when its task returns, not when a worker takes
  it, so a worker that dies mid-stage leaves the message to be delivered again.
- ``task_reject_on_worker_lost``: when a prefork child is killed (OOM, ``kill -9``), its
  message goes back to the queue at once instead of being acknowledged as failed.
- ``worker_prefetch_multiplier = 1``: a worker holds one message per process. A transcription
  can take an hour; prefetching more would strand jobs behind it while other hosts idle.
- One queue per stage, named after it: ``soundbite worker --queues transcribe`` on GPU hosts,
  the other stages on CPU hosts near the web tier; and a ``render`` queue for clip pre-renders.

The task claims *its* job id in the table (``JobQueue.claim_job``); a message for a job that
is done, running elsewhere or blocked is dropped. So broker redeliveries and the reconciler's
re-sends can never run a stage twice at once, and stages are idempotent besides.

Each worker process builds its own ``Soundbite`` (database pool, S3 client) after the fork:
neither a psycopg connection nor a boto3 client may be shared across processes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from kombu import Exchange, Queue

from soundbite.app import Soundbite
from soundbite.jobs.dispatch import RENDER_QUEUE, RENDER_TASK, TASK_NAME
from soundbite.jobs.pipeline import STEPS
from soundbite.jobs.queue import worker_identity
from soundbite.settings import Settings

log = logging.getLogger(__name__)

STAGES = tuple(STEPS)  # one queue each: fetch, probe, peaks, transcribe, analyze, index
QUEUES = (*STAGES, RENDER_QUEUE)

_settings: Settings | None = None
_instances: dict[int, Soundbite] = {}  # per process id


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise ValueError("Celery needs SOUNDBITE_BROKER_URL")
    celery = Celery("soundbite", broker=settings.broker_url, set_as_current=False)
    prefix = settings.broker_queue_prefix
    exchange = Exchange(f"{prefix}soundbite", type="direct")
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(prefix + q, exchange, routing_key=prefix + q) for q in QUEUES],
        task_default_queue=f"{prefix}transcribe",
        task_default_exchange=exchange.name,
        task_ignore_result=True,  # the job table holds results and progress
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=4,
        # keep a running stage going through a broker blip: the job table, not the
        # message, protects against running it twice
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        broker_transport_options={"visibility_timeout": 3600},
    )
    celery.task(name=TASK_NAME, ignore_result=True)(run_job)
    celery.task(name=RENDER_TASK, ignore_result=True)(render_clip)
    return celery


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
        settings = _settings or Settings()
        sb = Soundbite.from_settings(settings, migrate=False)
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


def run_job(job_id: int) -> str:
    """Claim job ``job_id`` and run its stage; then dispatch what became runnable."""
    from soundbite.jobs.worker import WorkerPool

    sb = worker_soundbite()
    job = sb.queue.claim_job(job_id, worker_identity("celery"))
    if job is None:
        return "not runnable (done, running elsewhere or waiting for an earlier stage)"
    WorkerPool(sb, 0).run_job(job)
    sb.dispatcher.wake(job.episode_id)
    return "ran"


def render_clip(**message: Any) -> str:
    """Pre-render a clip (``clips.renders.prerender`` sent it); a no-op if it is stored."""
    from soundbite.clips.renders import RenderJob, render_cache

    sb = worker_soundbite()
    job = RenderJob.from_message(message)
    try:
        size = render_cache(sb).render(job)
    except Exception as exc:
        # nobody waits on this message: the first play renders again and reports the error
        log.warning("pre-render of %s failed: %s", job.key, exc)
        return f"failed: {exc}"
    return f"{size} bytes"


def __getattr__(name: str) -> Any:
    # `celery -A soundbite.jobs.celery_app worker` finds the app here, built from the env
    if name in ("celery", "app"):
        return make_celery(_settings or Settings())
    raise AttributeError(name)
