"""A podcast's and an episode's details as its admins and creators write them: title and
description (docs/accounts.md, "Roles").

A changed field is remembered (``edited``), so reading the feed again keeps the creator's
words instead of putting the feed's back (services/library.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.domain.details import checked
from soundbite.errors import InvalidInput
from soundbite.services import access
from soundbite.store.models import Episode, Podcast


def edit_podcast(ctx: Context, editor: Account, podcast_id: int, changes: dict[str, str]) -> None:
    """Change the podcast's title and/or description (admins and its creators)."""
    access.editable_podcast(ctx, editor, podcast_id)
    with ctx.db.write() as s:
        _apply(s, s.get_one(Podcast, podcast_id), changes)


def edit_episode(ctx: Context, editor: Account, episode_id: int, changes: dict[str, str]) -> None:
    """Change the episode's title and/or description (admins and its podcast's creators)."""
    access.editable_episode(ctx, editor, episode_id)
    with ctx.db.write() as s:
        _apply(s, s.get_one(Episode, episode_id), changes)


def validated(changes: dict[str, str]) -> dict[str, str]:
    """The changes as they will be stored, or InvalidInput for the first that breaks a rule."""
    try:
        return {name: checked(name, value) for name, value in changes.items()}
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _apply(s: Session, row: Podcast | Episode, changes: dict[str, str]) -> None:
    clean = validated(changes)
    for name, value in clean.items():
        setattr(row, name, value)
    # a new list, so the JSON column sees the change
    row.edited = sorted(set(row.edited or ()) | set(clean))
    s.flush()
