"""`soundbite token`, `passwd`."""

from __future__ import annotations

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.services import accounts


@cli.group()
def token() -> None:
    """API tokens for scripts (sent as `Authorization: Bearer <token>`)."""


@token.command(name="create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def token_create(ctx: Context, name: str, as_json: bool) -> None:
    """Make a token for the owner; it is shown once."""
    value = accounts.create_api_token(ctx.app, accounts.owner_account(ctx.app).id, name)
    emit_json({"name": name, "token": value}) if as_json else click.echo(value)


@token.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def token_list(ctx: Context, as_json: bool) -> None:
    rows = accounts.list_api_tokens(ctx.app, accounts.owner_account(ctx.app).id)
    items = [{"id": t.id, "name": t.name, "created_at": t.created_at} for t in rows]
    if as_json:
        emit_json(items)
    for t in [] if as_json else items:
        click.echo(f"{t['id']:>4}  {t['name']}  {t['created_at']:%Y-%m-%d}")


@token.command(name="revoke")
@click.argument("token_id", type=int)
@pass_ctx
@handle_errors
def token_revoke(ctx: Context, token_id: int) -> None:
    accounts.revoke_api_token(ctx.app, accounts.owner_account(ctx.app).id, token_id)
    click.echo(f"token {token_id} revoked")


@cli.command()
@click.argument("username", required=False)
@click.password_option()
@pass_ctx
@handle_errors
def passwd(ctx: Context, username: str | None, password: str) -> None:
    """Set a user's password (default: the owner's)."""
    name = username or accounts.owner_account(ctx.app).username
    accounts.set_password(ctx.app, name, password)
    click.echo(f"password set for {name}")
