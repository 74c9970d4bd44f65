"""`soundbite serve`, `worker`, `migrate`, `settings`."""

from __future__ import annotations

import signal
import threading

import click

from soundbite.cli.base import Context, cli, handle_errors, pass_ctx
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
    from soundbite.store.accounts import ensure_owner
    from soundbite.web.app import create_app

    overrides = {
        k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None
    }
    if overrides:
        ctx.settings = ctx.settings.model_copy(update=overrides)
    settings = ctx.settings
    app = ctx.app
    setup_token = ensure_owner(app)
    if setup_token:
        click.secho(
            f"Set the owner password: {settings.base_url}/setup?token={setup_token}", fg="yellow"
        )
    pool = WorkerPool(app, settings.workers)
    web = create_app(app, pool=pool)
    pool.start()
    click.echo(f"Soundbite on {settings.base_url}  (data: {settings.data_dir.resolve()})")
    try:
        uvicorn.run(web, host=settings.host, port=settings.port, log_level=settings.log_level)
    finally:
        pool.stop()


@cli.command()
@click.option("--threads", type=int, default=1, show_default=True, help="Worker threads.")
@click.option(
    "--stages", default=None, help="Only these stages, comma-separated (e.g. transcribe)."
)
@pass_ctx
@handle_errors
def worker(ctx: Context, threads: int, stages: str | None) -> None:
    """Run pipeline workers without the web server (same job table as `serve`)."""
    from soundbite.jobs.worker import WorkerPool

    pool = WorkerPool(ctx.app, threads, stages=stages.split(",") if stages else None)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pool.start()
    click.echo(f"worker running {threads} thread(s); Ctrl-C to stop", err=True)
    stop.wait()
    pool.stop()


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
