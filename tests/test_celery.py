"""Celery dispatch on the job table: claiming by id, what gets sent, what the reconciler
re-sends, idempotent stages, and real Celery workers on Redis and on RabbitMQ.

The dispatch and reconciler tests use kombu's in-memory broker in this process (the queue
depths it reports are real), on SQLite and PostgreSQL; the end-to-end tests run real
`soundbite worker` processes against our own Redis and the machine's RabbitMQ.
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from soundbite.bootstrap import Soundbite
from soundbite.jobs.celery_app import make_celery
from soundbite.jobs.dispatch import CeleryDispatcher, runnable_jobs
from soundbite.jobs.reconciler import Reconciler
from soundbite.jobs.stages import STAGES
from soundbite.jobs.worker import WorkerPool
from soundbite.services.library import add_media_file
from soundbite.settings import Settings
from soundbite.speech.formats import parse_transcript
from soundbite.store.clip_models import ClipRender
from soundbite.store.models import Base, Job
from soundbite.store.queue import worker_identity
from tests.conftest import make_settings
from tests.scaleout.fixtures import s3_settings, seaweedfs  # noqa: F401
from tests.scaleout.pipeline import (
    SPEECH,
    VTT,
    jobs,
    owner,
    transcripts_of,
    wait_for_jobs,
    worker_settings,
)
from tests.scaleout.processes import celery_worker, drop_schema, fresh_schema
from tests.scaleout.services import Redis, SeaweedFS
from tests.test_clip_support import add_sonnet
from tests.test_queue import make_episode
from tests.test_web_support import make_client, sign_in

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def memory_celery(app: Soundbite) -> Iterator[tuple[CeleryDispatcher, Any]]:
    prefix = f"t{secrets.token_hex(4)}-"
    settings = Settings(broker_url="memory://", broker_queue_prefix=prefix)
    celery = make_celery(settings)
    yield CeleryDispatcher(app.db, celery, redispatch_seconds=60, queue_prefix=prefix), celery
    celery.close()


def take(celery: Any, queue: str) -> list[int]:
    """Drain a queue of the in-memory broker: the job ids of its messages."""
    ids = []
    with celery.connection_for_read() as conn:
        q = conn.SimpleQueue(queue, no_ack=True)
        while True:
            try:
                ids.append(q.get(timeout=0.05).payload[0][0])
            except q.Empty:
                return ids


def test_claim_job_takes_that_job_once_and_only_when_runnable(
    app: Soundbite, owner_id: int
) -> None:
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["probe", "peaks"])
    with app.db.read() as s:
        ids = {j.stage: j.id for j in s.scalars(sa.select(Job))}
    assert app.queue.claim_job(ids["peaks"], "w1") is None  # probe is not done yet
    job = app.queue.claim_job(ids["probe"], "w1")
    assert job is not None and job.stage == "probe"
    assert app.queue.claim_job(ids["probe"], "w2") is None  # a duplicate message: dropped
    app.queue.complete(job)
    assert app.queue.claim_job(ids["probe"], "w2") is None  # done: dropped
    # a holder on this host that no longer exists is reconciled first, then its job is taken
    peaks = app.queue.claim_job(ids["peaks"], "localhost-gone:1:x")
    assert peaks is not None
    with app.db.write() as s:
        s.get_one(Job, ids["peaks"]).worker_id = f"{worker_identity().split(':')[0]}:999999999"
    again = app.queue.claim_job(ids["peaks"], "w3")
    assert again is not None and again.attempts == 2


def test_dispatch_sends_runnable_jobs_once_to_their_stage_queue(
    app: Soundbite, owner_id: int, memory_celery: tuple[CeleryDispatcher, Any]
) -> None:
    dispatcher, celery = memory_celery
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["probe", "peaks", "transcribe"])
    dispatcher.wake()
    dispatcher.wake()  # nothing new: no second message
    assert take(celery, dispatcher.prefix + "probe") == [_id(app, "probe")]
    assert take(celery, dispatcher.prefix + "peaks") == []  # waits for probe
    job = app.queue.claim_job(_id(app, "probe"), "w")
    assert job is not None
    app.queue.complete(job)
    dispatcher.wake(eid)
    assert take(celery, dispatcher.prefix + "peaks") == [_id(app, "peaks")]
    assert take(celery, dispatcher.prefix + "transcribe") == [_id(app, "transcribe")]


def test_reconciler_resends_lost_messages_but_not_a_backlog(
    app: Soundbite, owner_id: int, memory_celery: tuple[CeleryDispatcher, Any]
) -> None:
    dispatcher, celery = memory_celery
    reconciler = Reconciler(app.queue, dispatcher)
    episodes = [make_episode(app, owner_id, f"ep{i}") for i in range(3)]
    for eid in episodes:
        app.queue.enqueue(eid, ["probe"])
    probe_q = dispatcher.prefix + "probe"
    assert reconciler.run_once().sent == 3  # never dispatched (say the web's send failed)
    assert len(take(celery, probe_q)) == 3  # ... then the broker lost them (a restart)
    assert reconciler.run_once().sent == 0  # their dispatch leases have not run out yet
    expire_dispatch_leases(app)
    assert reconciler.run_once().sent == 3  # run out, and the queue is short of messages
    expire_dispatch_leases(app)
    assert reconciler.run_once().sent == 0  # a backlog: all three messages still wait

    # a worker took one job (its message is gone) and died: requeued and sent again at once
    job = app.queue.claim_job(_id(app, "probe", episodes[0]), f"{worker_identity()}:x")
    assert job is not None
    with app.db.write() as s:
        s.get_one(Job, job.id).worker_id = f"{worker_identity().split(':')[0]}:999999999"
    result = reconciler.run_once()
    assert (result.requeued, result.sent) == (1, 1)
    # the three first messages (one of them now a harmless duplicate) and the new one
    assert sorted(take(celery, probe_q)) == sorted(
        [*(_id(app, "probe", e) for e in episodes), job.id]
    )


def test_reconciler_keeps_trying_while_the_broker_is_down(app: Soundbite, owner_id: int) -> None:
    settings = Settings(broker_url="redis://127.0.0.1:1/0", broker_queue_prefix="down-")
    dispatcher = CeleryDispatcher(app.db, make_celery(settings), queue_prefix="down-")
    dispatcher.celery.conf.broker_connection_timeout = 0.5
    dispatcher.celery.conf.broker_transport_options = {"max_retries": 0}
    eid = make_episode(app, owner_id)
    app.queue.enqueue(eid, ["probe"])
    dispatcher.wake()  # must not raise: the row is committed, the reconciler sends later
    assert runnable_jobs(app.db, fresh_only=True), "a failed send must not stamp the job"
    dispatcher.close()


@pytest.mark.slow
def test_every_stage_run_twice_leaves_one_result(app: Soundbite, owner_id: int) -> None:
    """Redelivery and reconciling may run a stage again: the rows must come out the same."""
    eid = add_media_file(app, SPEECH, owner_id)  # no transcript: Whisper runs
    pool = WorkerPool(app, 0)
    assert pool.run_until_idle() == 5
    first = table_counts(app)
    for stage in ("probe", "peaks", "transcribe", "analyze", "index"):
        STAGES[stage](app, eid, lambda pct, msg: None)
    assert table_counts(app) == first
    assert len(transcripts_of(app, eid)) == 1


RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


def _rabbitmq_up() -> bool:
    from kombu import Connection
    from kombu.exceptions import OperationalError

    try:
        with Connection(RABBITMQ_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except (OSError, OperationalError):
        return False


@pytest.fixture(scope="session")
def rabbitmq_server() -> str:
    """The machine's RabbitMQ, started if it is down (a CI run once found it stopped)."""
    if not _rabbitmq_up():
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        deadline = time.monotonic() + 90  # the Erlang node takes a few seconds to boot
        while not _rabbitmq_up():
            if time.monotonic() > deadline:
                pytest.fail(f"RabbitMQ is not reachable at {RABBITMQ_URL} and could not be started")
            time.sleep(1)
    return RABBITMQ_URL


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_celery_workers_run_the_pipeline(
    broker: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_server: str,
    seaweedfs: SeaweedFS,  # noqa: F811
) -> None:
    """Two episodes through one real `soundbite worker`, on PostgreSQL and S3."""
    schema = f"sbcel_{secrets.token_hex(5)}"
    url, admin = fresh_schema(postgres_server, schema)
    redis = Redis(tmp_path / "redis") if broker == "redis" else None
    broker_url = redis.url if redis else request.getfixturevalue("rabbitmq_server")
    prefix = f"t{secrets.token_hex(4)}-"
    settings = make_settings(
        tmp_path / "data",
        url,
        broker_url=broker_url,
        broker_queue_prefix=prefix,
        reconcile_seconds=1,
        **s3_settings(seaweedfs.endpoint),
    )
    worker = None
    sb = None
    try:
        if redis:
            redis.start()
        sb = Soundbite.from_settings(settings)
        worker = celery_worker(worker_settings(settings, tmp_path), tmp_path / "worker.log")
        uid = owner(sb)
        vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
        episodes = [add_media_file(sb, SPEECH, uid, transcript=vtt) for _ in range(2)]
        sb.dispatcher.wake()
        jobs = wait_for_jobs(sb, timeout=90, log=worker)
        assert {j.state for j in jobs} == {"done"}, [(j.stage, j.state, j.error) for j in jobs]
        assert all(j.attempts == 1 for j in jobs)
        assert all(j.worker_id and j.worker_id.endswith(":celery") for j in jobs)
        assert all(len(transcripts_of(sb, e)) == 1 for e in episodes)
    finally:
        if sb:  # a failed test must not leave its pooled connections to the garbage collector
            sb.close()
        if worker:
            worker.kill()
        if redis:
            redis.stop()
        else:
            _delete_queues(broker_url, prefix)
        drop_schema(admin, schema)


