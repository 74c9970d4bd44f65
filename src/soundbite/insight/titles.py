"""Chapter titles: short noun phrases a creator would write, not pairs of keywords.

A chapter is named by the noun phrases it says most and that are most its own: each phrase
scores by how often the chapter says its words, how specific those words are to this chapter
(see keywords.topic_weights), and how often the phrase is said whole. The title is the best
phrase, joined with the second by "and" when both are strong and the two fit in 40 characters
("Drug approval and the FDA" reads as "Drug approval and FDA").

With sentence vectors (the ``semantic`` extra), the title is instead the one of those phrases
(the chapter's best few, one per idea) whose own vector lies closest to the chapter's mean
sentence vector: the phrase that says what the whole chapter is about, not the one it repeats
most. It stays a single short noun phrase.

The lexical title is always made. A :class:`TitleWriter` (a language model behind an endpoint,
say) may write a better one from the same request; when there is none, it fails or it answers
something unusable (empty, too long, several lines), the lexical title stands.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from soundbite.insight.embeddings import Vectors, embed
from soundbite.insight.keywords import MAX_TITLE, Phrase, distinct, key_phrases, topic_weights
from soundbite.insight.phrases import noun_phrases, tails
from soundbite.insight.sentences import Sentence
from soundbite.insight.summary import key_sentences

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TitleRequest:
    """What a title writer is told about one chapter."""

    text: str  # the chapter's words as said
    phrases: tuple[str, ...]  # its best noun phrases, best first
    lexical: str  # the title the lexical method wrote
    position: int  # 0-based, of `count` chapters
    count: int
    key: tuple[str, ...] = ()  # its key sentences (summary.key_sentences): a short prompt


class TitleWriter(Protocol):
    """Writes one title; None (or raising) leaves the lexical title in place."""

    def __call__(self, request: TitleRequest) -> str | None: ...


def ranked_phrases(
    sentences: Sequence[Sentence], ranges: Sequence[tuple[int, int]], limit: int = 6
) -> list[list[Phrase]]:
    """For each range, its noun phrases, best first, one per idea."""
    out = []
    for (a, b), weights in zip(ranges, topic_weights(sentences, ranges), strict=True):
        part = sentences[a:b]
        tf = Counter(t for s in part for t in s.terms)
        said: Counter[tuple[str, ...]] = Counter()
        forms: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for whole in noun_phrases(" ".join(s.text for s in part)):
            for phrase in [whole, *tails(whole)]:
                said[phrase.key] += 1
                forms[phrase.key][phrase.text] += 1
        scored = [
            Phrase(key, forms[key].most_common(1)[0][0], _score(key, n, tf, weights))
            for key, n in said.items()
        ]
        scored.sort(key=lambda p: (-p.score, p.text))
        out.append(distinct([p for p in scored if p.score > 0], limit))
    return out


def _score(key: tuple[str, ...], said: int, tf: Counter[str], weights: dict[str, float]) -> float:
    """Mean weighted frequency of the words, more for a longer phrase and one said whole."""
    mean = sum(tf[t] * weights.get(t, 0.0) for t in key) / len(key)
    return mean * (1 + 0.5 * (len(key) - 1)) * (1 + math.log(said))


def lexical_title(phrases: Sequence[Phrase]) -> str:
    """The best phrase, a several-word one when it scores at least half as well ("Drug
    approval" over "Drugs"), and the next best other idea after "and" when it is nearly as
    strong."""
    if not phrases:
        return ""
    top = phrases[0]
    first = next((p for p in phrases if len(p.key) > 1 and p.score >= 0.5 * top.score), top)
    others = [p for p in phrases[:4] if p is not first and not set(p.key) & set(first.key)]
    title = first.text
    if others and others[0].score >= 0.6 * first.score:
        pair = sorted([first, others[0]], key=lambda p: -p.score)
        joined = f"{pair[0].text} and {pair[1].text}"
        if len(joined) <= MAX_TITLE:
            title = joined
    return _capitalised(title)


def _capitalised(title: str) -> str:
    title = title[:MAX_TITLE].rstrip()
    return title[:1].upper() + title[1:]


def central_phrases(
    sentences: Sequence[Sentence],
    ranges: Sequence[tuple[int, int]],
    ranked: Sequence[Sequence[Phrase]],
    vectors: Vectors,
) -> list[Phrase | None]:
    """For each range, the phrase of `ranked` closest to the range's mean sentence vector
    (weighted by words), None when it has no phrase."""
    texts = sorted({p.text for phrases in ranked for p in phrases})
    if not texts:
        return [None] * len(ranges)
    phrase_vectors = dict(zip(texts, embed(texts), strict=True))
    words = np.array([s.n_words for s in sentences], dtype=np.float32)
    out: list[Phrase | None] = []
    for (a, b), phrases in zip(ranges, ranked, strict=True):
        centroid = words[a:b] @ vectors[a:b]
        out.append(
            max(phrases, key=lambda p: float(phrase_vectors[p.text] @ centroid), default=None)
        )
    return out


def chapter_titles(
    sentences: Sequence[Sentence],
    ranges: Sequence[tuple[int, int]],
    writer: TitleWriter | None = None,
    vectors: Vectors | None = None,
) -> list[str]:
    """A title for each range of sentences; `vectors` (one per sentence, unit length) choose
    the central phrase rather than the most said."""
    titles = []
    keys = key_sentences(sentences, ranges) if writer is not None else [[] for _ in ranges]
    ranked = ranked_phrases(sentences, ranges)
    central = (
        central_phrases(sentences, ranges, ranked, vectors)
        if vectors is not None
        else [None] * len(ranges)
    )
    for n, ((a, b), phrases, centre) in enumerate(zip(ranges, ranked, central, strict=True)):
        lexical = (
            _capitalised(centre.text)
            if centre
            else lexical_title(phrases) or _keyword_title(sentences[a:b])
        )
        request = TitleRequest(
            text=" ".join(s.text for s in sentences[a:b]),
            phrases=tuple(p.text for p in phrases),
            lexical=lexical,
            position=n,
            count=len(ranges),
            key=tuple(sentences[i].text for i in keys[n]),
        )
        titles.append(_written(writer, request) or lexical)
    return titles


def _keyword_title(sentences: Sequence[Sentence]) -> str:
    """When no noun phrase will do (a run of numbers, a list): the best key phrase alone."""
    best = key_phrases(sentences, topic_weights(sentences, [(0, len(sentences))])[0], limit=1)
    return best[0].text[:1].upper() + best[0].text[1:MAX_TITLE] if best else ""


def _written(writer: TitleWriter | None, request: TitleRequest) -> str | None:
    if writer is None:
        return None
    try:
        title = writer(request)
    except Exception:  # a writer is optional help: its failure costs the better title only
        log.warning("the title writer failed; keeping %r", request.lexical, exc_info=True)
        return None
    if not title:
        return None
    title = title.strip().strip("\"'").strip()
    if not title or "\n" in title or len(title) > MAX_TITLE:
        return None
    return title
