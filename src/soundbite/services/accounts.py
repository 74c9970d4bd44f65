"""Users, web sessions and API tokens.

Secrets are stored only as hashes. The first run makes the owner account: with
SOUNDBITE_OWNER_PASSWORD it gets that password, otherwise a one-time setup link is printed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.domain.secrets import hash_password, new_token, token_hash, verify_password
from soundbite.errors import AuthRequired, Forbidden, InvalidInput, NotFound
from soundbite.store.base import as_utc, utcnow
from soundbite.store.db import rowcount
from soundbite.store.models import ApiToken, User, WebSession

SESSION_DAYS = 30
MIN_PASSWORD = 8


def require_editor(user: Account, owner_id: int) -> None:
    if not user.may_edit(owner_id):
        raise Forbidden("this belongs to another account")


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.is_owner)


def ensure_owner(app: Context) -> str | None:
    """Make the owner account if there is none. Returns a setup token to print, if one was made."""
    try:
        return _ensure_owner(app)
    except IntegrityError:
        # several processes started together (scale-out) and another one made the account
        # between our look and our insert: the second look finds it
        return _ensure_owner(app)


def _ensure_owner(app: Context) -> str | None:
    settings = app.settings
    with app.db.write() as s:
        owner = s.scalars(select(User).where(User.is_owner)).first()
        if owner is None:
            owner = User(username=settings.owner_username, is_owner=True)
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


def owner_account(app: Context) -> Account:
    with app.db.read() as s:
        owner = s.scalars(select(User).where(User.is_owner)).first()
        if owner is None:
            raise NotFound("there is no owner account yet; run `soundbite serve` or `migrate`")
        return _account(owner)


def complete_setup(app: Context, setup_token: str, password: str) -> Account:
    _check_password(password)
    with app.db.write() as s:
        user = s.scalars(
            select(User).where(User.setup_token_hash == token_hash(setup_token))
        ).first()
        if user is None:
            raise AuthRequired("this setup link is not valid or was already used")
        user.password_hash, user.setup_token_hash = hash_password(password), None
        return _account(user)


def set_password(app: Context, username: str, password: str) -> None:
    _check_password(password)
    with app.db.write() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"no user named {username!r}")
        user.password_hash, user.setup_token_hash = hash_password(password), None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must be at least {MIN_PASSWORD} characters")


def login(app: Context, username: str, password: str) -> tuple[Account, str]:
    """Check credentials and open a session. Returns the account and the session token."""
    with app.db.write() as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        stored = user.password_hash if user else None
        if not verify_password(password, stored) or user is None:
            raise AuthRequired("wrong user name or password")
        token = new_token("sess")
        s.add(
            WebSession(
                user_id=user.id,
                token_hash=token_hash(token),
                expires_at=utcnow() + timedelta(days=SESSION_DAYS),
            )
        )
        return _account(user), token


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
    if row is None or as_utc(row[1]) < utcnow():
        return None
    return _account(row[0])


def create_api_token(app: Context, owner_id: int, name: str) -> str:
    token = new_token("sbt")
    with app.db.write() as s:
        s.add(ApiToken(owner_id=owner_id, name=name, token_hash=token_hash(token)))
    return token


def account_for_api_token(app: Context, token: str) -> Account | None:
    with app.db.read() as s:
        row = s.execute(
            select(User, ApiToken.id)
            .join(ApiToken, ApiToken.owner_id == User.id)
            .where(ApiToken.token_hash == token_hash(token))
        ).first()
    return _account(row[0]) if row else None


def list_api_tokens(app: Context, owner_id: int) -> list[ApiToken]:
    with app.db.read() as s:
        return list(
            s.scalars(select(ApiToken).where(ApiToken.owner_id == owner_id).order_by(ApiToken.id))
        )


def revoke_api_token(app: Context, owner_id: int, token_id: int) -> None:
    with app.db.write() as s:
        deleted = rowcount(
            s.execute(
                delete(ApiToken).where(ApiToken.id == token_id, ApiToken.owner_id == owner_id)
            )
        )
    if not deleted:
        raise NotFound(f"no API token {token_id}")
