"""A transcript as plain data: segments of words, every time in integer milliseconds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Word:
    start_ms: int
    end_ms: int
    text: str  # as spoken, without surrounding whitespace
    probability: float | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Transcript:
    language: str | None
    segments: tuple[Segment, ...]
    # "whisper:<model>" for our own, "publisher" for one imported from a feed or file
    source: str = "whisper"
    # False while the transcribe stage is still adding segments: the start of the episode only
    complete: bool = True

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def has_word_timings(self) -> bool:
        return any(s.words for s in self.segments)


# What ends a sentence in a transcript: captions, display segments and the analysis all cut
# at the same marks (CJK full-width ones included), past closing quotes and brackets, but not
# after a common abbreviation ("Dr. Smith").
SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
CLOSERS = "\"')]}»”’"
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "st", "vs", "jr", "sr",
        "mt", "no", "fig", "e.g", "i.e", "approx",
    }
)  # fmt: skip


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip(CLOSERS)
    if not stripped.endswith(SENTENCE_END):
        return False
    return stripped.rstrip(".").lower() not in _ABBREVIATIONS


def word_spans(text: str, words: Sequence[Word]) -> list[tuple[int, int]] | None:
    """Where each word sits in the segment's text, or None if the text does not spell them in
    order. Cues and clip text cut the text there, keeping its spacing (some languages use none)."""
    spans, cursor = [], 0
    for word in words:
        at = text.find(word.text, cursor)
        if at < 0:
            return None
        cursor = at + len(word.text)
        spans.append((at, cursor))
    return spans
