"""Runs the rollup and the pruning every ``analytics_rollup_seconds`` in `soundbite serve`.

Several web processes may each run one: a rollup replaces its day's rows in one transaction
(under an advisory lock on PostgreSQL), so the extra runs cost time, never correctness.
"""

from __future__ import annotations

import logging
import threading

from soundbite.analytics.rollup import catch_up
from soundbite.context import Context

log = logging.getLogger("soundbite.analytics")


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
                for result in catch_up(self.ctx):
                    log.debug("analytics: %s rolled up (%d events)", result.day, result.events)
            except Exception:  # a database outage: try again next time
                log.exception("analytics rollup failed")
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
