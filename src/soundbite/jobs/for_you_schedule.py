"""Queues the recommender's training every ``recommend_train_seconds`` when it is due.

It only queues a ``recommend`` job: the worker pool (embedded) or a Celery worker on the
``recommend`` queue (scale-out) runs it, never a web request. Several web processes may each
run one loop: queueing a job that is already queued changes nothing (JobQueue.enqueue).
"""

from __future__ import annotations

import logging
import threading

from soundbite.context import Context
from soundbite.domain.pipeline import RECOMMEND

log = logging.getLogger("soundbite.recommend")


class TrainingLoop:
    def __init__(self, ctx: Context, every_s: float) -> None:
        self.ctx = ctx
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recommend-training", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from soundbite.services.for_you_model import training_due

        while True:
            try:
                if training_due(self.ctx):
                    self.ctx.enqueue(None, [RECOMMEND])
            except Exception:  # a database outage: try again next time
                log.exception("could not queue the recommender's training")
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
