"""Rollups are idempotent: run twice they count nothing twice, and a run killed midway (the
process gone with SIGKILL after it deleted the day's aggregates, before it wrote the new
ones) leaves the aggregates as they were. Raw events are pruned after the retention, and
only once their day is final. The rollup is a job on the job queue: one row however many
processes queue it, run by the in-process worker or a Celery worker, retried after a kill.
On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from soundbite.analytics.rollup import catch_up, prune, rollup_day
from soundbite.analytics.schedule import queue_rollup
from soundbite.analytics.sink import EventSink
from soundbite.bootstrap import Soundbite
from soundbite.celery_tasks import run_job, use_settings
from soundbite.cli import cli
from soundbite.domain.pipeline import ANALYTICS
from soundbite.jobs.dispatch import CeleryDispatcher
from soundbite.jobs.worker import WorkerPool
from soundbite.store.analytics_models import AnalyticsEvent, AnalyticsRollup, AnalyticsRollupRun
from soundbite.store.models import Job
from tests.analytics_support import DAY0, golden_library, read_log
from tests.test_celery import memory_celery, take  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KILLED_ROLLUP = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date
    from sqlalchemy import event
    from soundbite.analytics.rollup import rollup_day
    from soundbite.bootstrap import Soundbite
    from soundbite.settings import Settings

    sb = Soundbite.from_settings(Settings(), migrate=False)

    @event.listens_for(sb.db.engine, "before_cursor_execute")
    def die_before_writing(conn, cursor, statement, *args):
        # by now this transaction has deleted the day's aggregates
        if statement.lstrip().upper().startswith("INSERT INTO ANALYTICS_ROLLUPS"):
            print("killed midway", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    rollup_day(sb, date.fromisoformat(sys.argv[1]))
    """
)


def _aggregates(app: Soundbite) -> list[tuple]:
    r = AnalyticsRollup
    with app.db.read() as s:
        rows = s.execute(
            sa.select(
                r.period,
                r.start,
                r.metric,
                r.podcast_id,
                r.episode_id,
                r.clip_id,
                r.dimension,
                r.value,
                r.count,
            )
        ).all()
    return sorted((p, start.replace(tzinfo=None), *rest) for p, start, *rest in rows)


def _load_golden(app: Soundbite, owner_id: int) -> None:
    events, _ = read_log(golden_library(app, owner_id))
    sink = EventSink(app)
    for event in events:
        sink.add(event)
    sink.close()


def test_rollup_twice_and_killed_midway_count_nothing_twice(app: Soundbite, owner_id: int) -> None:
    _load_golden(app, owner_id)
    rollup_day(app, DAY0)
    first = _aggregates(app)
    downloads = [
        row for row in first if row[:3] == ("day", datetime.combine(DAY0, time()), "downloads")
    ]
    assert sum(row[-1] for row in downloads if row[3:8] == (0, 0, 0, "", "")) == 37

    rollup_day(app, DAY0)
    assert _aggregates(app) == first

    env = {
        **os.environ,
        "PYTHONPATH": os.path.join(ROOT, "src"),
        "SOUNDBITE_DATA_DIR": str(app.settings.data_dir),
        "SOUNDBITE_DATABASE_URL": app.settings.resolved_database_url,
    }
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_ROLLUP, DAY0.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "killed midway" in killed.stdout
    assert _aggregates(app) == first  # the deletion died with the transaction

    rollup_day(app, DAY0)
    assert _aggregates(app) == first


def test_catch_up_finalises_days_and_prune_keeps_the_aggregates(
    app: Soundbite, owner_id: int
) -> None:
    _load_golden(app, owner_id)
    during_day0 = datetime.combine(DAY0, time(12), UTC)
    assert [r.day for r in catch_up(app, now=during_day0)] == [DAY0]
    # day 0 was rolled up while it lasted: it is rolled up again later, then never more
    later = datetime.combine(DAY0 + timedelta(days=3), time(1), UTC)
    assert [r.day for r in catch_up(app, now=later)] == [
        DAY0,
        DAY0 + timedelta(days=1),
        DAY0 + timedelta(days=2),
        DAY0 + timedelta(days=3),
    ]
    assert [r.day for r in catch_up(app, now=later)] == [DAY0 + timedelta(days=3)]
    before = _aggregates(app)

    retention = app.settings.analytics_retention_days
    assert prune(app, now=later) == 0  # within the retention
    gone = prune(app, now=later + timedelta(days=retention))
    with app.db.read() as s:
        left = s.scalar(sa.select(sa.func.count()).select_from(AnalyticsEvent))
    # 14 HEAD requests and 15 probes of at most two bytes were never stored
    assert gone == 190 - 14 - 15 and left == 0
    assert _aggregates(app) == before


