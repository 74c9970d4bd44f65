"""`soundbite jobs`, `retry`."""

from __future__ import annotations

import sys

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.services import episodes


@cli.command(name="jobs")
@click.option("--state", type=click.Choice(["queued", "running", "done", "failed"]))
@click.option("--episode", "episode_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def list_jobs(ctx: Context, state: str | None, episode_id: int | None, as_json: bool) -> None:
    """List pipeline jobs: episode, stage, state, progress and error."""
    jobs = episodes.pipeline_jobs(ctx.app, state=state, episode_id=episode_id)
    items = [
        {
            "id": j.id,
            "episode_id": j.episode_id,
            "stage": j.stage,
            "state": j.state,
            "attempts": j.attempts,
            "progress": round(j.progress, 1),
            "message": j.message,
            "error": j.error,
        }
        for j in jobs
    ]
    if as_json:
        emit_json(items)
        return
    for j in items:
        # server-wide jobs (the analytics rollup, the recommender's training) have no episode
        episode = "-" if j["episode_id"] is None else j["episode_id"]
        click.echo(
            f"{j['id']:>5}  episode {episode:<5} {j['stage']:<10} {j['state']:<8} "
            f"{j['progress']:>5}%  {j['message']}"
        )
        if j["error"]:
            click.echo(f"       error: {j['error']}")


@cli.command()
@click.argument("job_id", type=int)
@click.option("--no-wait", is_flag=True, help="Queue it and return at once.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def retry(ctx: Context, job_id: int, no_wait: bool, as_json: bool) -> None:
    """Queue a failed (or finished) job again, with the stages after it."""
    from soundbite.cli.progress import wait_for_episodes

    app = ctx.app
    app.retry(job_id)
    episode_id = episodes.job_episode_id(app, job_id)
    if episode_id is None:  # server-wide work: a worker (or `soundbite serve`) runs it
        if as_json:
            emit_json({"job_id": job_id, "episode_id": None, "queued": True, "failed": {}})
        else:
            click.echo(f"job {job_id} queued")
        return
    failed: list[tuple[str, str]] = []
    if not no_wait:
        outcome = wait_for_episodes(
            app, [episode_id], threads=1, show=not as_json and sys.stderr.isatty()
        )
        failed = outcome[0].failed
    if as_json:
        emit_json(
            {"job_id": job_id, "episode_id": episode_id, "queued": no_wait, "failed": dict(failed)}
        )
    else:
        click.echo(f"job {job_id} {'queued' if no_wait else 'finished'}")
    for stage, error in failed:
        click.echo(f"{stage} failed: {error}", err=True)
    if failed:
        sys.exit(1)
