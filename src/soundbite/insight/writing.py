"""What a writer (a language model behind an endpoint, insight/llm.py) may write in place of
the texts the lexical methods make: chapter titles (titles.py), the episode summary
(summary.py), and the reason and clip title of each highlight suggestion (highlights.py).

The lexical text is always made first and is what the writer is compared against: a writer
that answers nothing, fails, or answers something unusable (several lines, too long) leaves it
in place, so analysis never depends on the writer being there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from soundbite.insight.highlights import Highlight
from soundbite.insight.summary import SummaryRequest
from soundbite.insight.titles import TitleRequest

log = logging.getLogger(__name__)

MAX_REASON = 80  # characters: the reason is a line under a suggestion's title
MAX_CLIP_TITLE = 80  # as highlights._title shortens the lexical one
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReasonRequest:
    """What a writer is told about one highlight."""

    text: str  # the highlight's words
    lexical: str  # the reason the scoring gave ("strong claim about show notes")


class Writer(Protocol):
    """Each method returns the text, or None to keep the lexical one."""

    def title(self, request: TitleRequest) -> str | None: ...

    def summary(self, request: SummaryRequest) -> str | None: ...

    def reason(self, request: ReasonRequest) -> str | None: ...

    def clip_title(self, text: str) -> str | None: ...


def written_highlights(highlights: Sequence[Highlight], writer: Writer | None) -> list[Highlight]:
    """The highlights, each with the writer's reason and clip title where it gave usable
    ones (a highlight's title is the title "clip this" gives the clip)."""
    if writer is None:
        return list(highlights)
    return [
        replace(
            h,
            reason=_usable(writer.reason, ReasonRequest(text=h.text, lexical=h.reason), MAX_REASON)
            or h.reason,
            title=_usable(writer.clip_title, h.text, MAX_CLIP_TITLE) or h.title,
        )
        for h in highlights
    ]


def _usable(write: Callable[[T], str | None], request: T, limit: int) -> str | None:
    try:
        text = write(request)
    except Exception:  # optional help: a failure costs the better text only
        log.warning("the writer failed on a highlight; keeping the lexical text", exc_info=True)
        return None
    text = " ".join((text or "").split())
    return text if 0 < len(text) <= limit else None