def test_rollup_command(app: Soundbite, owner_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _load_golden(app, owner_id)
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(app.settings.data_dir))
    monkeypatch.setenv("SOUNDBITE_DATABASE_URL", app.settings.resolved_database_url)
    result = CliRunner().invoke(cli, ["analytics", "rollup"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # 161 stored events: 158 on day 0, 3 on day 1
    day1 = DAY0 + timedelta(days=1)
    assert lines[:2] == [
        f"{DAY0}  158 events  {len(_aggregates_of(app, DAY0))} aggregate rows",
        f"{day1}  3 events  {len(_aggregates_of(app, day1))} aggregate rows",
    ]
    again = CliRunner().invoke(cli, ["analytics", "rollup"], catch_exceptions=False)
    assert f"{DAY0}  " not in again.output  # final now: not rolled up again


def _aggregates_of(app: Soundbite, day: date) -> list[tuple]:
    start = datetime.combine(day, time())
    return [row for row in _aggregates(app) if start <= row[1] < start + timedelta(days=1)]


# --- the rollup as a job on the job queue -------------------------------------------------

KILLED_JOB = textwrap.dedent(
    """
    import os, signal
    from sqlalchemy import event
    from soundbite.bootstrap import Soundbite
    from soundbite.domain.pipeline import ANALYTICS
    from soundbite.jobs.worker import WorkerPool
    from soundbite.settings import Settings
    from soundbite.store.queue import worker_identity

    sb = Soundbite.from_settings(Settings(), migrate=False)

    @event.listens_for(sb.db.engine, "before_cursor_execute")
    def die_before_writing(conn, cursor, statement, *args):
        # by now this transaction has deleted the day's aggregates
        if statement.lstrip().upper().startswith("INSERT INTO ANALYTICS_ROLLUPS"):
            print("killed midway", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    job = sb.queue.claim(worker_identity("doomed"), [ANALYTICS])
    assert job is not None
    WorkerPool(sb, 0).run_job(job)
    """
)


def _rollup_jobs(app: Soundbite) -> list[tuple[str, int]]:
    with app.db.read() as s:
        rows = s.execute(
            sa.select(Job.state, Job.attempts).where(
                Job.stage == ANALYTICS, Job.episode_id.is_(None)
            )
        ).all()
    return [(state, attempts) for state, attempts in rows]


def _run_jobs(app: Soundbite) -> int:
    return WorkerPool(app, 0, stages=[ANALYTICS]).run_until_idle()


def test_the_rollup_is_one_job_queued_by_every_process_and_running_it_twice_counts_the_same(
    app: Soundbite, owner_id: int
) -> None:
    _load_golden(app, owner_id)
    # two web processes' timers fire together: one job
    assert queue_rollup(app, 600) is True
    assert queue_rollup(app, 600) is False
    assert _rollup_jobs(app) == [("queued", 0)]
    assert _run_jobs(app) == 1
    first = _aggregates(app)
    day0 = [r for r in first if r[:3] == ("day", datetime.combine(DAY0, time()), "downloads")]
    assert sum(r[-1] for r in day0 if r[3:8] == (0, 0, 0, "", "")) == 37
    with app.db.read() as s:
        job = s.scalars(sa.select(Job).where(Job.stage == ANALYTICS)).one()
        assert job.state == "done" and "rolled up (161 events)" in job.message
    assert queue_rollup(app, 600) is False  # finished within the period: not again yet

    # asked again at once (the CLI, an admin's retry): the same row, the same counts
    app.enqueue(None, [ANALYTICS])
    assert _rollup_jobs(app) == [("queued", 0)]
    _forget_that_day0_is_final(app)  # so the second run recounts it, not just skips it
    assert _run_jobs(app) == 1
    assert _aggregates(app) == first
    assert queue_rollup(app, 0.0) is True  # a period of nothing: due at once


def _forget_that_day0_is_final(app: Soundbite) -> None:
    with app.db.write() as s:
        s.execute(
            sa.delete(AnalyticsRollupRun).where(
                AnalyticsRollupRun.start == datetime.combine(DAY0, time(), UTC)
            )
        )


def test_a_rollup_job_killed_midway_counts_right_when_it_is_retried(
    app: Soundbite, owner_id: int
) -> None:
    _load_golden(app, owner_id)
    queue_rollup(app, 600)
    _run_jobs(app)
    first = _aggregates(app)
    assert first

    _forget_that_day0_is_final(app)
    app.enqueue(None, [ANALYTICS])
    env = {
        **os.environ,
        "PYTHONPATH": os.path.join(ROOT, "src"),
        "SOUNDBITE_DATA_DIR": str(app.settings.data_dir),
        "SOUNDBITE_DATABASE_URL": app.settings.resolved_database_url,
    }
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_JOB], env=env, capture_output=True, text=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "killed midway" in killed.stdout
    assert _rollup_jobs(app) == [("running", 1)]  # its worker is gone
    assert _aggregates(app) == first  # the day's deletion died with the transaction

    # the next claim finds the worker dead and queues the job again; it then runs whole
    assert _run_jobs(app) == 1
    assert _rollup_jobs(app) == [("done", 2)]
    assert _aggregates(app) == first


def test_scale_out_sends_the_rollup_to_the_analytics_queue_and_the_task_runs_it(
    app: Soundbite,
    owner_id: int,
    memory_celery: tuple[CeleryDispatcher, Any],  # noqa: F811
) -> None:
    dispatcher, celery = memory_celery
    _load_golden(app, owner_id)
    assert app.queue.enqueue_periodic(ANALYTICS, timedelta(minutes=9))
    dispatcher.wake(None)
    sent = take(celery, dispatcher.prefix + ANALYTICS)
    with app.db.read() as s:
        job_id = s.scalars(sa.select(Job.id).where(Job.stage == ANALYTICS)).one()
    assert sent == [job_id]
    use_settings(app.settings, parent=app)  # what `soundbite worker` does before forking
    assert run_job(job_id) == "ran"
    assert run_job(job_id).startswith("not runnable")  # a duplicate message is a no-op
    assert _rollup_jobs(app) == [("done", 1)]
    day0 = datetime.combine(DAY0, time())
    assert ("day", day0, "downloads", 0, 0, 0, "", "", 37) in _aggregates(app)
