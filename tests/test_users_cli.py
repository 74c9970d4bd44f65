"""`soundbite users …`: the admin's CLI for accounts, on a real data dir and database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from soundbite.cli import cli
from tests.conftest import OWNER_PASSWORD

Run = Callable[..., Result]
PASSWORD = "listener's own sturdy passphrase"


@pytest.fixture
def run(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("SOUNDBITE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOUNDBITE_DATABASE_URL", database_url)
    monkeypatch.setenv("SOUNDBITE_OWNER_PASSWORD", OWNER_PASSWORD)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def users(run: Run) -> dict[str, dict[str, object]]:
    return {u["username"]: u for u in json.loads(run("users", "list", "--json").stdout)}


def test_add_list_role_disable_passwd(run: Run) -> None:
    assert users(run)["owner"]["role"] == "admin"

    weak = run("users", "add", "ann", "--password", "password1")
    assert weak.exit_code == 2 and "too easy to guess" in weak.stderr
    added = run("users", "add", "ann", "--password", PASSWORD)
    assert added.exit_code == 0 and "added ann (listener)" in added.stdout
    assert run("users", "add", "Ann", "--password", PASSWORD).exit_code == 5  # taken

    assert run("users", "role", "ann", "admin").exit_code == 0
    assert run("users", "role", "owner", "listener").exit_code == 0
    last = run("users", "role", "ann", "listener")
    assert last.exit_code == 5 and "last admin" in last.stderr
    assert {n: u["role"] for n, u in users(run).items()} == {"owner": "listener", "ann": "admin"}

    assert run("users", "disable", "owner").exit_code == 0
    assert users(run)["owner"]["disabled"] is True
    table = run("users", "list").stdout
    assert "owner" in table and "disabled" in table
    assert run("users", "enable", "owner").exit_code == 0

    assert (
        run("users", "passwd", "owner", "--password", "a new sturdy owner passphrase").exit_code
        == 0
    )
    assert run("users", "passwd", "nobody", "--password", PASSWORD).exit_code == 4

    invite = run("users", "invite", "--uses", "3")
    assert invite.exit_code == 0 and "/signup?invite=inv_" in invite.stdout
    assert "valid for 3 sign-up(s)" in invite.stdout

    token = json.loads(run("token", "create", "reader", "--scope", "read", "--json").stdout)
    assert token["scope"] == "read" and token["token"].startswith("sbt_")
    assert "reader  read" in run("token", "list").stdout
