"""Accounts: users and their roles, passwords, signing in, web sessions and API tokens.

Secrets are stored only as hashes (passwords with argon2id, tokens with SHA-256). The first run
makes an admin account: with SOUNDBITE_OWNER_PASSWORD it gets that password, otherwise a
one-time setup link is printed. Sign-up by listeners is in ``signup.py``; deleting an account
and exporting its data in ``account_data.py``; the abuse limits that guard sign-in in
``abuse.py``.

There is always at least one active admin: the last one can be neither demoted, disabled nor
deleted, so the server can never end up with nobody allowed to run it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain.accounts import Account, Role, TokenScope
from soundbite.domain.passwords import hash_password, needs_rehash, verify_password, weakness
from soundbite.domain.secrets import new_token, token_hash
from soundbite.errors import AuthRequired, Conflict, Forbidden, InvalidInput, NotFound
from soundbite.services.abuse import AbuseLimits
from soundbite.store.base import as_utc, utcnow
from soundbite.store.db import rowcount
from soundbite.store.models import ApiToken, PodcastCreator, User, WebSession

__all__ = ["Account", "Role", "TokenScope"]

SESSION_DAYS = 30
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,31}")
WRONG = "wrong user name or password"


@dataclass(frozen=True, slots=True)
class UserSummary:
    id: int
    username: str
    role: Role
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    user_agent: str | None
    created_at: datetime
    expires_at: datetime
    current: bool


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """Who an API token acts for, and what it may do."""

    account: Account
    scope: TokenScope


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None


def account_of(s: Session, user: User) -> Account:
    """Who `user` is to every check: role, and the podcasts they create for (one query)."""
    podcasts = s.scalars(select(PodcastCreator.podcast_id).where(PodcastCreator.user_id == user.id))
    return Account(user.id, user.username, Role(user.role), frozenset(podcasts))


def require_admin(user: Account) -> None:
    if not user.is_admin:
        raise Forbidden("only an admin may do this")


# the first run


def ensure_owner(app: Context) -> str | None:
    """Make the first admin if there is none. Returns a setup token to print, if one was made."""
    try:
        return _ensure_owner(app)
    except IntegrityError:
        # several processes started together (scale-out) and another one made the account
        # between our look and our insert: the second look finds it
        return _ensure_owner(app)


def _ensure_owner(app: Context) -> str | None:
    settings = app.settings
    with app.db.write() as s:
        owner = _first_admin(s)
        if owner is None:
            owner = User(username=settings.owner_username, role=Role.ADMIN.value)
            s.add(owner)
        if owner.password_hash is not None:
            return None
        if settings.owner_password:
            owner.password_hash = hash_password(settings.owner_password)
            owner.setup_token_hash = None
            return None
        token = new_token("setup")
        owner.setup_token_hash = token_hash(token)
        return token


def _first_admin(s: Session) -> User | None:
    query = select(User).where(User.role == Role.ADMIN.value).order_by(User.id)
    return s.scalars(query).first()


def owner_account(app: Context) -> Account:
    """The first admin: whom the CLI acts as when no user is named."""
    with app.db.read() as s:
        owner = _first_admin(s)
        if owner is None:
            raise NotFound("there is no admin account yet; run `soundbite serve` or `migrate`")
        return account_of(s, owner)


def complete_setup(app: Context, setup_token: str, password: str) -> Account:
    with app.db.write() as s:
        user = s.scalars(
            select(User).where(User.setup_token_hash == token_hash(setup_token))
        ).first()
        if user is None:
            raise AuthRequired("this setup link is not valid or was already used")
        check_password(password, user.username)
        user.password_hash, user.setup_token_hash = hash_password(password), None
        return account_of(s, user)


# users, as an admin manages them (the CLI acts as the first admin)


def check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "a user name is 2 to 32 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )


def check_password(password: str, username: str = "") -> None:
    reason = weakness(password, user_inputs=(username, "soundbite"))
    if reason:
        raise InvalidInput(reason)


def add_user(app: Context, username: str, password: str, role: Role = Role.LISTENER) -> Account:
    check_username(username)
    check_password(password, username)
    with app.db.write() as s:
        return account_of(s, insert_user(s, username, hash_password(password), role))


def insert_user(s: Session, username: str, password_hash: str, role: Role) -> User:
    """Add a user row; user names are unique whatever their case ("Ann" is "ann")."""
    taken = s.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise Conflict(f"the user name {username!r} is taken")
    user = User(username=username, password_hash=password_hash, role=role.value)
    s.add(user)
    s.flush()
    return user


def list_users(app: Context, admin: Account) -> list[UserSummary]:
    require_admin(admin)
    with app.db.read() as s:
        rows = s.scalars(select(User).order_by(User.id))
        return [
            UserSummary(u.id, u.username, Role(u.role), u.disabled_at is not None, u.created_at)
            for u in rows
        ]


def set_role(app: Context, admin: Account, username: str, role: Role) -> None:
    require_admin(admin)
    with app.db.write() as s:
        user = user_named(s, username)
        if user.role == Role.ADMIN.value and role is not Role.ADMIN:
            keep_an_admin(s, user.id)
        user.role = role.value


def set_disabled(app: Context, admin: Account, username: str, disabled: bool) -> None:
    """Disable (or enable) an account. Disabling signs it out everywhere at once."""
    require_admin(admin)
    with app.db.write() as s:
        user = user_named(s, username)
        if not disabled:
            user.disabled_at = None
            return
        disable_user(s, user)


def disable_user(s: Session, user: User) -> None:
    """Disable `user` in the caller's transaction (the caller decided it may): signed out
    everywhere at once; refused for the last active admin."""
    if user.role == Role.ADMIN.value:
        keep_an_admin(s, user.id)
    user.disabled_at = user.disabled_at or utcnow()
    s.execute(delete(WebSession).where(WebSession.user_id == user.id))


def set_password(app: Context, username: str, password: str) -> None:
    """Set a password (admin CLI, or the user changing their own); other sessions end."""
    with app.db.write() as s:
        user = user_named(s, username)
        check_password(password, user.username)
        user.password_hash, user.setup_token_hash = hash_password(password), None
        s.execute(delete(WebSession).where(WebSession.user_id == user.id))


def user_named(s: Session, username: str) -> User:
    user = s.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def keep_an_admin(s: Session, leaving_id: int) -> None:
    """Refuse if `leaving_id` is the last active admin."""
    others = s.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.disabled_at.is_(None), User.id != leaving_id)
    )
    if not others:
        raise Conflict("this is the last admin: make another admin first")


# signing in


def login(
    app: Context,
    username: str,
    password: str,
    *,
    client_ip: str = "",
    user_agent: str | None = None,
    limits: AbuseLimits | None = None,
) -> tuple[Account, str]:
    """Check credentials and open a session. Returns the account and the session token.

    With `limits`, a client that failed too often is refused (429) before its password is
    checked, and each failure is counted.
    """
    with app.db.write() as s:
        user = _authenticate(s, username, password, client_ip, limits)
        return account_of(s, user), open_session(s, user.id, user_agent)


def confirm_password(
    app: Context, user: Account, password: str, *, client_ip: str = "", limits: AbuseLimits | None
) -> None:
    """Ask a signed-in user for their password again (before deleting the account, changing
    the password), under the same lockout as signing in."""
    with app.db.write() as s:
        _authenticate(s, user.username, password, client_ip, limits)


def _authenticate(
    s: Session, username: str, password: str, client_ip: str, limits: AbuseLimits | None
) -> User:
    if limits is not None:
        limits.check_sign_in(client_ip, username)
    # user names are unique whatever their case, so "Ann" signs in as ann
    named = func.lower(User.username) == username.lower()
    user = s.scalars(select(User).where(named).order_by(User.id)).first()
    stored = user.password_hash if user else None
    if user is None or not verify_password(password, stored or _dummy_hash()) or not stored:
        if limits is not None:
            limits.failed_sign_in(client_ip, username)
        raise AuthRequired(WRONG)
    if user.disabled_at is not None:
        raise Forbidden("this account is disabled: ask an admin")
    if needs_rehash(stored):
        # an older hash (scrypt, or weaker argon2 parameters): upgrade it while we know
        # the password
        user.password_hash = hash_password(password)
    return user


@cache
def _dummy_hash() -> str:
    """Checked when the user name is unknown, so that answer takes as long as a wrong
    password and does not tell which user names exist."""
    return hash_password("no account has this password")


def open_session(s: Session, user_id: int, user_agent: str | None) -> str:
    token = new_token("sess")
    s.add(
        WebSession(
            user_id=user_id,
            token_hash=token_hash(token),
            user_agent=(user_agent or "")[:255] or None,
            expires_at=utcnow() + timedelta(days=SESSION_DAYS),
        )
    )
    return token


def logout(app: Context, session_token: str) -> None:
    with app.db.write() as s:
        s.execute(delete(WebSession).where(WebSession.token_hash == token_hash(session_token)))


def account_for_session(app: Context, session_token: str) -> Account | None:
    with app.db.read() as s:
        row = s.execute(
            select(User, WebSession.expires_at)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == token_hash(session_token))
        ).first()
        if row is None or as_utc(row[1]) < utcnow() or row[0].disabled_at is not None:
            return None
        return account_of(s, row[0])


def list_sessions(app: Context, user_id: int, current_token: str | None) -> list[SessionInfo]:
    current = token_hash(current_token) if current_token else None
    with app.db.read() as s:
        rows = s.scalars(
            select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.expires_at > utcnow())
            .order_by(WebSession.id)
        )
        return [
            SessionInfo(r.id, r.user_agent, r.created_at, r.expires_at, r.token_hash == current)
            for r in rows
        ]


def revoke_session(app: Context, user_id: int, session_id: int) -> None:
    with app.db.write() as s:
        deleted = rowcount(
            s.execute(
                delete(WebSession).where(WebSession.id == session_id, WebSession.user_id == user_id)
            )
        )
    if not deleted:
        raise NotFound(f"no session {session_id}")


# API tokens


def create_api_token(
    app: Context, owner_id: int, name: str, scope: TokenScope = TokenScope.WRITE
) -> str:
    """Make a token; returns the secret, which is shown only once."""
    return issue_api_token(app, owner_id, name, scope)[1]


def issue_api_token(
    app: Context, owner_id: int, name: str, scope: TokenScope = TokenScope.WRITE
) -> tuple[TokenInfo, str]:
    """Make a token; returns its description and the secret."""
    token = new_token("sbt")
    with app.db.write() as s:
        row = ApiToken(owner_id=owner_id, name=name, token_hash=token_hash(token), scope=scope)
        s.add(row)
        s.flush()
        return _token_info(row), token


def account_for_api_token(app: Context, token: str) -> TokenGrant | None:
    with app.db.read() as s:
        row = s.execute(
            select(User, ApiToken.scope)
            .join(ApiToken, ApiToken.owner_id == User.id)
            .where(ApiToken.token_hash == token_hash(token))
        ).first()
        if row is None or row[0].disabled_at is not None:
            return None
        return TokenGrant(account_of(s, row[0]), TokenScope(row[1]))


def list_api_tokens(app: Context, owner_id: int) -> list[TokenInfo]:
    with app.db.read() as s:
        rows = s.scalars(
            select(ApiToken).where(ApiToken.owner_id == owner_id).order_by(ApiToken.id)
        )
        return [_token_info(t) for t in rows]


def _token_info(t: ApiToken) -> TokenInfo:
    return TokenInfo(t.id, t.name, TokenScope(t.scope), t.created_at, t.last_used_at)


def revoke_api_token(app: Context, owner_id: int, token_id: int) -> None:
    with app.db.write() as s:
        deleted = rowcount(
            s.execute(
                delete(ApiToken).where(ApiToken.id == token_id, ApiToken.owner_id == owner_id)
            )
        )
    if not deleted:
        raise NotFound(f"no API token {token_id}")
