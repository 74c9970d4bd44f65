"""A transcript as plain data: segments of words, every time in integer milliseconds."""

from __future__ import annotations

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
