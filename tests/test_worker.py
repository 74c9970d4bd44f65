"""The worker pool's mechanics, driven with small stage functions of the test's own."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.domain.progress import ProgressFn
from soundbite.errors import MediaError
from soundbite.jobs.worker import WorkerPool
from soundbite.store.models import Job
from tests.test_queue import make_episode


def test_errors_are_kept_on_the_job_and_a_retry_succeeds(app: Soundbite, owner_id: int) -> None:
    calls: list[int] = []

    def flaky(app: Soundbite, episode_id: int, progress: ProgressFn) -> str:
        calls.append(episode_id)
        if len(calls) == 1:
            raise MediaError("could not decode any audio: the file is truncated")
        progress(50, "half way")
        return "ok"

    def boom(app: Soundbite, episode_id: int, progress: ProgressFn) -> str:
        raise RuntimeError("disk on fire")

    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["probe", "peaks"])
    pool = WorkerPool(app, 0, registry={"probe": flaky, "peaks": boom})
    assert pool.run_until_idle() == 1
    with app.db.read() as s:
        probe = s.scalars(select(Job).where(Job.stage == "probe")).one()
    assert (
        probe.state == "failed"
        and probe.error == "could not decode any audio: the file is truncated"
    )

    app.queue.retry(probe.id)
    assert pool.run_until_idle() == 2
    with app.db.read() as s:
        jobs = {j.stage: j for j in s.scalars(select(Job))}
    assert jobs["probe"].state == "done" and jobs["probe"].error is None
    assert jobs["probe"].message == "ok" and jobs["probe"].attempts == 2
    assert jobs["peaks"].state == "failed"
    assert jobs["peaks"].error == "internal error: RuntimeError: disk on fire"


def test_pool_threads_pick_up_work_and_keep_the_lease_alive(app: Soundbite, owner_id: int) -> None:
    app.queue.lease = app.queue.lease.__class__(seconds=3)  # heartbeat every second
    release = threading.Event()

    def slow(app: Soundbite, episode_id: int, progress: ProgressFn) -> str:
        release.wait(10)
        return "slow done"

    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["transcribe"])
    pool = WorkerPool(app, 2, registry={"transcribe": slow})
    pool.start()
    try:
        time.sleep(4.5)  # longer than the lease: only the heartbeat keeps it ours
        assert app.queue.claim("intruder") is None
        release.set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with app.db.read() as s:
                job = s.scalars(select(Job)).one()
            if job.state == "done":
                break
            time.sleep(0.1)
        assert job.state == "done" and job.attempts == 1 and job.message == "slow done"
    finally:
        release.set()
        pool.stop()
