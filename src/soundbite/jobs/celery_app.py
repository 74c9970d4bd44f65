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

Each worker process builds its own ``Context`` (database pool, S3 client) after the fork:
neither a psycopg connection nor a boto3 client may be shared across processes.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from soundbite.domain.pipeline import STEPS
from soundbite.jobs.dispatch import RENDER_QUEUE
from soundbite.settings import Settings

log = logging.getLogger(__name__)

# one queue each: fetch, probe, peaks, transcribe, analyze, index, recommend, analytics
STAGES = tuple(STEPS)
QUEUES = (*STAGES, RENDER_QUEUE)


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
    # the task bodies build a whole Soundbite, so they live above the composition root
    # (celery_tasks.py); naming the module here keeps this one below it
    celery.conf.include = ["soundbite.celery_tasks"]
    return celery


def __getattr__(name: str) -> Any:
    # `celery -A soundbite.jobs.celery_app worker` finds the app here, built from the env
    if name in ("celery", "app"):
        return make_celery(Settings())
    raise AttributeError(name)
