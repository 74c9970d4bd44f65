"""Search index units: ~30 s of whole sentences, with the time of every word inside.

Why this unit: BM25 needs documents of similar length, a hit should land the listener on a
moment rather than an episode, and ~30 s is what one clips. Units end at sentence ends (so a
phrase is rarely cut in two) and at topic changes (so the topic keywords indexed beside a unit
describe all of it).

A unit stores its words and their times, copied from transcript_words at index time, so a hit
is timed to the word without a second query: ``times`` holds "start,end" per word relative to
the unit start, and a leading "^" marks a word that starts a sentence (to suggest a clip of
whole sentences around a match). Tokens are recomputed from the words at query time with the
same tokenizer the index was fed, which is what makes the match positions exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from soundbite.domain.transcript import Word
from soundbite.insight.sentences import Sentence
from soundbite.insight.text import tokens


@dataclass(frozen=True, slots=True)
class UnitOptions:
    target_ms: int = 30_000
    max_ms: int = 45_000
    min_ms: int = 10_000  # a topic change cuts a unit only once it is this long


@dataclass(frozen=True, slots=True)
class Unit:
    position: int
    start_ms: int
    end_ms: int
    words: str
    times: str
    terms: str
    context: str

    @property
    def n_terms(self) -> int:
        return self.terms.count(" ") + 1 if self.terms else 0

    @property
    def n_context(self) -> int:
        return self.context.count(" ") + 1 if self.context else 0


@dataclass(frozen=True, slots=True)
class UnitWords:
    """A unit's words decoded, with the token -> word mapping of its terms."""

    words: list[str]
    starts: list[int]  # absolute ms
    ends: list[int]
    sentence_starts: list[bool]
    tokens: list[str]
    token_word: list[int]


def build_units(
    words: Sequence[Word],
    sentences: Sequence[Sentence],
    topic_starts: Sequence[int] = (),
    contexts: Sequence[str] = (),
    options: UnitOptions | None = None,
) -> list[Unit]:
    """Group sentences into units. `topic_starts` are sentence indexes where topics begin,
    `contexts` the text (title, keywords) of each topic."""
    opts = options or UnitOptions()
    starts = set(topic_starts)
    groups: list[list[Sentence]] = []
    for s in sentences:
        current = groups[-1] if groups else None
        length = current[-1].end_ms - current[0].start_ms if current else 0
        if (
            current is None
            or (s.index in starts and length >= opts.min_ms)
            or length >= opts.target_ms
            or s.end_ms - current[0].start_ms > opts.max_ms
        ):
            groups.append([s])
        else:
            current.append(s)
    topic_of = _topic_index(sentences, topic_starts)
    units = []
    for position, group in enumerate(groups):
        context = contexts[topic_of[group[0].index]] if contexts else ""
        units.append(_unit(position, words, group, context))
    return units


def _topic_index(sentences: Sequence[Sentence], topic_starts: Sequence[int]) -> list[int]:
    starts = sorted(set(topic_starts) - {0})
    out, topic = [], 0
    for s in sentences:
        while topic < len(starts) and s.index >= starts[topic]:
            topic += 1
        out.append(topic)
    return out


def _unit(position: int, words: Sequence[Word], group: list[Sentence], context: str) -> Unit:
    start = group[0].start_ms
    first_words = {s.first_word for s in group}
    texts, times, toks = [], [], []
    for i in range(group[0].first_word, group[-1].end_word):
        w = words[i]
        texts.append("\u00a0".join(w.text.split()) or "\u00a0")
        mark = "^" if i in first_words else ""
        times.append(f"{mark}{w.start_ms - start},{max(w.end_ms, w.start_ms) - start}")
        toks.extend(tokens(w.text))
    return Unit(
        position=position,
        start_ms=start,
        end_ms=group[-1].end_ms,
        words=" ".join(texts),
        times=" ".join(times),
        terms=" ".join(toks),
        context=" ".join(dict.fromkeys(tokens(context))),
    )


def decode(start_ms: int, words: str, times: str) -> UnitWords:
    texts = words.split(" ")
    starts, ends, marks = [], [], []
    for item in times.split(" "):
        marks.append(item.startswith("^"))
        a, b = item.lstrip("^").split(",")
        starts.append(start_ms + int(a))
        ends.append(start_ms + int(b))
    toks: list[str] = []
    token_word: list[int] = []
    for i, text in enumerate(texts):
        for t in tokens(text):
            toks.append(t)
            token_word.append(i)
    return UnitWords(texts, starts, ends, marks, toks, token_word)
