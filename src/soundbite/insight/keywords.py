"""Key phrases and short titles, taken from what was said (extractive, no language model).

Candidates are runs of one to three content words inside a sentence, never across punctuation
or a stopword ("show notes", "podcast intro", "Joe Rogan"), which is how RAKE finds phrases.
A phrase scores by how often the topic says it and how specific its words are to this part of
the episode (IDF over the episode's sentences), with a bonus for longer phrases because
"social media post" names a topic better than "post". A title is the best phrase, and the
second best too when both fit in 40 characters and say different things.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from soundbite.insight.sentences import Sentence
from soundbite.insight.text import is_content, stem, tokens
from soundbite.insight.topics import Topic, idf_weights

MAX_TITLE = 40
_BREAKS = (",", ".", "?", "!", ";", ":", "…", "—", "–")


@dataclass(frozen=True, slots=True)
class Phrase:
    key: tuple[str, ...]  # stemmed terms
    text: str  # how it was said, for display
    score: float


def _content_word(word: str) -> str | None:
    """The stemmed term of a word that is one content token ("podcast's" -> "podcast")."""
    toks = [t for t in tokens(word) if len(t) > 1]
    if len(toks) != 1 or not is_content(toks[0]):
        return None
    return stem(toks[0])


def _surface(word: str) -> str:
    return word.strip("\"'()[]{}«»“”‘’.,?!;:…—–-")


def _runs(sentence: Sentence) -> list[list[tuple[str, str, bool]]]:
    """Maximal runs of (term, surface, sentence-initial) content words."""
    runs: list[list[tuple[str, str, bool]]] = [[]]
    for i, word in enumerate(sentence.text.split()):
        term = _content_word(word)
        if term is None:
            runs.append([])
            continue
        runs[-1].append((term, _surface(word), i == 0))
        if word.endswith(_BREAKS):
            runs.append([])
    return [r for r in runs if r]


def topic_weights(
    sentences: Sequence[Sentence], ranges: Sequence[tuple[int, int]]
) -> list[dict[str, float]]:
    """Per topic, how specific each term is to it: sentence-level IDF over the episode times
    the term's IDF over topics, so a word of every topic ("podcast") names none of them."""
    sentence_idf = idf_weights(sentences)
    topic_terms = [{t for s in sentences[a:b] for t in s.terms} for a, b in ranges]
    df: Counter[str] = Counter(t for terms in topic_terms for t in terms)
    n = len(ranges)
    norm = math.log(1 + n)
    return [
        {t: sentence_idf.get(t, 0.0) * math.log(1 + n / df[t]) / norm for t in terms}
        for terms in topic_terms
    ]


def key_phrases(
    sentences: Sequence[Sentence], weights: dict[str, float], limit: int = 8, min_count: int = 1
) -> list[Phrase]:
    counts: Counter[tuple[str, ...]] = Counter()
    forms: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for sentence in sentences:
        for run in _runs(sentence):
            for size in (1, 2, 3):
                for i in range(len(run) - size + 1):
                    part = run[i : i + size]
                    key = tuple(term for term, _, _ in part)
                    if len(set(key)) < size:
                        continue
                    counts[key] += 1
                    forms[key][" ".join(_display(s, initial) for _, s, initial in part)] += 1
    scored = []
    for key, n in counts.items():
        if n < min_count or (len(key) > 1 and n < 2):
            continue  # a multi-word phrase said once is usually an accident of wording
        specificity = sum(weights.get(t, 0.0) for t in key) / len(key)
        scored.append(Phrase(key, forms[key].most_common(1)[0][0], n * specificity * _bonus(key)))
    scored.sort(key=lambda p: (-p.score, p.text))
    return distinct(scored, limit)


def _display(surface: str, initial: bool) -> str:
    if len(surface) > 1 and surface.isupper():
        return surface  # an acronym: RSS, HTML
    # a capital at the start of a sentence says nothing; elsewhere it marks a name
    return surface.lower() if initial or not surface[:1].isupper() else surface


def _bonus(key: tuple[str, ...]) -> float:
    return 1.0 + 0.6 * (len(key) - 1)


def distinct(phrases: list[Phrase], limit: int) -> list[Phrase]:
    """One phrase per idea: "show notes" takes the place of "notes" when it scores at least
    half as well, and a phrase inside a better one is dropped."""
    kept: list[Phrase] = []
    for p in phrases:
        terms = set(p.key)
        if any(terms <= set(k.key) for k in kept):
            continue
        narrower = [i for i, k in enumerate(kept) if set(k.key) < terms]
        if not narrower:
            kept.append(p)
        elif all(p.score >= 0.5 * kept[i].score for i in narrower):
            kept[narrower[0]] = p
            kept = [k for i, k in enumerate(kept) if i not in narrower[1:]]
    return kept[:limit]


def make_title(phrases: Sequence[Phrase]) -> str:
    """The best phrase, preferring a several-word one that scores at least 40 % as well
    ("Podcast intro" over "Care"), plus a second phrase when both fit."""
    usable = [p for p in phrases if not any(t.endswith("ly") for t in p.key)] or list(phrases)
    if not usable:
        return ""
    multi = next((p for p in usable if len(p.key) > 1), None)
    first = multi if multi is not None and multi.score >= 0.4 * usable[0].score else usable[0]
    title = first.text
    second = next((p for p in usable if not set(p.key) & set(first.key)), None)
    if second is not None and len(title) < 20 and len(title) + 2 + len(second.text) <= MAX_TITLE:
        title = f"{title}, {second.text}"
    title = title[:MAX_TITLE].rstrip()
    return title[:1].upper() + title[1:]


def describe_topics(
    sentences: Sequence[Sentence],
    ranges: Sequence[tuple[int, int]],
    keywords: int = 6,
    titles: Sequence[str] | None = None,
) -> list[Topic]:
    """Titles and keywords for sentence ranges; topics tile the episode without gaps.

    `titles` (see titles.py) replace the keyword titles where given and not empty."""
    topics = []
    weights = topic_weights(sentences, ranges)
    for n, ((a, b), w) in enumerate(zip(ranges, weights, strict=True)):
        phrases = key_phrases(sentences[a:b], w, limit=keywords)
        end = (
            sentences[ranges[n + 1][0]].start_ms if n + 1 < len(ranges) else sentences[b - 1].end_ms
        )
        topics.append(
            Topic(
                first_sentence=a,
                end_sentence=b,
                start_ms=sentences[a].start_ms,
                end_ms=end,
                title=(titles[n] if titles and titles[n] else make_title(phrases)),
                keywords=tuple(p.text for p in phrases),
                weights=w,
            )
        )
    return topics
