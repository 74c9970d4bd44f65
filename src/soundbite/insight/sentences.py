"""Sentences from timed words: the unit that topics, highlights and search units snap to.

Whisper punctuates, so a sentence usually ends at ".", "?" or "!". Transcripts without
punctuation (LibriSpeech-style references, some publisher files) still pause between
sentences, so a long gap between two words also ends one; and a run-on is cut at its longest
internal pause once it passes ``max_words``, so no sentence outgrows a highlight.

Auto-captions have no punctuation at all, and pauses alone find few of their sentences (a
breath between two sentences is often shorter than one inside a sentence). When a transcript
has (almost) no sentence ends, :mod:`insight.boundaries` restores them from the words, the
pauses and the changes of speaker, and the restored sentences get a capital and a full stop.

Publisher transcripts may have no word timings at all (SRT cues); :func:`timed_words` spreads
each cue's words evenly over the cue, which is what a player highlighting them would do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from soundbite.domain.transcript import CLOSERS, Transcript, Word, ends_sentence
from soundbite.insight.boundaries import (
    dress,
    gap_scores,
    lacks_punctuation,
    probability,
    restore_ends,
)
from soundbite.insight.text import content_terms


@dataclass(frozen=True, slots=True)
class SentenceOptions:
    pause_ms: int = 1500  # a silence this long ends a sentence even without punctuation
    max_words: int = 60  # ~25 s of speech: longer runs are cut at their longest pause
    restore: bool = True  # restore sentence ends when the transcript has no punctuation


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    first_word: int  # index into the episode's word list
    end_word: int  # exclusive
    start_ms: int
    end_ms: int
    text: str
    terms: tuple[str, ...]  # content terms (see insight.text)
    # how sure it is that a sentence starts (ends) here: 1 where punctuation or a long pause
    # says so, the model's probability where the sentence ends were restored
    start_p: float = 1.0
    end_p: float = 1.0

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


def word_speakers(transcript: Transcript) -> list[str | None] | None:
    """The speaker of each of :func:`timed_words`' words, or None when no segment names one."""
    if not any(seg.speaker for seg in transcript.segments):
        return None
    speakers: list[str | None] = []
    for seg in transcript.segments:
        n = sum(1 for w in seg.words if w.text.strip()) if seg.words else len(seg.text.split())
        speakers.extend([seg.speaker] * n)
    return speakers


def split_sentences(
    words: list[Word],
    options: SentenceOptions | None = None,
    speakers: Sequence[str | None] | None = None,
) -> list[Sentence]:
    """`speakers`, one per word, lets a change of speaker end a restored sentence."""
    opts = options or SentenceOptions()
    if opts.restore and lacks_punctuation(words):
        return _restored(words, speakers, opts)
    bounds: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        last = i + 1 == len(words)
        gap = 0 if last else words[i + 1].start_ms - word.end_ms
        if last or ends_sentence(word.text) or gap >= opts.pause_ms:
            bounds.extend(_cap(words, start, i + 1, opts.max_words))
            start = i + 1
    return [_sentence(words, n, a, b) for n, (a, b) in enumerate(bounds)]


def _restored(
    words: list[Word], speakers: Sequence[str | None] | None, opts: SentenceOptions
) -> list[Sentence]:
    scores = gap_scores(words, speakers)
    sure = [1.0, *(probability(x) for x in scores), 1.0]  # before the first, after the last
    ends = restore_ends(words, speakers, opts.max_words, scores=scores)
    out = []
    starts = [0, *(e + 1 for e in ends[:-1])]
    for n, (a, b) in enumerate(zip(starts, [e + 1 for e in ends], strict=True)):
        sentence = _sentence(words, n, a, b, restored=True)
        out.append(replace(sentence, start_p=sure[a], end_p=sure[b]))
    return out


def _cap(words: list[Word], start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """Cut a run-on at its longest pause (ties: a comma, then the earliest), again and again
    until the parts fit. A loop, not recursion: a long caption file with no pauses at all
    would cut 15 words at a time and pass Python's recursion limit."""
    out: list[tuple[int, int]] = []
    todo = [(start, end)]
    while todo:
        a, b = todo.pop()
        if b - a <= max_words:
            out.append((a, b))
            continue
        lo, hi = a + max_words // 4, b - max_words // 4

        def gap_after(i: int) -> tuple[int, bool]:
            gap = words[i + 1].start_ms - words[i].end_ms
            return gap, words[i].text.endswith((",", ";", ":"))

        cut = max(range(lo, hi), key=gap_after) + 1
        todo += [(cut, b), (a, cut)]  # the first part is popped (and emitted) first
    return out


def _sentence(words: list[Word], index: int, a: int, b: int, restored: bool = False) -> Sentence:
    text = " ".join(w.text.strip() for w in words[a:b])
    if restored:
        text = dress(text)
    return Sentence(
        index=index,
        first_word=a,
        end_word=b,
        start_ms=words[a].start_ms,
        end_ms=max(words[b - 1].end_ms, words[a].start_ms),
        text=text,
        terms=tuple(content_terms(text)),
    )
