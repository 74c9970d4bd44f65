"""The job table: ordering, exclusive claims, leases, attempts and retries (both databases)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from soundbite.bootstrap import Soundbite
from soundbite.domain.pipeline import stages_for
from soundbite.errors import Conflict
from soundbite.store.models import Episode, Job, Podcast
from soundbite.store.queue import JobQueue


def make_episode(app: Soundbite, owner_id: int, title: str = "ep") -> int:
    with app.db.write() as s:
        podcast = Podcast(owner_id=owner_id, title="p")
        s.add(podcast)
        s.flush()
        episode = Episode(owner_id=owner_id, podcast_id=podcast.id, guid=title, title=title)
        s.add(episode)
        s.flush()
        return episode.id


def expire_leases(s: object) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    s.execute(update(Job).where(Job.state == "running").values(lease_expires_at=past))  # type: ignore[attr-defined]


def states(app: Soundbite, episode_id: int) -> dict[str, str]:
    with app.db.read() as s:
        return {
            j.stage: j.state for j in s.scalars(select(Job).where(Job.episode_id == episode_id))
        }


def test_stages_run_in_pipeline_order(app: Soundbite, owner_id: int) -> None:
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, stages_for(needs_download=True))
    first = app.queue.claim("w1")
    assert first is not None and first.stage == "fetch"
    assert app.queue.claim("w2") is None, "probe must wait for fetch"
    app.queue.complete(first)
    probe = app.queue.claim("w1")
    assert probe is not None and probe.stage == "probe"
    app.queue.complete(probe)
    # peaks and transcribe share a step: both are runnable at once
    a, b = app.queue.claim("w1"), app.queue.claim("w2")
    assert a is not None and b is not None
    assert {a.stage, b.stage} == {"peaks", "transcribe"}


def test_a_job_is_claimed_by_exactly_one_of_many_racing_workers(
    app: Soundbite, owner_id: int
) -> None:
    episode_ids = [make_episode(app, owner_id, f"e{i}") for i in range(6)]
    for eid in episode_ids:
        app.queue.enqueue(eid, ["probe"])
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := app.queue.claim(name)) is not None:
            with lock:
                claimed.append(job.id)
            app.queue.complete(job)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 6


def test_expired_lease_is_taken_over_and_the_old_worker_loses_it(
    app: Soundbite, owner_id: int
) -> None:
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["probe"])
    old = app.queue.claim("otherhost:1:w0")
    assert old is not None
    with app.db.write() as s:
        expire_leases(s)
    new = app.queue.claim("otherhost:2:w0")
    assert new is not None and new.id == old.id and new.attempts == 2
    assert not app.queue.heartbeat(old), "the first worker no longer holds the job"
    assert not app.queue.complete(old)
    assert app.queue.complete(new)
    assert states(app, eid) == {"probe": "done"}


def test_a_job_whose_worker_keeps_dying_fails_after_max_attempts(
    app: Soundbite, owner_id: int
) -> None:
    queue = JobQueue(app.db, lease_seconds=60, max_attempts=2)
    eid = make_episode(app, owner_id)
    queue.enqueue(eid, ["probe"])
    for attempt in range(2):
        job = queue.claim(f"otherhost:{attempt}:w")
        assert job is not None
        with app.db.write() as s:
            expire_leases(s)
    assert queue.claim("otherhost:9:w") is None
    with app.db.read() as s:
        job_row = s.scalars(select(Job)).one()
    assert job_row.state == "failed" and "stopped during each of 2 attempts" in (
        job_row.error or ""
    )


def test_a_dead_process_on_this_host_is_noticed_without_waiting_for_the_lease(
    app: Soundbite, owner_id: int
) -> None:
    import socket
    import subprocess

    proc = subprocess.Popen(["true"])
    proc.wait()  # a pid that has surely exited
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["probe"])
    assert app.queue.claim(f"{socket.gethostname()}:{proc.pid}:w0") is not None
    job = app.queue.claim("next")
    assert job is not None and job.attempts == 2


def test_failed_job_keeps_its_error_and_can_be_retried_with_later_stages(
    app: Soundbite, owner_id: int
) -> None:
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, stages_for(needs_download=False))
    probe = app.queue.claim("w")
    assert probe is not None
    app.queue.fail(probe, "could not decode any audio")
    with app.db.read() as s:
        row = s.get_one(Job, probe.id)
        assert (row.state, row.error) == ("failed", "could not decode any audio")
    assert app.queue.claim("w") is None, "later stages wait behind a failed one"
    app.queue.retry(probe.id)
    again = app.queue.claim("w")
    assert again is not None and again.id == probe.id
    with pytest.raises(Conflict):
        app.queue.retry(probe.id)  # it is running


def test_heartbeat_records_progress_and_extends_the_lease(app: Soundbite, owner_id: int) -> None:
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["transcribe"])
    job = app.queue.claim("w")
    assert job is not None
    with app.db.read() as s:
        before = s.get_one(Job, job.id).lease_expires_at
    time.sleep(0.05)
    assert app.queue.heartbeat(job, progress=42.0, message="transcribing 00:42 / 01:40")
    with app.db.read() as s:
        row = s.get_one(Job, job.id)
    assert row.progress == 42.0 and row.message == "transcribing 00:42 / 01:40"
    assert row.lease_expires_at is not None and before is not None and row.lease_expires_at > before
