"""`soundbite users add|list|role|creator|disable|enable|passwd|invite`, `token`, `passwd`.

The CLI works on the data directory directly, so whoever can run it is trusted as an admin.
"""

from __future__ import annotations

import click

from soundbite.cli.base import Context, cli, emit_json, handle_errors, pass_ctx
from soundbite.domain.accounts import Role, TokenScope
from soundbite.services import access, accounts, signup

ROLES = click.Choice([r.value for r in Role])


@cli.group()
def users() -> None:
    """Accounts: add, list, change roles, disable, set passwords, invite."""


@users.command(name="add")
@click.argument("username")
@click.option("--role", type=ROLES, default=Role.LISTENER.value, show_default=True)
@click.password_option()
@pass_ctx
@handle_errors
def users_add(ctx: Context, username: str, role: str, password: str) -> None:
    """Make an account (whatever the sign-up mode)."""
    account = accounts.add_user(ctx.app, username, password, Role(role))
    click.echo(f"added {account.username} ({account.role.value})")


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def users_list(ctx: Context, as_json: bool) -> None:
    rows = accounts.list_users(ctx.app, accounts.owner_account(ctx.app))
    if as_json:
        emit_json(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "role": u.role.value,
                    "disabled": u.disabled,
                    "created_at": u.created_at,
                }
                for u in rows
            ]
        )
        return
    for u in rows:
        state = "  disabled" if u.disabled else ""
        click.echo(f"{u.id:>4}  {u.username:<32} {u.role.value:<9}{state}")


@users.command(name="role")
@click.argument("username")
@click.argument("role", type=ROLES)
@pass_ctx
@handle_errors
def users_role(ctx: Context, username: str, role: str) -> None:
    """Make USERNAME an admin or a listener (the last admin stays one)."""
    accounts.set_role(ctx.app, accounts.owner_account(ctx.app), username, Role(role))
    click.echo(f"{username} is now {role}")


@users.command(name="creator")
@click.argument("username")
@click.argument("podcast_id", type=click.IntRange(min=1))
@click.option("--remove", is_flag=True, help="Stop USERNAME being a creator of the podcast.")
@pass_ctx
@handle_errors
def users_creator(ctx: Context, username: str, podcast_id: int, remove: bool) -> None:
    """Make USERNAME a creator of a podcast: they may edit it and its episodes, publish
    soundbites and see its analytics."""
    admin = accounts.owner_account(ctx.app)
    changed = access.set_creator(ctx.app, admin, podcast_id, username, on=not remove)
    verb = "is no longer" if remove else "is now"
    note = "" if changed else " (it already was)" if not remove else " (it was not)"
    click.echo(f"{username} {verb} a creator of podcast {podcast_id}{note}")


@users.command(name="disable")
@click.argument("username")
@pass_ctx
@handle_errors
def users_disable(ctx: Context, username: str) -> None:
    """Stop an account from signing in; its sessions end and its tokens stop working."""
    accounts.set_disabled(ctx.app, accounts.owner_account(ctx.app), username, True)
    click.echo(f"{username} is disabled")


@users.command(name="enable")
@click.argument("username")
@pass_ctx
@handle_errors
def users_enable(ctx: Context, username: str) -> None:
    accounts.set_disabled(ctx.app, accounts.owner_account(ctx.app), username, False)
    click.echo(f"{username} is enabled")


@users.command(name="passwd")
@click.argument("username")
@click.password_option()
@pass_ctx
@handle_errors
def users_passwd(ctx: Context, username: str, password: str) -> None:
    """Set USERNAME's password; their sessions end."""
    accounts.set_password(ctx.app, username, password)
    click.echo(f"password set for {username}")


@users.command(name="invite")
@click.option("--uses", default=1, show_default=True, help="How many sign-ups the link allows.")
@click.option("--days", type=int, default=None, help="Lifetime (default: invite_days).")
@pass_ctx
@handle_errors
def users_invite(ctx: Context, uses: int, days: int | None) -> None:
    """Print an invite link (used when signup_mode is `invite` or `open`)."""
    admin = accounts.owner_account(ctx.app)
    info, token = signup.create_invite(ctx.app, admin, max_uses=uses, days=days)
    click.echo(f"{ctx.app.settings.base_url}/signup?invite={token}")
    click.echo(f"valid for {info.max_uses} sign-up(s) until {info.expires_at:%Y-%m-%d %H:%M} UTC")


@cli.group()
def token() -> None:
    """API tokens for scripts (sent as `Authorization: Bearer <token>`)."""


@token.command(name="create")
@click.argument("name")
@click.option(
    "--scope", type=click.Choice([s.value for s in TokenScope]), default="write", show_default=True
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def token_create(ctx: Context, name: str, scope: str, as_json: bool) -> None:
    """Make a token for the first admin; it is shown once."""
    owner = accounts.owner_account(ctx.app)
    value = accounts.create_api_token(ctx.app, owner.id, name, TokenScope(scope))
    emit_json({"name": name, "scope": scope, "token": value}) if as_json else click.echo(value)


@token.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@handle_errors
def token_list(ctx: Context, as_json: bool) -> None:
    rows = accounts.list_api_tokens(ctx.app, accounts.owner_account(ctx.app).id)
    items = [
        {"id": t.id, "name": t.name, "scope": t.scope.value, "created_at": t.created_at}
        for t in rows
    ]
    if as_json:
        emit_json(items)
    for t in [] if as_json else items:
        click.echo(f"{t['id']:>4}  {t['name']}  {t['scope']}  {t['created_at']:%Y-%m-%d}")


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
    """Set a user's password (default: the first admin's). Same as `users passwd`."""
    name = username or accounts.owner_account(ctx.app).username
    accounts.set_password(ctx.app, name, password)
    click.echo(f"password set for {name}")
