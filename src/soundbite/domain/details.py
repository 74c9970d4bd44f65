"""The rules for a podcast's and an episode's details that admins and creators edit.

A broken rule is a ValueError naming it (the domain imports nothing of ours); the service turns
it into InvalidInput (422) with the same message."""

from __future__ import annotations

TITLE_MAX_CHARS = 300
DESCRIPTION_MAX_CHARS = 20_000
EDITABLE = ("title", "description")


def checked(name: str, value: str) -> str:
    """The value to store (stripped), or ValueError saying which rule it breaks."""
    if name not in EDITABLE:
        raise ValueError(f"{name!r} cannot be edited: one of {', '.join(EDITABLE)}")
    value = value.strip()
    if name == "title" and not value:
        raise ValueError("a title cannot be empty")
    limit = TITLE_MAX_CHARS if name == "title" else DESCRIPTION_MAX_CHARS
    if len(value) > limit:
        raise ValueError(f"a {name} is at most {limit} characters")
    return value
