"""Queues the analytics rollup job every ``analytics_rollup_seconds`` in `soundbite serve`.

The loop only queues an ``analytics`` job (jobs/stages.py run_analytics): the in-process worker
pool (embedded) or a Celery worker on the ``analytics`` queue (scale-out) runs it, so a
rollup is visible in the job table, retried like any job, and never runs in a web request.
Several web processes may each run one loop: ``JobQueue.enqueue_periodic`` keeps one row and
queues it only when it is neither queued, running, nor finished within the period.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from soundbite.context import Context
from soundbite.domain.pipeline import ANALYTICS

log = logging.getLogger("soundbite.analytics")


def queue_rollup(ctx: Context, every_s: float) -> bool:
    """Queue the rollup job if it is due; True when it was queued (and dispatched)."""
    # a little under the period: the loops of several processes drift against each other
    queued = ctx.queue.enqueue_periodic(ANALYTICS, timedelta(seconds=every_s * 0.9))
    if queued:
        ctx.dispatcher.wake(None)
    return queued


class RollupLoop:
    def __init__(self, ctx: Context, every_s: float) -> None:
        self.ctx = ctx
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analytics-rollup", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                queue_rollup(self.ctx, self.every_s)
            except Exception:  # a database outage: try again next time
                log.exception("could not queue the analytics rollup")
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
