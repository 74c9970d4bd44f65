"""Accounts in the store: the owner's first run, sessions and API tokens, secrets kept hashed."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from soundbite.bootstrap import Soundbite
from soundbite.clips import service as clip_service
from soundbite.domain.accounts import Account, Role, TokenScope
from soundbite.domain.secrets import token_hash
from soundbite.errors import AuthRequired, Conflict, Forbidden, InvalidInput, NotFound
from soundbite.services import account_data, accounts, signup
from soundbite.store.base import utcnow
from soundbite.store.models import ApiToken, Episode, Invite, User, WebSession
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_clip_support import add_sonnet


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
    token = accounts.create_api_token(app, owner_id, "backup script")
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


# accounts for many people: passwords, roles, sign-up, sessions, tokens, export, deletion

LISTENER_PASSWORD = "listener's own sturdy passphrase"


def admin(app: Soundbite) -> Account:
    return accounts.owner_account(app)


def _settings_app(tmp_path: Path, database_url: str, **overrides: object) -> Soundbite:
    sb = Soundbite.from_settings(make_settings(tmp_path / "o", database_url, **overrides))
    accounts.ensure_owner(sb)
    return sb


def test_passwords_are_argon2id_and_weak_ones_refused_with_a_reason(app: Soundbite) -> None:
    with pytest.raises(InvalidInput, match=r"too easy to guess\. This is a very common password"):
        accounts.add_user(app, "ann", "password123")
    with pytest.raises(InvalidInput, match="too easy to guess"):
        accounts.add_user(app, "annabel", "annabel2024")  # the user name is no secret
    with pytest.raises(InvalidInput, match="at least 8"):
        accounts.add_user(app, "ann", "x7$q")
    with pytest.raises(InvalidInput, match="user name"):
        accounts.add_user(app, "a b", LISTENER_PASSWORD)
    ann = accounts.add_user(app, "ann", LISTENER_PASSWORD)
    assert ann.role is Role.LISTENER and not ann.is_admin
    with pytest.raises(Conflict, match="taken"):
        accounts.add_user(app, "ANN", LISTENER_PASSWORD)
    with app.db.read() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == "ann")).one()
    assert stored is not None and stored.startswith("$argon2id$")
    assert accounts.login(app, "ann", LISTENER_PASSWORD)[0] == ann
    assert accounts.login(app, "Ann", LISTENER_PASSWORD)[0] == ann  # any case signs in


def test_scrypt_hashes_of_the_previous_release_verify_and_are_replaced(app: Soundbite) -> None:
    salt = bytes(range(16))
    digest = hashlib.scrypt(OWNER_PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    with app.db.write() as s:
        s.execute(update(User).values(password_hash=f"scrypt${salt.hex()}${digest.hex()}"))
    with pytest.raises(AuthRequired):
        accounts.login(app, "owner", "not the password")
    accounts.login(app, "owner", OWNER_PASSWORD)
    with app.db.read() as s:
        assert s.scalars(select(User.password_hash)).one().startswith("$argon2id$")
    accounts.login(app, "owner", OWNER_PASSWORD)


def test_roles_and_the_last_admin(app: Soundbite) -> None:
    with pytest.raises(Conflict, match="last admin"):
        accounts.set_role(app, admin(app), "owner", Role.LISTENER)
    with pytest.raises(Conflict, match="last admin"):
        accounts.set_disabled(app, admin(app), "owner", True)
    accounts.add_user(app, "ann", LISTENER_PASSWORD)
    accounts.set_role(app, admin(app), "ann", Role.ADMIN)
    accounts.set_role(app, admin(app), "owner", Role.LISTENER)  # another admin exists now
    roles = {u.username: u.role for u in accounts.list_users(app, admin(app))}
    assert roles == {"owner": Role.LISTENER, "ann": Role.ADMIN}
    assert accounts.owner_account(app).username == "ann"  # the CLI now acts as ann
    with pytest.raises(NotFound):
        accounts.set_role(app, admin(app), "nobody", Role.ADMIN)


def test_disabling_ends_sessions_and_tokens(app: Soundbite) -> None:
    ann = accounts.add_user(app, "ann", LISTENER_PASSWORD)
    _, session = accounts.login(app, "ann", LISTENER_PASSWORD)
    token = accounts.create_api_token(app, ann.id, "phone", TokenScope.READ)
    grant = accounts.account_for_api_token(app, token)
    assert grant is not None and grant.scope is TokenScope.READ
    assert not grant.scope.allows(write=True) and grant.scope.allows(write=False)

    accounts.set_disabled(app, admin(app), "ann", True)
    assert accounts.account_for_session(app, session) is None
    assert accounts.account_for_api_token(app, token) is None
    with pytest.raises(Forbidden, match="disabled"):
        accounts.login(app, "ann", LISTENER_PASSWORD)
    with pytest.raises(AuthRequired):  # a wrong password says nothing about the state
        accounts.login(app, "ann", "not her password at all")
    assert [u.disabled for u in accounts.list_users(app, admin(app)) if u.username == "ann"] == [
        True
    ]

    accounts.set_disabled(app, admin(app), "ann", False)
    accounts.login(app, "ann", LISTENER_PASSWORD)
    assert accounts.account_for_api_token(app, token) is not None


def test_sessions_are_listed_and_revocable_by_their_owner_only(app: Soundbite) -> None:
    ann = accounts.add_user(app, "ann", LISTENER_PASSWORD)
    _, laptop = accounts.login(app, "ann", LISTENER_PASSWORD, user_agent="Firefox on Linux")
    _, phone = accounts.login(app, "ann", LISTENER_PASSWORD, user_agent="Safari on iPhone")
    listed = accounts.list_sessions(app, ann.id, laptop)
    assert [(x.user_agent, x.current) for x in listed] == [
        ("Firefox on Linux", True),
        ("Safari on iPhone", False),
    ]
    owner = accounts.owner_account(app)
    with pytest.raises(NotFound):
        accounts.revoke_session(app, owner.id, listed[1].id)  # not the owner's session
    accounts.revoke_session(app, ann.id, listed[1].id)
    assert accounts.account_for_session(app, phone) is None
    assert accounts.account_for_session(app, laptop) == ann
    accounts.set_password(app, "ann", "a brand new sturdy passphrase")
    assert accounts.account_for_session(app, laptop) is None  # a new password signs out all


def test_sign_up_modes(tmp_path: Path, database_url: str) -> None:
    closed = _settings_app(tmp_path / "closed", database_url)
    try:
        with pytest.raises(Forbidden, match="closed"):
            signup.sign_up(closed, "ann", LISTENER_PASSWORD)
    finally:
        closed.close()
    opened = _settings_app(tmp_path / "open", database_url, signup_mode="open")
    try:
        ann, session = signup.sign_up(opened, "ann", LISTENER_PASSWORD)
        assert ann.role is Role.LISTENER
        assert accounts.account_for_session(opened, session) == ann
        with pytest.raises(InvalidInput, match="too easy"):
            signup.sign_up(opened, "bob", "qwerty123")
        with pytest.raises(Conflict):
            signup.sign_up(opened, "Ann", LISTENER_PASSWORD)
    finally:
        opened.close()


def test_invites_single_and_multi_use_with_expiry(tmp_path: Path, database_url: str) -> None:
    sb = _settings_app(tmp_path, database_url, signup_mode="invite")
    try:
        admin = accounts.owner_account(sb)
        with pytest.raises(Forbidden, match="needs an invite"):
            signup.sign_up(sb, "ann", LISTENER_PASSWORD)
        _, single = signup.create_invite(sb, admin)
        signup.sign_up(sb, "ann", LISTENER_PASSWORD, invite=single)
        with pytest.raises(Forbidden, match="not valid"):
            signup.sign_up(sb, "bob", LISTENER_PASSWORD, invite=single)

        info, group = signup.create_invite(sb, admin, max_uses=2, days=1)
        signup.sign_up(sb, "bob", LISTENER_PASSWORD, invite=group)
        with pytest.raises(Conflict):  # a taken name does not use up the invite
            signup.sign_up(sb, "BOB", LISTENER_PASSWORD, invite=group)
        signup.sign_up(sb, "cid", LISTENER_PASSWORD, invite=group)
        with pytest.raises(Forbidden):
            signup.sign_up(sb, "dee", LISTENER_PASSWORD, invite=group)
        assert [(i.id, i.uses) for i in signup.list_invites(sb, admin)][1] == (info.id, 2)

        _, stale = signup.create_invite(sb, admin, max_uses=5)
        with sb.db.write() as s:
            s.execute(
                update(Invite)
                .where(Invite.token_hash == token_hash(stale))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        with pytest.raises(Forbidden):
            signup.sign_up(sb, "dee", LISTENER_PASSWORD, invite=stale)

        revoked, token = signup.create_invite(sb, admin)
        signup.revoke_invite(sb, admin, revoked.id)
        with pytest.raises(Forbidden):
            signup.sign_up(sb, "dee", LISTENER_PASSWORD, invite=token)

        ann = accounts.account_for_session(sb, accounts.login(sb, "ann", LISTENER_PASSWORD)[1])
        assert ann is not None
        with pytest.raises(Forbidden, match="admin"):
            signup.create_invite(sb, ann)
        with pytest.raises(Forbidden):
            signup.list_invites(sb, ann)
    finally:
        sb.close()


def test_export_and_deletion_of_ones_own_data(app: Soundbite, owner_id: int) -> None:
    ann = accounts.add_user(app, "ann", LISTENER_PASSWORD)
    accounts.login(app, "ann", LISTENER_PASSWORD, user_agent="Firefox")
    accounts.create_api_token(app, ann.id, "script", TokenScope.READ)
    episode = add_sonnet(app, ann.id)  # ann added an episode to the shared library
    clip = clip_service.create_clip(
        app, ann, episode_id=episode, start_ms=1_000, end_ms=4_000, note="my note"
    )
    owners_clip = clip_service.create_clip(
        app, accounts.owner_account(app), episode_id=episode, start_ms=5_000, end_ms=8_000
    )

    data = json.loads(json.dumps(account_data.export_account(app, ann.id)))
    assert data["account"]["username"] == "ann" and data["account"]["role"] == "listener"
    assert [(c["share_id"], c["note"]) for c in data["clips"]] == [(clip.share_id, "my note")]
    assert [(t["name"], t["scope"]) for t in data["api_tokens"]] == [("script", "read")]
    assert [x["user_agent"] for x in data["sessions"]] == ["Firefox"]
    # what she listened to is covered by tests/test_listener_api.py
    assert data["history"] == [] and data["subscriptions"] == [] and data["drafts"] == []
    assert "token_hash" not in json.dumps(data) and "password" not in json.dumps(data)

    account_data.delete_account(app, ann.id)
    assert [u.username for u in accounts.list_users(app, admin(app))] == ["owner"]
    with pytest.raises(NotFound):
        clip_service.get_clip(app, clip.share_id, accounts.owner_account(app))
    # the shared episode stays, now the admin's, with the admin's clip of it
    assert clip_service.get_clip(app, owners_clip.share_id, None).episode_id == episode
    with app.db.read() as s:
        assert s.scalars(select(Episode.owner_id).where(Episode.id == episode)).one() == owner_id
    with pytest.raises(Conflict, match="last admin"):
        account_data.delete_account(app, owner_id)
