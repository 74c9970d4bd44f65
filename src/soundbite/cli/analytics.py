"""`soundbite analytics rollup`: roll raw events up now (serve also does it on a timer)."""

from __future__ import annotations

import click

from soundbite.analytics.rollup import catch_up
from soundbite.cli.base import Context, cli, handle_errors, pass_ctx


@cli.group()
def analytics() -> None:
    """Counting downloads, listeners and clip plays (docs/analytics.md)."""


@analytics.command()
@pass_ctx
@handle_errors
def rollup(ctx: Context) -> None:
    """Roll every day that is not final up into the aggregates, and prune old raw events."""
    results = catch_up(ctx.app)
    for r in results:
        click.echo(f"{r.day}  {r.events} events  {r.rows} aggregate rows")
    if not results:
        click.echo("nothing to roll up")
