"""`soundbite recommend`: train the "For you" model now, and keep podcasts out of it."""

from __future__ import annotations

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.services import for_you
from soundbite.services.accounts import owner_account


@cli.group()
def recommend() -> None:
    """ "For you" recommendations (docs/recommend.md)."""


@recommend.command()
@click.option("--full", is_flag=True, help="A full training even if an incremental one would do.")
@pass_ctx
@handle_errors
def train(ctx: Context, full: bool) -> None:
    """Train in this process (what the `recommend` job does in `soundbite serve`)."""
    from soundbite.services.for_you_model import train as run

    click.echo(run(ctx.app, lambda pct, msg: None, full=full))


@recommend.command()
@click.argument("podcast_id", type=int)
@click.option("--include", is_flag=True, help="Let the podcast into recommendations again.")
@pass_ctx
@handle_errors
def exclude(ctx: Context, podcast_id: int, include: bool) -> None:
    """Keep podcast PODCAST_ID out of every listener's feed (at once)."""
    for_you.set_excluded(ctx.app, owner_account(ctx.app), podcast_id, excluded=not include)
    click.echo(
        f"podcast {podcast_id} {'included in' if include else 'excluded from'} recommendations"
    )


@recommend.command("excluded")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable output.")
@pass_ctx
@handle_errors
def excluded(ctx: Context, as_json: bool) -> None:
    """The podcasts kept out of recommendations."""
    rows = for_you.list_excluded(ctx.app, owner_account(ctx.app))
    if as_json:
        emit_json([{"podcast_id": p, "title": t, "excluded_at": a.isoformat()} for p, t, a in rows])
        return
    for pid, title, at in rows:
        click.echo(f"{pid}  {title}  (since {at:%Y-%m-%d})")
