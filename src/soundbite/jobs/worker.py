"""Worker threads that take jobs from the table and run their stages.

``soundbite serve`` runs a pool inside the web process; ``soundbite worker`` runs the same
pool alone. While a stage runs, a heartbeat thread renews the job's lease, so a lease that
expires means the process is gone, not that the stage is slow; progress is written at most
a few times a second.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from soundbite.context import Context
from soundbite.errors import SoundbiteError
from soundbite.store.queue import ClaimedJob, worker_identity

if TYPE_CHECKING:
    from soundbite.jobs.stages import StageFn

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.5
IDLE_POLL_S = 1.0


class WorkerPool:
    def __init__(
        self,
        app: Context,
        threads: int,
        *,
        stages: list[str] | None = None,
        registry: dict[str, StageFn] | None = None,
    ) -> None:
        self.app = app
        self.threads = threads
        self.stages = stages
        if registry is None:
            # imported here so that the queue machinery loads without the media/speech stack
            from soundbite.jobs.stages import STAGES

            registry = STAGES
        self.registry = registry
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> None:
        self.app.queue.reconcile()
        for i in range(self.threads):
            t = threading.Thread(
                target=self._loop,
                args=(worker_identity(f"w{i}"),),
                name=f"soundbite-worker-{i}",
                daemon=True,
            )
            t.start()
            self._workers.append(t)

    def wake(self) -> None:
        """Look for work now instead of at the next poll (after an enqueue in this process)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._workers:
            t.join(timeout)
        self._workers.clear()

    def run_until_idle(self, worker_id: str | None = None) -> int:
        """Run jobs in the calling thread until none is runnable; returns how many ran."""
        ran = 0
        wid = worker_id or worker_identity("cli")
        while (job := self.app.queue.claim(wid, self.stages)) is not None:
            self.run_job(job)
            ran += 1
        return ran

    def _loop(self, worker_id: str) -> None:
        while not self._stop.is_set():
            try:
                job = self.app.queue.claim(worker_id, self.stages)
            except Exception:
                log.exception("claiming a job failed; trying again shortly")
                job = None
            if job is None:
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()
                continue
            self.run_job(job)

    def run_job(self, job: ClaimedJob) -> None:
        queue = self.app.queue
        stage = self.registry.get(job.stage) if job.episode_id is not None else None
        lease_lost = threading.Event()
        done = threading.Event()

        def keep_lease() -> None:
            interval = max(1.0, queue.lease.total_seconds() / 3)
            while not done.wait(interval):
                if not queue.heartbeat(job):
                    lease_lost.set()
                    return

        beat = threading.Thread(target=keep_lease, daemon=True)
        beat.start()
        report = _throttled(lambda pct, msg: queue.heartbeat(job, progress=pct, message=msg))
        log.info(
            "job %s: %s of episode %s (attempt %s)", job.id, job.stage, job.episode_id, job.attempts
        )
        try:
            if stage is None or job.episode_id is None:
                # server-wide work (no episode): the recommender's training
                from soundbite.jobs.stages import SERVER_STAGES

                message = SERVER_STAGES[job.stage](self.app, report)
            else:
                message = stage(self.app, job.episode_id, report)
        except SoundbiteError as exc:
            log.warning("job %s failed: %s", job.id, exc.message)
            queue.fail(job, exc.message)
        except Exception as exc:
            log.error("job %s crashed:\n%s", job.id, traceback.format_exc())
            queue.fail(job, f"internal error: {type(exc).__name__}: {exc}")
        else:
            if not queue.complete(job, message) or lease_lost.is_set():
                log.warning("job %s finished after another worker took it over", job.id)
        finally:
            done.set()
            beat.join()


def _throttled(send: Callable[[float, str], object]) -> Callable[[float, str], None]:
    last = 0.0

    def report(percent: float, message: str) -> None:
        nonlocal last
        t = time.monotonic()
        if t - last >= PROGRESS_INTERVAL_S or percent >= 100:
            last = t
            send(percent, message)

    return report
