"""Sentences from timed words: the unit that topics, highlights and search units snap to.

Whisper punctuates, so a sentence usually ends at ".", "?" or "!". Transcripts without
punctuation (LibriSpeech-style references, some publisher files) still pause between
sentences, so a long gap between two words also ends one; and a run-on is cut at its longest
internal pause once it passes ``max_words``, so no sentence outgrows a highlight.

Publisher transcripts may have no word timings at all (SRT cues); :func:`timed_words` spreads
each cue's words evenly over the cue, which is what a player highlighting them would do.
"""

from __future__ import annotations

from dataclasses import dataclass

from soundbite.domain.transcript import CLOSERS, Transcript, Word, ends_sentence
from soundbite.insight.text import content_terms


@dataclass(frozen=True, slots=True)
class SentenceOptions:
    pause_ms: int = 1500  # a silence this long ends a sentence even without punctuation
    max_words: int = 60  # ~25 s of speech: longer runs are cut at their longest pause


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    first_word: int  # index into the episode's word list
    end_word: int  # exclusive
    start_ms: int
    end_ms: int
    text: str
    terms: tuple[str, ...]  # content terms (see insight.text)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def n_words(self) -> int:
        return self.end_word - self.first_word

    @property
    def is_question(self) -> bool:
        """A real question: not "Right?" nor a tag on a statement ("…, right?")."""
        text = self.text.rstrip(CLOSERS)
        if not text.endswith("?") or self.n_words < 4:
            return False
        tail = text.rsplit(",", 1)[-1].split()
        return "," not in text or len(tail) > 2


def timed_words(transcript: Transcript) -> list[Word]:
    """Every word with a time, spreading untimed segments' words evenly over the segment."""
    words: list[Word] = []
    for seg in transcript.segments:
        if seg.words:
            words.extend(w for w in seg.words if w.text.strip())
            continue
        parts = seg.text.split()
        span = max(seg.end_ms - seg.start_ms, len(parts))
        for i, part in enumerate(parts):
            start = seg.start_ms + span * i // len(parts)
            end = seg.start_ms + span * (i + 1) // len(parts)
            words.append(Word(start, end, part))
    return words


def split_sentences(words: list[Word], options: SentenceOptions | None = None) -> list[Sentence]:
    opts = options or SentenceOptions()
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        last = i + 1 == len(words)
        gap = 0 if last else words[i + 1].start_ms - word.end_ms
        if last or ends_sentence(word.text) or gap >= opts.pause_ms:
            bounds.extend(_cap(words, start, i + 1, opts.max_words))
            start = i + 1
    return [_sentence(words, n, a, b) for n, (a, b) in enumerate(bounds)]


def _cap(words: list[Word], start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut a run-on at its longest pause (ties: a comma), recursively, until parts fit."""
    if end - start <= max_words:
        return [(start, end)]
    lo, hi = start + max_words // 4, end - max_words // 4

    def gap_after(i: int) -> tuple[int, bool]:
        return words[i + 1].start_ms - words[i].end_ms, words[i].text.endswith((",", ";", ":"))

    cut = max(range(lo, hi), key=gap_after) + 1
    return _cap(words, start, cut, max_words) + _cap(words, cut, end, max_words)


def _sentence(words: list[Word], index: int, a: int, b: int) -> Sentence:
    text = " ".join(w.text.strip() for w in words[a:b])
    return Sentence(
        index=index,
        first_word=a,
        end_word=b,
        start_ms=words[a].start_ms,
        end_ms=max(words[b - 1].end_ms, words[a].start_ms),
        text=text,
        terms=tuple(content_terms(text)),
    )
