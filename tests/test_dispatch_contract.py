"""One contract for both dispatchers: the embedded one (worker threads and renders in this
process) and the scale-out one (Celery, with a real `soundbite worker` on Redis, PostgreSQL
and S3). Callers only ever use the interface in ``context.Dispatcher``; each test here holds
both implementations to what a caller relies on, as tests/test_storage_contract.py does for
local and S3 storage.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.clips.links import profile
from soundbite.derived import RenderJob
from soundbite.jobs.dispatch import CeleryDispatcher, LocalDispatcher
from soundbite.jobs.worker import WorkerPool
from soundbite.services.library import add_media_file
from soundbite.speech.formats import parse_transcript
from soundbite.store.models import Episode, Job
from tests.conftest import make_settings
from tests.scaleout.fixtures import s3_settings, seaweedfs  # noqa: F401
from tests.scaleout.pipeline import SPEECH, VTT, owner, wait_for_jobs, worker_settings
from tests.scaleout.processes import Process, celery_worker, drop_schema, fresh_schema
from tests.scaleout.services import Redis, SeaweedFS, free_port

pytestmark = pytest.mark.timeout(240)


def _local(tmp: Path) -> Iterator[Soundbite]:
    sb = Soundbite.from_settings(make_settings(tmp / "data", f"sqlite:///{tmp / 'sb.db'}"))
    assert isinstance(sb.dispatcher, LocalDispatcher)
    pool = WorkerPool(sb, 1)
    sb.dispatcher.pool = pool  # as `soundbite serve` attaches it
    pool.start()
    try:
        yield sb
    finally:
        pool.stop()
        sb.close()


def _celery(tmp: Path, postgres_server: str, seaweedfs: SeaweedFS) -> Iterator[Soundbite]:  # noqa: F811
    schema = f"sbdis_{secrets.token_hex(5)}"
    url, admin = fresh_schema(postgres_server, schema)
    redis = Redis(tmp / "redis")
    settings = make_settings(
        tmp / "data",
        url,
        broker_url=redis.url,
        broker_queue_prefix=f"t{secrets.token_hex(4)}-",
        reconcile_seconds=1,
        **s3_settings(seaweedfs.endpoint),
    )
    worker: Process | None = None
    try:
        redis.start()
        sb = Soundbite.from_settings(settings)
        assert isinstance(sb.dispatcher, CeleryDispatcher)
        worker = celery_worker(worker_settings(settings, tmp), tmp / "worker.log")
        yield sb
        sb.close()
    finally:
        if worker is not None:
            worker.kill()
        redis.stop()
        drop_schema(admin, schema)


@pytest.fixture(params=["local", "celery"])
def sb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Soundbite]:
    if request.param == "local":
        yield from _local(tmp_path)
    else:
        yield from _celery(
            tmp_path,
            request.getfixturevalue("postgres_server"),
            request.getfixturevalue("seaweedfs"),
        )


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout:.0f} s")


def test_queued_work_is_run_without_anyone_polling_for_it(sb: Soundbite) -> None:
    """An enqueue tells the dispatcher; every stage of the episode then runs once."""
    vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
    add_media_file(sb, SPEECH, owner(sb), transcript=vtt)  # enqueues, and wakes
    jobs = wait_for_jobs(sb, timeout=120)
    assert {j.state for j in jobs} == {"done"}, [(j.stage, j.state, j.error) for j in jobs]
    assert all(j.attempts == 1 for j in jobs)


def test_prerender_stores_the_clip_before_anyone_plays_it(sb: Soundbite) -> None:
    vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
    episode_id = add_media_file(sb, SPEECH, owner(sb), transcript=vtt)
    wait_for_jobs(sb, timeout=120)
    with sb.db.read() as s:
        sha = s.get_one(Episode, episode_id).media_sha256
    assert sha is not None
    job = RenderJob(sha, 500, 3500, profile(sb.settings, "mp3"))
    sb.dispatcher.prerender(job)
    _wait(partial(sb.storage.exists, job.key), 90, "the pre-render was not stored")
    assert sb.storage.size(job.key) > 10_000  # 3 s of MP3 with its header, not an empty file


def test_a_dispatcher_with_nothing_behind_it_loses_no_work(tmp_path: Path) -> None:
    """No worker attached (local) or no broker listening (Celery): wake() does not raise,
    the jobs stay queued for whoever comes, and a pre-render happens in this process."""
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    for broker in (None, dead_broker):
        data = tmp_path / ("celery" if broker else "local")
        settings = make_settings(data, f"sqlite:///{data / 'sb.db'}")
        if broker:
            settings = settings.model_copy(update={"broker_url": broker})
        sb = Soundbite.from_settings(settings)
        try:
            vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
            episode_id = add_media_file(sb, SPEECH, owner(sb), transcript=vtt)
            sb.dispatcher.wake(episode_id)
            with sb.db.read() as s:
                states = set(s.scalars(select(Job.state).where(Job.episode_id == episode_id)))
                sha = s.get_one(Episode, episode_id).media_sha256
            assert states == {"queued"}
            assert sha is not None
            job = RenderJob(sha, 500, 3500, profile(sb.settings, "mp3"))
            sb.dispatcher.prerender(job)
            _wait(partial(sb.storage.exists, job.key), 60, "no local render")
        finally:
            sb.close()
