"""`soundbite moderation queue|hidden|hide|unhide|dismiss|delete`: the moderators' queue from
a shell (docs/accounts.md, "Moderation"), for an admin without a browser or a script.

Like every command, this acts as the first admin: whoever can run it owns the data directory.
The rules are the web queue's (services/moderation.py); a cached share page in a running
server is refreshed within its cache time (a minute).
"""

from __future__ import annotations

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.services import accounts, moderation


@cli.group(name="moderation")
def moderation_group() -> None:
    """Reported and hidden clips: list them, hide, bring back, dismiss reports, delete."""


@moderation_group.command(name="queue")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def queue(ctx: Context, as_json: bool) -> None:
    """Clips with open reports, most reported first."""
    items = moderation.queue(ctx.app, accounts.owner_account(ctx.app))
    if as_json:
        emit_json(
            [
                {
                    "id": i.clip.share_id,
                    "title": i.clip.title,
                    "author": i.clip.owner_name,
                    "reports": len(i.reports),
                    "reasons": i.reasons,
                }
                for i in items
            ]
        )
        return
    if not items:
        click.echo("no open reports")
    for i in items:
        reasons = ", ".join(f"{reason} {n}" for reason, n in i.reasons.items())
        click.echo(f"{i.clip.share_id}  {len(i.reports):>3} reports ({reasons})  {i.clip.title}")


@moderation_group.command(name="hidden")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def hidden(ctx: Context, as_json: bool) -> None:
    """Hidden clips, the most recently hidden first."""
    views = moderation.hidden_clips(ctx.app, accounts.owner_account(ctx.app))
    if as_json:
        emit_json(
            [
                {
                    "id": v.share_id,
                    "title": v.title,
                    "author": v.owner_name,
                    "hidden_at": v.hidden_at.isoformat() if v.hidden_at else None,
                }
                for v in views
            ]
        )
        return
    if not views:
        click.echo("no hidden clips")
    for v in views:
        at = v.hidden_at.strftime("%Y-%m-%d %H:%M") if v.hidden_at else "?"
        click.echo(f"{v.share_id}  hidden {at} UTC  {v.title}")


def _action(name: str, help_text: str) -> None:
    @moderation_group.command(name=name, help=help_text)
    @click.argument("share_id")
    @pass_ctx
    @handle_errors
    def command(ctx: Context, share_id: str) -> None:
        click.echo(moderation.act(ctx.app, accounts.owner_account(ctx.app), share_id, name))


_action("hide", "Hide a clip for everyone (its link answers 410) and close its reports.")
_action("unhide", "Bring a hidden clip back.")
_action("dismiss", "Close a clip's open reports and keep the clip.")
_action("delete", "Delete a clip with its plays and reports, for good.")
