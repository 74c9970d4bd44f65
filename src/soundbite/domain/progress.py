"""How long work reports progress: a callback taking (percent 0-100, human-readable message)."""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[float, str], None]


def no_progress(percent: float, message: str) -> None:
    """The default reporter, for callers that do not watch."""
