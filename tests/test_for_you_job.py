"""The recommender's training as a job: one server-wide row in the job table, incremental
between full trainings, sent to the `recommend` Celery queue in scale-out (the Celery task
runs it), and the admin's CLI flag that keeps a podcast out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.celery_tasks import run_job, use_settings
from soundbite.domain.pipeline import RECOMMEND
from soundbite.services import for_you_model
from soundbite.services.accounts import ensure_owner, owner_account
from soundbite.store.models import Job
from soundbite.store.recommend_models import RecommendModel
from tests.conftest import make_settings
from tests.for_you_support import add_shows, feed, finish, titles, train
from tests.test_celery import memory_celery, take  # noqa: F401
from tests.test_cli import run  # noqa: F401
from tests.test_listener_api import listener


def _runs(app: Soundbite) -> list[tuple[str, int]]:
    with app.db.read() as s:
        rows = s.scalars(select(RecommendModel).order_by(RecommendModel.id)).all()
        return [(r.kind, r.signals) for r in rows]


def test_training_is_one_server_wide_job_full_then_incremental(
    app: Soundbite, owner_id: int
) -> None:
    shows = add_shows(app, owner_id)
    ann, bob = listener(app, "ann"), listener(app, "bob")
    finish(ann, shows["Kitchen Table"][0])
    finish(bob, shows["Orbit Hour"][0])
    app.enqueue(None, [RECOMMEND])
    app.enqueue(None, [RECOMMEND])  # asked twice before it ran: still one job
    with app.db.read() as s:
        queued = s.scalars(select(Job).where(Job.stage == RECOMMEND)).all()
        assert [(j.episode_id, j.state) for j in queued] == [(None, "queued")]
    assert train(app) == 1
    assert _runs(app)[-1][0] == "full"

    # bob's new play: the next run refits bob alone, reading only his signals
    finish(bob, shows["Orbit Hour"][1])
    train(app)
    kind, read = _runs(app)[-1]
    assert kind == "incremental" and read == 4  # bob's two plays and two completions
    loaded = for_you_model.latest(app)
    assert loaded is not None
    assert loaded[1].model.listeners["u3"].liked.keys() >= {f"e{shows['Orbit Hour'][1]}"}


def test_enough_new_signals_make_the_next_run_a_full_training(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path / "data", database_url, recommend_full_retrain_signals=2)
    app = Soundbite.from_settings(settings)
    try:
        ensure_owner(app)
        shows = add_shows(app, owner_account(app).id)
        ann = listener(app, "ann")
        finish(ann, shows["Kitchen Table"][0])
        train(app)
        finish(ann, shows["Kitchen Table"][1])  # two more signals: a full training is due
        train(app)
        assert [k for k, _ in _runs(app)] == ["full", "full"]
    finally:
        app.close()


def test_scale_out_sends_the_training_to_the_recommend_queue_and_the_task_runs_it(
    app: Soundbite,
    owner_id: int,
    memory_celery,  # noqa: F811
) -> None:
    dispatcher, celery = memory_celery
    shows = add_shows(app, owner_id)
    finish(listener(app, "ann"), shows["Kitchen Table"][0])
    app.queue.enqueue(None, [RECOMMEND])
    dispatcher.wake(None)
    sent = take(celery, dispatcher.prefix + RECOMMEND)
    with app.db.read() as s:
        job_id = s.scalars(select(Job.id).where(Job.stage == RECOMMEND)).one()
    assert sent == [job_id]
    use_settings(app.settings, parent=app)  # what `soundbite worker` does before forking
    assert run_job(job_id) == "ran"
    assert run_job(job_id).startswith("not runnable")  # a duplicate message is a no-op
    with app.db.read() as s:
        job = s.get_one(Job, job_id)
        assert job.state == "done" and job.message.startswith("full training")


def test_the_cli_flag_keeps_a_podcast_out(
    run: Callable[..., Result],  # noqa: F811
) -> None:
    assert run("migrate").exit_code == 0
    app = run.app()  # type: ignore[attr-defined]
    shows = add_shows(app, 1)
    orbit = listener(app, "ann").get(f"/api/episodes/{shows['Orbit Hour'][0]}").json()
    done = run("recommend", "exclude", str(orbit["podcast_id"]))
    assert done.exit_code == 0 and "excluded from recommendations" in done.output
    assert "Orbit Hour" in run("recommend", "excluded").output
    assert run("recommend", "train").exit_code == 0
    assert not any(t.startswith("Orbit Hour") for t in titles(feed(listener(app, "bob"))))
    assert run("recommend", "exclude", "999999").exit_code != 0
    assert run("recommend", "exclude", str(orbit["podcast_id"]), "--include").exit_code == 0
    assert run("recommend", "excluded").output.strip() == ""
