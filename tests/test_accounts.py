"""Accounts in the store: the owner's first run, sessions and API tokens, secrets kept hashed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from soundbite.bootstrap import Soundbite
from soundbite.errors import AuthRequired, InvalidInput, NotFound
from soundbite.services import accounts
from soundbite.store.base import utcnow
from soundbite.store.models import ApiToken, User, WebSession
from tests.conftest import OWNER_PASSWORD, make_settings


def test_owner_with_configured_password(app: Soundbite) -> None:
    assert accounts.ensure_owner(app) is None  # idempotent: the fixture already ran it
    account, session = accounts.login(app, "owner", OWNER_PASSWORD)
    assert account.is_admin and account.username == "owner"
    assert accounts.account_for_session(app, session) == account
    for user, password in [("owner", "wrong password"), ("nobody", OWNER_PASSWORD)]:
        with pytest.raises(AuthRequired, match="wrong user name or password"):
            accounts.login(app, user, password)
    assert accounts.owner_account(app) == account


def test_setup_link_flow(tmp_path: Path, database_url: str) -> None:
    sb = Soundbite.from_settings(make_settings(tmp_path / "d", database_url, owner_password=None))
    try:
        token = accounts.ensure_owner(sb)
        assert token is not None and token.startswith("setup_")
        with pytest.raises(AuthRequired):  # no password yet: nobody can sign in
            accounts.login(sb, "owner", "")
        with pytest.raises(InvalidInput, match="at least 8"):
            accounts.complete_setup(sb, token, "short")
        with pytest.raises(AuthRequired, match="not valid"):
            accounts.complete_setup(sb, "setup_guess", "long enough password")
        account = accounts.complete_setup(sb, token, "long enough password")
        assert account.is_admin
        with pytest.raises(AuthRequired, match="already used"):
            accounts.complete_setup(sb, token, "another password")
        assert accounts.ensure_owner(sb) is None  # a password exists now: no new link
        accounts.login(sb, "owner", "long enough password")
        with sb.db.read() as s:
            owner = s.scalars(select(User)).one()
        assert owner.setup_token_hash is None and "long enough" not in (owner.password_hash or "")
    finally:
        sb.close()


def test_set_password(app: Soundbite) -> None:
    accounts.set_password(app, "owner", "brand new password")
    accounts.login(app, "owner", "brand new password")
    with pytest.raises(AuthRequired):
        accounts.login(app, "owner", OWNER_PASSWORD)
    with pytest.raises(NotFound):
        accounts.set_password(app, "nobody", "brand new password")


def test_sessions_end_on_logout_and_expiry(app: Soundbite) -> None:
    _, first = accounts.login(app, "owner", OWNER_PASSWORD)
    _, second = accounts.login(app, "owner", OWNER_PASSWORD)
    accounts.logout(app, first)
    assert accounts.account_for_session(app, first) is None
    assert accounts.account_for_session(app, second) is not None  # other sessions live on
    with app.db.write() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert accounts.account_for_session(app, second) is None
    assert accounts.account_for_session(app, "sess_made_up") is None


def test_api_tokens_are_hashed_scoped_and_revocable(app: Soundbite, owner_id: int) -> None:
    _, token = accounts.create_api_token(app, owner_id, "backup script")
    assert accounts.account_for_api_token(app, token) is not None
    with app.db.read() as s:
        stored = s.scalars(select(ApiToken)).one()
    assert token not in stored.token_hash and stored.name == "backup script"
    [listed] = accounts.list_api_tokens(app, owner_id)
    with app.db.write() as s:
        other = User(username="guest", role="listener")
        s.add(other)
        s.flush()
        other_id = other.id
    assert accounts.list_api_tokens(app, other_id) == []
    with pytest.raises(NotFound):
        accounts.revoke_api_token(app, other_id, listed.id)  # not theirs to revoke
    accounts.revoke_api_token(app, owner_id, listed.id)
    assert accounts.account_for_api_token(app, token) is None
