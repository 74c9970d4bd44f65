"""Upgrading a single-owner install (schema 0005) to accounts (0006) in place.

The fixture database is built by the previous schema itself (Alembic up to 0005) and filled
the way the previous release filled it: an owner with a scrypt password hash, a second user,
a podcast, an episode, a clip with its share link, a session and an API token. After the
upgrade the owner is an admin who signs in with the same password, and every clip, link and
token still works.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from soundbite.bootstrap import Soundbite
from soundbite.clips import service
from soundbite.domain.accounts import Role, TokenScope
from soundbite.domain.secrets import token_hash
from soundbite.services import accounts
from soundbite.store.base import utcnow
from soundbite.store.db import Database
from soundbite.store.migrate import alembic_config
from tests.conftest import OWNER_PASSWORD, make_settings
from tests.test_web_support import make_client

SHARE_ID = "Q2xpcHNLZWVwVGhlaXJMaW5r"
OLD_TOKEN = "sbt_made_by_the_previous_release"


def _old_scrypt_hash(password: str) -> str:
    """A password hash exactly as the previous release made it."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = alembic_config(db)
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
        connection.commit()


def _fill_like_release_0005(db: Database) -> None:
    now = utcnow()
    md = sa.MetaData()
    md.reflect(db.engine)
    t = md.tables
    with db.engine.begin() as c:
        owner = c.execute(
            t["users"]
            .insert()
            .values(
                username="owner",
                password_hash=_old_scrypt_hash(OWNER_PASSWORD),
                is_owner=True,
                created_at=now,
            )
        ).inserted_primary_key[0]
        c.execute(t["users"].insert().values(username="guest", is_owner=False, created_at=now))
        podcast = c.execute(
            t["podcasts"]
            .insert()
            .values(owner_id=owner, title="Old show", description="", created_at=now)
        ).inserted_primary_key[0]
        episode = c.execute(
            t["episodes"]
            .insert()
            .values(
                owner_id=owner,
                podcast_id=podcast,
                guid="ep-1",
                title="Old episode",
                description="",
                created_at=now,
            )
        ).inserted_primary_key[0]
        c.execute(
            t["clips"]
            .insert()
            .values(
                share_id=SHARE_ID,
                episode_id=episode,
                owner_id=owner,
                start_ms=1_000,
                end_ms=6_000,
                title="Kept through the upgrade",
                visibility="private",
                source="listener",
                snap="word",
                created_at=now,
                updated_at=now,
            )
        )
        c.execute(
            t["api_tokens"]
            .insert()
            .values(
                owner_id=owner, name="old script", token_hash=token_hash(OLD_TOKEN), created_at=now
            )
        )


def test_single_owner_install_upgrades_in_place(tmp_path: Path, database_url: str) -> None:
    old = Database(database_url)
    _migrate(old, "0005")
    _fill_like_release_0005(old)
    old.engine.dispose()

    # what `soundbite serve` does on start: migrate to head
    sb = Soundbite.from_settings(make_settings(tmp_path / "d", database_url, owner_password=None))
    try:
        assert accounts.ensure_owner(sb) is None  # the owner exists and has a password
        users = {u.username: u for u in accounts.list_users(sb, accounts.owner_account(sb))}
        assert users["owner"].role is Role.ADMIN and users["guest"].role is Role.LISTENER

        owner, _ = accounts.login(sb, "owner", OWNER_PASSWORD)
        assert owner.is_admin
        with sb.db.read() as s:
            stored = s.scalar(sa.text("select password_hash from users where username='owner'"))
        assert stored.startswith("$argon2id$")  # rehashed on the first sign-in
        accounts.login(sb, "owner", OWNER_PASSWORD)  # and the new hash verifies

        view = service.get_clip(sb, SHARE_ID, owner)
        assert (view.title, view.start_ms, view.end_ms) == ("Kept through the upgrade", 1000, 6000)
        assert owner.may_edit(view.owner_id)

        grant = accounts.account_for_api_token(sb, OLD_TOKEN)
        assert grant is not None and grant.account == owner and grant.scope is TokenScope.WRITE

        client = make_client(sb)
        bearer = {"Authorization": f"Bearer {OLD_TOKEN}"}
        r = client.get(f"/api/clips/{SHARE_ID}", headers=bearer)
        assert r.status_code == 200 and r.json()["title"] == "Kept through the upgrade"
        assert client.get(f"/api/clips/{SHARE_ID}").status_code == 404  # private stays private
        mine = client.get("/api/clips", params={"mine": "true"}, headers=bearer).json()
        assert [c["id"] for c in mine["items"]] == [SHARE_ID]
    finally:
        sb.close()

    # and back: 0005's owner is the admin again
    db = Database(database_url)
    try:
        _migrate(db, "0005", down=True)
        with db.engine.connect() as c:
            owners = c.execute(sa.text("select username from users where is_owner")).all()
        assert [o[0] for o in owners] == ["owner"]
    finally:
        db.engine.dispose()