def test_a_render_worker_prerenders_new_clips(
    tmp_path: Path,
    postgres_server: str,
    seaweedfs: SeaweedFS,  # noqa: F811
) -> None:
    """With a broker, a new clip's render goes to the `render` queue: a worker serving that
    queue alone renders it before anyone plays it, and the web process serves the stored file."""
    schema = f"sbren_{secrets.token_hex(5)}"
    url, admin = fresh_schema(postgres_server, schema)
    redis = Redis(tmp_path / "redis")
    settings = make_settings(
        tmp_path / "data",
        url,
        broker_url=redis.url,
        broker_queue_prefix=f"t{secrets.token_hex(4)}-",
        **s3_settings(seaweedfs.endpoint),
    )
    worker = None
    sb = None
    try:
        redis.start()
        sb = Soundbite.from_settings(settings)
        episode_id = add_sonnet(sb, owner(sb))  # its pipeline jobs wait: no stage worker runs
        client = make_client(sb)
        sign_in(client)
        r = client.post(
            "/api/clips", json={"episode_id": episode_id, "start_ms": 0, "end_ms": 8000}
        )
        assert r.status_code == 201, r.text
        assert sb.renders.encodes == 0  # sent to the queue, not started here
        worker = celery_worker(
            worker_settings(settings, tmp_path), tmp_path / "render.log", queues="render"
        )

        def rendered() -> ClipRender | None:
            with sb.db.read() as s:
                row = s.scalars(sa.select(ClipRender).where(ClipRender.state == "done")).first()
                return row

        deadline = time.monotonic() + 60
        while (row := rendered()) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert row is not None, worker.tail()
        assert int(row.holder.split(":")[1]) in worker.pids()  # the worker's process rendered it
        audio = client.get(r.json()["audio_url"])
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
        assert int(audio.headers["content-length"]) == row.size
        assert sb.renders.encodes == 0
        assert [j.state for j in jobs(sb)] == ["queued"] * len(jobs(sb))  # no stage ran
    finally:
        if sb:
            sb.close()
        if worker:
            worker.kill()
        redis.stop()
        drop_schema(admin, schema)


def _delete_queues(broker_url: str, prefix: str) -> None:
    """Leave the shared RabbitMQ as we found it."""
    from kombu import Connection

    with Connection(broker_url) as conn:
        channel = conn.default_channel
        for stage in STAGES:
            channel.queue_delete(prefix + stage)
        channel.exchange_delete(f"{prefix}soundbite")


def _id(app: Soundbite, stage: str, episode_id: int | None = None) -> int:
    query = sa.select(Job.id).where(Job.stage == stage)
    if episode_id is not None:
        query = query.where(Job.episode_id == episode_id)
    with app.db.read() as s:
        return int(s.scalars(query).one())


def expire_dispatch_leases(app: Soundbite) -> None:
    with app.db.write() as s:
        s.execute(
            sa.update(Job)
            .where(Job.state == "queued")
            .values(lease_expires_at=datetime(2000, 1, 1, tzinfo=UTC))
        )


def table_counts(app: Soundbite) -> dict[str, int]:
    """Rows per table, but the job table (whose attempt counters legitimately move)."""
    counts = {}
    with app.db.read() as s:
        for table in Base.metadata.sorted_tables:
            if table.name != "jobs":
                counts[table.name] = s.scalar(sa.select(sa.func.count()).select_from(table)) or 0
    return counts
