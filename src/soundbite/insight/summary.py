"""A one-paragraph summary of an episode, and the key sentences it (and a language model) is
written from.

A chapter's key sentences are the ones that say most of what is specific to it: the sum of
their terms' chapter weights (keywords.topic_weights), divided by the square root of their
length so that a long ramble does not win by size alone. Sentences that lean on the one before
("And so ...", "But that ...") or ask a question read badly alone, so they count half, and a
fragment (no capital at the start or no full stop at the end: cut at a pause) a third.

The lexical summary is extractive: the best key sentence of each chapter, the strongest
chapters first until about ``max_chars``, put back in the order they were said. A
:class:`SummaryWriter` (a language model) may write a better one from the chapter titles and
the same key sentences; whatever it answers that is unusable leaves the lexical one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from soundbite.insight.keywords import topic_weights
from soundbite.insight.sentences import Sentence
from soundbite.insight.stopwords import DANGLING_OPENERS
from soundbite.insight.text import tokens

log = logging.getLogger(__name__)

MAX_SUMMARY = 600  # characters: a paragraph an episode page shows whole
_MIN_WORDS, _MAX_WORDS = 6, 45  # a key sentence says something and can be read at a glance


@dataclass(frozen=True, slots=True)
class SummaryRequest:
    """What a summary writer is told: each chapter's title and key sentences, in order."""

    chapters: tuple[tuple[str, tuple[str, ...]], ...]
    lexical: str


class SummaryWriter(Protocol):
    """Writes the paragraph; None (or raising) leaves the lexical summary in place."""

    def __call__(self, request: SummaryRequest) -> str | None: ...


def key_sentences(
    sentences: Sequence[Sentence], ranges: Sequence[tuple[int, int]], per_range: int = 3
) -> list[list[int]]:
    """For each range, the indices of its best `per_range` key sentences, in spoken order."""
    out = []
    for (a, b), weights in zip(ranges, topic_weights(sentences, ranges), strict=True):
        scored = [(_salience(sentences[i], weights), i) for i in range(a, b)]
        best = sorted(scored, key=lambda x: (-x[0], x[1]))[:per_range]
        out.append(sorted(i for score, i in best if score > 0))
    return out


def _salience(sentence: Sentence, weights: dict[str, float]) -> float:
    n = len(sentence.text.split())
    if not _MIN_WORDS <= n <= _MAX_WORDS or not sentence.terms:
        return 0.0
    score = sum(weights.get(t, 0.0) for t in set(sentence.terms)) / math.sqrt(len(sentence.terms))
    first = tokens(sentence.text)[:1]
    if sentence.is_question or (first and first[0] in DANGLING_OPENERS):
        score /= 2
    text = sentence.text.strip()
    if not text[:1].isupper() or not text.endswith((".", "!", "…")):
        score /= 3  # a fragment the sentence splitter cut at a pause: it reads badly alone
    return score


def lexical_summary(
    sentences: Sequence[Sentence], keys: Sequence[Sequence[int]], max_chars: int = MAX_SUMMARY
) -> str:
    """The best key sentence of each chapter, strongest chapters first while they fit, in
    spoken order; at least one sentence whatever its length."""
    firsts = [k[0] for k in keys if k]
    if not firsts:
        return ""
    # a chapter's strongest sentence is the one with most content terms among its keys
    ranked = sorted(firsts, key=lambda i: -len(sentences[i].terms))
    chosen: list[int] = []
    used = 0
    for i in ranked:
        size = len(sentences[i].text) + 1
        if chosen and used + size > max_chars:
            continue
        chosen.append(i)
        used += size
    text = " ".join(sentences[i].text.strip() for i in sorted(chosen))
    return text if len(text) <= max_chars else text[: max_chars - 1].rsplit(" ", 1)[0] + "…"


def summarize(
    sentences: Sequence[Sentence],
    ranges: Sequence[tuple[int, int]],
    titles: Sequence[str],
    writer: SummaryWriter | None = None,
) -> tuple[str, str]:
    """(the summary, who wrote it: "model" or "transcript")."""
    keys = key_sentences(sentences, ranges)
    lexical = lexical_summary(sentences, keys)
    if writer is None or not lexical:
        return lexical, "transcript"
    request = SummaryRequest(
        chapters=tuple(
            (title, tuple(sentences[i].text for i in k))
            for title, k in zip(titles, keys, strict=True)
        ),
        lexical=lexical,
    )
    try:
        written = writer(request)
    except Exception:  # the writer is optional help: its failure costs the better summary only
        log.warning("the summary writer failed; keeping the extractive summary", exc_info=True)
        return lexical, "transcript"
    written = " ".join((written or "").split())
    if not written or len(written) > MAX_SUMMARY:
        return lexical, "transcript"
    return written, "model"
