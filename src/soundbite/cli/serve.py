"""`soundbite serve`, `worker`, `migrate`, `settings`."""

from __future__ import annotations

import signal
import threading

import click

from soundbite.analytics.schedule import RollupLoop
from soundbite.cli.base import Context, cli, handle_errors, pass_ctx
from soundbite.clips.creator import materialise_soundbites
from soundbite.jobs.dispatch import LocalDispatcher
from soundbite.jobs.for_you_schedule import TrainingLoop
from soundbite.settings import settings_markdown


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: SOUNDBITE_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: SOUNDBITE_PORT).")
@click.option("--workers", type=int, default=None, help="Pipeline worker threads in this process.")
@pass_ctx
@handle_errors
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app and API, with in-process pipeline workers."""
    import uvicorn

    from soundbite.jobs.worker import WorkerPool
    from soundbite.services.accounts import ensure_owner
    from soundbite.web.app import create_app

    overrides = {
        k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None
    }
    if overrides:
        ctx.settings = ctx.settings.model_copy(update=overrides)
    settings = ctx.settings
    app = ctx.app
    setup_token = ensure_owner(app)
    materialise_soundbites(app)  # feeds stored before clips existed
    if setup_token:
        click.secho(
            f"Set the owner password: {settings.base_url}/setup?token={setup_token}", fg="yellow"
        )
    pool: WorkerPool | None = None
    if isinstance(app.dispatcher, LocalDispatcher):
        pool = WorkerPool(app, settings.workers)
        app.dispatcher.pool = pool
        pool.start()
    else:
        # scale-out: the pipeline runs on `soundbite worker` (Celery); this process dispatches
        click.echo("pipeline jobs go to Celery workers (SOUNDBITE_BROKER_URL)", err=True)
    rollups: RollupLoop | None = None
    if settings.analytics:
        rollups = RollupLoop(app, settings.analytics_rollup_seconds)
        rollups.start()
    training = TrainingLoop(app, settings.recommend_train_seconds)
    training.start()
    web = create_app(app)
    click.echo(f"Soundbite on {settings.base_url}  (data: {settings.data_dir.resolve()})")
    try:
        uvicorn.run(web, host=settings.host, port=settings.port, log_level=settings.log_level)
    finally:
        training.stop()
        if rollups is not None:
            rollups.stop()
        if pool is not None:
            pool.stop()


@cli.command()
@click.option(
    "--threads", type=int, default=1, show_default=True, help="Jobs run at once by this worker."
)
@click.option(
    "--queues",
    "--stages",
    "queues",
    default=None,
    help="Only these queues, comma-separated: pipeline stages (fetch, probe, peaks, transcribe, "
    "analyze, index), recommend (the For you training), analytics (the rollup and pruning) "
    "and, with a broker, render (clip pre-renders). Default: all.",
)
@click.option(
    "--pool",
    "celery_pool",
    type=click.Choice(["prefork", "threads", "solo"]),
    default="prefork",
    show_default=True,
    help="Celery execution pool (with SOUNDBITE_BROKER_URL).",
)
@click.option("--name", default=None, help="Celery node name (default: soundbite-<pid>@<host>).")
@pass_ctx
@handle_errors
def worker(
    ctx: Context, threads: int, queues: str | None, celery_pool: str, name: str | None
) -> None:
    """Run pipeline workers without the web server (same job table as `serve`).

    With SOUNDBITE_BROKER_URL set this is a Celery worker consuming the stage queues and the
    render queue; otherwise worker threads poll the job table directly.
    """
    from soundbite.domain.pipeline import STEPS
    from soundbite.jobs.dispatch import RENDER_QUEUE

    known = [*STEPS, RENDER_QUEUE]
    chosen = [q.strip() for q in queues.split(",") if q.strip()] if queues else known
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s) {', '.join(unknown)}; the queues are {', '.join(known)}",
            param_hint="--queues",
        )
    if ctx.settings.broker_url:
        _celery_worker(ctx, chosen, threads, celery_pool, name)
        return
    # without a broker nothing sends renders anywhere: `serve` renders clips itself
    stages = [q for q in chosen if q != RENDER_QUEUE]
    if queues and RENDER_QUEUE in chosen:
        note = "the render queue needs SOUNDBITE_BROKER_URL; without one, `soundbite serve` renders"
        if not stages:
            raise click.BadParameter(note, param_hint="--queues")
        click.echo(f"note: {note} (ignoring it here)", err=True)
    from soundbite.jobs.worker import WorkerPool

    pool = WorkerPool(ctx.app, threads, stages=stages if queues else None)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pool.start()
    click.echo(f"worker running {threads} thread(s); Ctrl-C to stop", err=True)
    stop.wait()
    pool.stop()


def _celery_worker(
    ctx: Context, queues: list[str], concurrency: int, pool: str, name: str | None
) -> None:
    import os
    import socket

    from soundbite.celery_tasks import use_settings
    from soundbite.jobs.celery_app import make_celery
    from soundbite.jobs.dispatch import CeleryDispatcher
    from soundbite.jobs.reconciler import Reconciler

    app = ctx.app  # migrates (once, under a lock) before any child process starts
    use_settings(ctx.settings, parent=app)
    assert isinstance(app.dispatcher, CeleryDispatcher)
    reconciler = Reconciler(app.queue, app.dispatcher, interval_s=ctx.settings.reconcile_seconds)
    reconciler.run_once()  # dispatch what waited while no worker ran
    reconciler.start()
    celery = make_celery(ctx.settings)
    node = name or f"soundbite-{os.getpid()}@{socket.gethostname()}"
    click.echo(f"celery worker {node} on queues {','.join(queues)}", err=True)
    try:
        celery.worker_main(
            [
                "worker",
                f"--queues={','.join(ctx.settings.broker_queue_prefix + q for q in queues)}",
                f"--concurrency={max(1, concurrency)}",
                f"--pool={pool}",
                f"--hostname={node}",
                f"--loglevel={ctx.settings.log_level.upper()}",
                # no gossip, mingle or heartbeats: we use no remote control, and mingle alone
                # delays every start by a broadcast round trip
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        reconciler.stop()


@cli.command()
@pass_ctx
@handle_errors
def migrate(ctx: Context) -> None:
    """Create the database or bring it up to date."""
    ctx.app  # noqa: B018  (building the app runs the migrations)
    click.echo(f"database is up to date: {ctx.settings.resolved_database_url}")


@cli.command(name="settings")
@click.option("--markdown", is_flag=True, help="Print the documentation table.")
@pass_ctx
def show_settings(ctx: Context, markdown: bool) -> None:
    """Show the settings in force (from SOUNDBITE_* variables)."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    for name, value in ctx.settings.model_dump().items():
        if "password" in name and value:
            value = "********"
        click.echo(f"SOUNDBITE_{name.upper()}={value}")
