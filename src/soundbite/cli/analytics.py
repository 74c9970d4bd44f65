"""`soundbite analytics rollup`: roll raw events up now, in this process.

`soundbite serve` queues the same work as the ``analytics`` job every
SOUNDBITE_ANALYTICS_ROLLUP_SECONDS (analytics/schedule.py); both are idempotent, so running
this beside a worker counts nothing twice."""

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
