"""Signing up: the admin's sign-up mode and invite links.

``signup_mode`` is `closed` (the default: only an admin adds accounts), `invite` (a valid
invite link is needed) or `open`. An invite may be used `max_uses` times (1: a personal link;
more: a link for a group) until it expires; only its hash is stored, like every secret. New
accounts are listeners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain.accounts import Account, Role, SignupMode
from soundbite.domain.passwords import hash_password
from soundbite.domain.secrets import new_token, token_hash
from soundbite.errors import Forbidden, InvalidInput, NotFound
from soundbite.services.abuse import AbuseLimits
from soundbite.services.accounts import (
    account_of,
    check_password,
    check_username,
    insert_user,
    open_session,
    require_admin,
)
from soundbite.store.base import as_utc, utcnow
from soundbite.store.db import rowcount
from soundbite.store.models import Invite

MAX_INVITE_USES = 10_000


@dataclass(frozen=True, slots=True)
class InviteInfo:
    id: int
    max_uses: int
    uses: int
    expires_at: datetime
    created_at: datetime


def signup_mode(app: Context) -> SignupMode:
    return SignupMode(app.settings.signup_mode)


def create_invite(
    app: Context, admin: Account, *, max_uses: int = 1, days: int | None = None
) -> tuple[InviteInfo, str]:
    """Make an invite link's token (shown once)."""
    require_admin(admin)
    if not 1 <= max_uses <= MAX_INVITE_USES:
        raise InvalidInput(f"an invite is for 1 to {MAX_INVITE_USES} sign-ups")
    lifetime = timedelta(days=days or app.settings.invite_days)
    token = new_token("inv")
    with app.db.write() as s:
        row = Invite(
            token_hash=token_hash(token),
            created_by=admin.id,
            max_uses=max_uses,
            uses=0,
            expires_at=utcnow() + lifetime,
        )
        s.add(row)
        s.flush()
        return _info(row), token


def list_invites(app: Context, admin: Account) -> list[InviteInfo]:
    require_admin(admin)
    with app.db.read() as s:
        return [_info(i) for i in s.scalars(select(Invite).order_by(Invite.id))]


def revoke_invite(app: Context, admin: Account, invite_id: int) -> None:
    require_admin(admin)
    with app.db.write() as s:
        if not rowcount(s.execute(delete(Invite).where(Invite.id == invite_id))):
            raise NotFound(f"no invite {invite_id}")


def sign_up(
    app: Context,
    username: str,
    password: str,
    *,
    invite: str | None = None,
    client_ip: str = "",
    user_agent: str | None = None,
    limits: AbuseLimits | None = None,
) -> tuple[Account, str]:
    """Make a listener account as the sign-up mode allows, and sign it in.

    Returns the account and its session token.
    """
    mode = signup_mode(app)
    if mode is SignupMode.CLOSED:
        raise Forbidden("sign-up is closed on this server: ask an admin for an account")
    if mode is SignupMode.INVITE and not invite:
        raise Forbidden("sign-up on this server needs an invite link")
    if limits is not None:
        limits.sign_up(client_ip)
    check_username(username)
    check_password(password, username)
    password_hash = hash_password(password)  # slow: before the write transaction
    with app.db.write() as s:
        if invite:
            _use_invite(s, invite)
        user = insert_user(s, username, password_hash, Role.LISTENER)
        return account_of(s, user), open_session(s, user.id, user_agent)


def _use_invite(s: Session, invite: str) -> None:
    """Count one use of an invite, atomically: two sign-ups racing for the last use of a
    link cannot both get it (the UPDATE's condition is checked by the database)."""
    used = rowcount(
        s.execute(
            update(Invite)
            .where(
                Invite.token_hash == token_hash(invite),
                Invite.uses < Invite.max_uses,
                Invite.expires_at > utcnow(),
            )
            .values(uses=Invite.uses + 1)
        )
    )
    if not used:
        raise Forbidden("this invite link is not valid: it expired, was used up or revoked")


def _info(row: Invite) -> InviteInfo:
    return InviteInfo(row.id, row.max_uses, row.uses, as_utc(row.expires_at), row.created_at)
