"""Who is asking, as every layer sees it (the rows behind it live in store/models.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    is_owner: bool

    def may_edit(self, owner_id: int) -> bool:
        """Rows belong to whoever added them; the instance owner may act on all of them."""
        return self.is_owner or self.id == owner_id
