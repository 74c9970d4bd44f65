"""(Admin) the accounts on this server: list them, change a role, disable or enable one.

The same rules as `soundbite users`: the last active admin can be neither demoted nor
disabled. Making accounts is sign-up's (or `soundbite users add`).
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from soundbite.services import accounts
from soundbite.services.schemas import AccountPublic, AccountUpdate
from soundbite.web.deps import CurrentUser, SoundbiteDep

router = APIRouter(tags=["users"])


@router.get("/users", response_model=list[AccountPublic])
def list_users(sb: SoundbiteDep, user: CurrentUser) -> list[AccountPublic]:
    return [AccountPublic(**asdict(u)) for u in accounts.list_users(sb, user)]


@router.patch("/users/{username}", status_code=204)
def update_user(username: str, body: AccountUpdate, sb: SoundbiteDep, user: CurrentUser) -> None:
    if body.role is not None:
        accounts.set_role(sb, user, username, body.role)
    if body.disabled is not None:
        accounts.set_disabled(sb, user, username, body.disabled)
