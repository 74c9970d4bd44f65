"""Fault tests: the scale-out mode under a killed worker, a restarted broker, an S3 outage,
a PostgreSQL restart, and several processes starting (migrating) at once.

Every server that gets killed here is this test's own (Redis, SeaweedFS, PostgreSQL on free
loopback ports): the machine's shared services are never touched. Each test is bounded by
its own deadlines and a pytest timeout, and kills whatever it started on the way out.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from soundbite.bootstrap import Soundbite, make_storage
from soundbite.jobs.worker import WorkerPool
from soundbite.services.library import add_media_file
from soundbite.settings import Settings
from soundbite.speech.formats import parse_transcript
from soundbite.store.models import Episode, Job
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.scaleout.fixtures import s3_settings
from tests.scaleout.pipeline import (
    SPEECH,
    VTT,
    jobs,
    long_speech,
    owner,
    transcripts_of,
    wait_for_jobs,
    worker_settings,
)
from tests.scaleout.processes import (
    SOUNDBITE,
    celery_worker,
    drop_schema,
    environment,
    web_server,
)
from tests.scaleout.processes import fresh_schema as make_schema
from tests.scaleout.services import Postgres, Redis, SeaweedFS, wait_until
from tests.test_web_support import make_client, sign_in

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def schema_url(postgres_server: str) -> Iterator[str]:
    """A fresh schema on the shared PostgreSQL (rows only; the server itself is not ours)."""
    name = f"sbflt_{secrets.token_hex(5)}"
    url, admin = make_schema(postgres_server, name)
    yield url
    drop_schema(admin, name)


@pytest.fixture
def own_s3(tmp_path: Path) -> Iterator[SeaweedFS]:
    with SeaweedFS(tmp_path / "seaweedfs") as server:
        yield server  # type: ignore[misc]


def scale_settings(tmp_path: Path, db_url: str, s3: SeaweedFS, **more: object) -> Settings:
    settings = make_settings(
        tmp_path / "data", db_url, s3_max_attempts=3, **s3_settings(s3.endpoint), **more
    )
    make_storage(settings).ensure_bucket()  # type: ignore[attr-defined]
    return settings


@pytest.mark.slow
def test_kill_9_mid_transcription_completes_on_the_other_worker(
    tmp_path: Path, schema_url: str, own_s3: SeaweedFS
) -> None:
    with Redis(tmp_path / "redis") as redis:
        settings = scale_settings(
            tmp_path, schema_url, own_s3, broker_url=redis.url, reconcile_seconds=1
        )
        sb = Soundbite.from_settings(settings)
        env = worker_settings(settings, tmp_path, job_lease_seconds=15)
        workers = [celery_worker(env, tmp_path / f"w{i}.log", name=f"w{i}@test") for i in range(2)]
        try:
            audio = long_speech(tmp_path / "long.wav", repeats=12)  # 132 s of speech
            eid = add_media_file(sb, audio, owner(sb))
            sb.dispatcher.wake()
            started = time.monotonic()
            victim_job = _wait_for_transcription_progress(sb, workers, timeout=60)
            time.sleep(1.0)  # well into it
            victim = next(w for w in workers if _pid(victim_job.worker_id) in w.pids())
            killed_at = time.monotonic()
            victim.kill(signal.SIGKILL)
            survivor = next(w for w in workers if w is not victim)
            done = wait_for_jobs(sb, timeout=150, log=survivor)
            recovered_s = time.monotonic() - killed_at
            transcribe = next(j for j in done if j.stage == "transcribe")
            assert {j.state for j in done} == {"done"}, [(j.stage, j.error) for j in done]
            assert transcribe.attempts == 2
            assert _pid(transcribe.worker_id) in survivor.pids()
            [(_, segments)] = transcripts_of(sb, eid)  # exactly one transcript
            assert segments > 0
            print(
                f"\nkill -9 at {killed_at - started:.1f} s into the run; "
                f"done on the other worker {recovered_s:.1f} s later"
            )
        finally:
            for w in workers:
                w.kill()
            sb.close()


def _wait_for_transcription_progress(sb: Soundbite, workers: list, timeout: float) -> Job:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job in jobs(sb):
            # the model is loaded and decoding has begun: mid-transcription
            transcribing = job.message.startswith("transcribing")
            if job.stage == "transcribe" and job.state == "running" and transcribing:
                return job
        time.sleep(0.1)
    raise AssertionError(f"transcription never got going: {workers[0].tail()}")


def _pid(worker_id: str | None) -> int:
    assert worker_id, "the job has no worker"
    return int(worker_id.split(":")[1])


def test_redis_restart_mid_run_loses_no_job(
    tmp_path: Path, schema_url: str, own_s3: SeaweedFS
) -> None:
    redis = Redis(tmp_path / "redis")
    redis.start()
    settings = scale_settings(
        tmp_path,
        schema_url,
        own_s3,
        broker_url=redis.url,
        reconcile_seconds=1,
        redispatch_seconds=3,
    )
    sb = Soundbite.from_settings(settings)
    env = worker_settings(settings, tmp_path)
    workers = [celery_worker(env, tmp_path / f"w{i}.log", name=f"w{i}@test") for i in range(2)]
    vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
    try:
        uid = owner(sb)
        first = [add_media_file(sb, SPEECH, uid, transcript=vtt) for _ in range(6)]
        sb.dispatcher.wake()
        wait_until(lambda: sum(j.state == "done" for j in jobs(sb)) >= 4, 60, "first jobs")
        redis.stop(signal.SIGKILL)  # every queued message is gone with it
        down_at = time.monotonic()
        # the web tier keeps accepting work while the broker is down
        second = [add_media_file(sb, SPEECH, uid, transcript=vtt) for _ in range(3)]
        sb.dispatcher.wake()
        time.sleep(max(0.0, 2.0 - (time.monotonic() - down_at)))
        redis.start()
        done = wait_for_jobs(sb, timeout=120, log=workers[0])
        recovered_s = time.monotonic() - down_at
        assert len(done) == 5 * 9
        assert {j.state for j in done} == {"done"}, [(j.id, j.stage, j.error) for j in done]
        assert all(len(transcripts_of(sb, e)) == 1 for e in first + second)
        print(f"\nRedis down 2 s; all 45 jobs done {recovered_s:.1f} s after it went down")
    finally:
        for w in workers:
            w.kill()
        redis.stop()
        sb.close()


def test_s3_outage_fails_clearly_then_a_retry_succeeds(
    tmp_path: Path, schema_url: str, own_s3: SeaweedFS
) -> None:
    settings = scale_settings(tmp_path, schema_url, own_s3)
    sb = Soundbite.from_settings(settings)
    uid = owner(sb)
    client = make_client(sb)
    sign_in(client)
    try:
        vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
        eid = add_media_file(sb, SPEECH, uid, transcript=vtt)
        assert WorkerPool(sb, 0, stages=["probe"]).run_until_idle() == 1
        with sb.db.read() as s:
            sha = s.get_one(Episode, eid).media_sha256
        assert client.get(f"/media/{sha}").status_code == 200

        own_s3.stop()
        r = client.get(f"/media/{sha}")
        assert r.status_code == 503 and r.headers["retry-after"]
        assert "storage unavailable" in r.json()["detail"]
        started = time.monotonic()
        WorkerPool(sb, 0, stages=["peaks"]).run_until_idle()
        failed_after_s = time.monotonic() - started
        [peaks] = [j for j in jobs(sb) if j.stage == "peaks"]
        assert peaks.state == "failed" and peaks.error
        assert "storage unavailable" in peaks.error and "try again" in peaks.error
        assert failed_after_s < 30

        own_s3.start()
        r = client.post(f"/api/jobs/{peaks.id}/retry")
        assert r.status_code == 200, r.text
        WorkerPool(sb, 0).run_until_idle()
        assert {j.state for j in jobs(sb)} == {"done"}
        assert client.get(f"/media/{sha}").content == SPEECH.read_bytes()
        print(f"\nS3 down: the stage failed after {failed_after_s:.1f} s of retries")
    finally:
        sb.close()


def test_postgres_restart_gives_503_briefly_then_recovers(tmp_path: Path) -> None:
    with Postgres(tmp_path / "pg") as pg:
        settings = make_settings(tmp_path / "data", pg.url, db_pool_timeout_seconds=2)
        sb = Soundbite.from_settings(settings)
        uid = owner(sb)
        client = make_client(sb)
        sign_in(client)
        try:
            vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
            eid = add_media_file(sb, SPEECH, uid, transcript=vtt)
            assert client.get(f"/api/episodes/{eid}").status_code == 200

            pg.stop(signal.SIGINT)  # fast shutdown: every connection is cut
            r = client.get(f"/api/episodes/{eid}")
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] and "database unavailable" in r.json()["detail"]
            restarted = time.monotonic()
            pg.start()
            statuses = []
            while time.monotonic() - restarted < 30:
                statuses.append(client.get(f"/api/episodes/{eid}").status_code)
                if statuses[-1] == 200:
                    break
                time.sleep(0.2)
            assert statuses[-1] == 200, statuses
            assert set(statuses) <= {200, 503}
            print(f"\nPostgreSQL back; web answered 200 after {time.monotonic() - restarted:.1f} s")
        finally:
            sb.close()


def test_three_processes_starting_together_migrate_once(
    tmp_path: Path, postgres_server: str
) -> None:
    name = f"sbmig_{secrets.token_hex(5)}"
    url, admin = make_schema(postgres_server, name)
    try:
        procs = [
            subprocess.Popen(
                [SOUNDBITE, "migrate"],
                env=environment({"database_url": url, "data_dir": tmp_path / f"d{i}"}),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for i in range(3)
        ]
        outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], outputs
        with admin.connect() as c:
            versions = c.execute(sa.text(f"select version_num from {name}.alembic_version")).all()
            tables = c.execute(
                sa.text("select count(*) from information_schema.tables where table_schema = :s"),
                {"s": name},
            ).scalar()
        assert len(versions) == 1 and (tables or 0) > 10
    finally:
        drop_schema(admin, name)


def test_two_web_processes_clipping_the_same_span_render_once(
    tmp_path: Path,
    schema_url: str,
    own_s3: SeaweedFS,
) -> None:
    """Scale-out web tier: the same span clipped and played through two processes at once."""
    import concurrent.futures

    import httpx

    from soundbite.store.clip_models import ClipRender

    settings = scale_settings(tmp_path, schema_url, own_s3, public_library=True)
    sb = Soundbite.from_settings(settings)
    uid = owner(sb)
    vtt = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
    eid = add_media_file(sb, SPEECH, uid, transcript=vtt)
    WorkerPool(sb, 0).run_until_idle()
    webs = [
        web_server(worker_settings(settings, tmp_path), tmp_path / f"web{i}.log") for i in range(2)
    ]
    try:
        # one sign-in serves both processes: sessions are rows, not process memory
        login = httpx.post(
            f"{webs[0][1]}/api/auth/login", json={"username": "owner", "password": OWNER_PASSWORD}
        )
        cookies, csrf = login.cookies, {"X-CSRF-Token": login.json()["csrf_token"]}
        span = {"episode_id": eid, "start_ms": 500, "end_ms": 3500, "snap": "none"}

        def create_and_play(base: str) -> tuple[dict[str, object], bytes]:
            with httpx.Client(base_url=base, cookies=cookies, headers=csrf, timeout=60) as c:
                r = c.post("/api/clips", json=span)
                assert r.status_code == 201, r.text
                clip = r.json()
                audio = c.get(clip["audio_url"])
                assert audio.status_code == 200, audio.text
                return clip, audio.content

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(create_and_play, [b for _, b in webs] * 2))
        clips = [c for c, _ in results]
        assert len({c["id"] for c in clips}) == 4  # a clip is a pointer: one row per request
        assert {(c["start_ms"], c["end_ms"]) for c in clips} == {(500, 3500)}
        # each clip's audio again, through the other process: the cached file
        paths = [urlsplit(str(c["audio_url"])) for c in clips]
        stored = {
            httpx.get(f"{webs[i % 2][1]}{p.path}?{p.query}").content for i, p in enumerate(paths)
        }
        assert len(stored) == 1 and len(final := stored.pop()) > 1000
        # a listener who came while it was encoding got the stream, which leaves out the MP3's
        # header frame (clips/renders.py); everyone else got the stored file
        assert all(body == final or final.endswith(body) for _, body in results)
        with sb.db.read() as s:
            renders = list(s.scalars(sa.select(ClipRender)))
        assert [(r.state, r.attempts) for r in renders] == [("done", 1)]  # one render
        storage = make_storage(settings)
        listed = storage.client.list_objects_v2(  # type: ignore[attr-defined]
            Bucket=settings.s3_bucket, Prefix=f"{settings.s3_prefix}/derived/clips/"
        )
        assert listed.get("KeyCount") == 1
    finally:
        for proc, _ in webs:
            proc.kill()
        sb.close()
