"""`soundbite podcasts list|visibility`: who may see each podcast (docs/accounts.md).

Like every command, this acts as the first admin: whoever can run it owns the data directory.
"""

from __future__ import annotations

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.domain.accounts import Visibility
from soundbite.services import access, accounts, episodes

VISIBILITIES = click.Choice([v.value for v in Visibility])


@cli.group()
def podcasts() -> None:
    """Podcasts: list them with their visibility and creators, change who may see one."""


@podcasts.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def podcasts_list(ctx: Context, as_json: bool) -> None:
    admin = accounts.owner_account(ctx.app)
    rows = [(p, access.creators_of(ctx.app, p.id)) for p in episodes.list_podcasts(ctx.app, admin)]
    if as_json:
        emit_json(
            [
                {"id": p.id, "title": p.title, "visibility": p.visibility, "creators": creators}
                for p, creators in rows
            ]
        )
        return
    for p, creators in rows:
        made_by = f"  creators: {', '.join(creators)}" if creators else ""
        click.echo(f"{p.id:>4}  {p.visibility:<9} {p.title}{made_by}")


@podcasts.command(name="visibility")
@click.argument("podcast_id", type=click.IntRange(min=1))
@click.argument("visibility", type=VISIBILITIES)
@pass_ctx
@handle_errors
def podcasts_visibility(ctx: Context, podcast_id: int, visibility: str) -> None:
    """Make a podcast public (anyone, listed), unlisted (anyone with the link) or private
    (signed-in accounts only)."""
    access.set_visibility(ctx.app, accounts.owner_account(ctx.app), podcast_id, visibility)
    click.echo(f"podcast {podcast_id} is now {visibility}")
