"""Who is asking, as every layer sees it (the rows behind it live in store/models.py).

Instance-wide roles are ``admin`` (everything) and ``listener`` (listen, clip, subscribe). The
creator role is per podcast, so it is not a value of ``Role``: it is the set of podcast ids on
the account (``creator_of``), filled from the ``podcast_creators`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    LISTENER = "listener"


class TokenScope(StrEnum):
    """What an API token may do: ``read`` answers only safe requests (GET, HEAD)."""

    READ = "read"
    WRITE = "write"

    def allows(self, *, write: bool) -> bool:
        return self is TokenScope.WRITE or not write


class SignupMode(StrEnum):
    """Who may make an account on this server (the admin's choice, `signup_mode`)."""

    CLOSED = "closed"  # only an admin adds accounts (`soundbite users add`)
    INVITE = "invite"  # anyone holding a valid invite link
    OPEN = "open"  # anyone


class Visibility(StrEnum):
    """Who may read a podcast, its episodes and their transcripts (an admin's choice)."""

    PUBLIC = "public"  # anyone, and the public site lists it (sitemap, index)
    UNLISTED = "unlisted"  # anyone holding the link; never listed
    PRIVATE = "private"  # signed-in members only


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: Role = Role.LISTENER
    creator_of: frozenset[int] = frozenset()

    def creates_for(self, podcast_id: int) -> bool:
        return podcast_id in self.creator_of

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_edit(self, owner_id: int) -> bool:
        """Rows belong to whoever added them; an admin may act on all of them."""
        return self.is_admin or self.id == owner_id
