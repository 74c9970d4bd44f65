"""Topical segmentation: where an episode moves from one subject to the next.

The method is TextTiling (Hearst 1997) with three changes that matter for speech:

- blocks are counted in *content terms* (stopwords and fillers removed, plurals folded) rather
  than raw tokens, so "you know, like, um" does not dilute a block, and terms are weighted by
  TF-IDF within the episode, so a word said everywhere ("podcast" in a podcast about podcasts)
  carries no cohesion signal;
- boundaries exist only between sentences, so a chapter never starts mid-sentence;
- cues a listener hears add to a gap's depth: a long pause, a change of speaker, a
  discourse marker opening the next sentence ("so let's talk about", "moving on").

Selection is greedy by depth with a minimum topic length, so no chapter is shorter than
``min_topic_ms``; the cutoff is TextTiling's "mean minus half a standard deviation" of the
depths at local minima. bench/segmentation.py measures it against plain TextTiling.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from soundbite.insight.sentences import Sentence
from soundbite.insight.text import tokens

_MARKERS = (
    ("so", "let"),
    ("let", "s", "talk"),
    ("moving", "on"),
    ("next",),
    ("now",),
    ("all", "right"),
    ("alright",),
    ("okay", "so"),
    ("ok", "so"),
    ("the", "next"),
    ("another",),
    ("finally",),
)


@dataclass(frozen=True, slots=True)
class TopicOptions:
    block_terms: int = 40  # content terms compared on each side of a gap (~1 min of speech)
    min_topic_ms: int = 45_000
    cutoff_sd: float = 0.5  # boundary when depth > mean - cutoff_sd * sd (TextTiling "LC")
    pause_ms: int = 1500  # a silence at least this long before a sentence is a cue
    cue_weight: float = 0.08  # depth added per cue (depths range 0..2)


@dataclass(frozen=True, slots=True, eq=False)
class Topic:
    first_sentence: int
    end_sentence: int  # exclusive
    start_ms: int
    end_ms: int
    title: str  # <= 40 characters, extractive
    keywords: tuple[str, ...]
    weights: dict[str, float]  # how specific each term is to this topic (see keywords.py)


def idf_weights(sentences: Sequence[Sentence]) -> dict[str, float]:
    """log(N / df) over the episode's sentences: 0 for a term in every sentence."""
    df: Counter[str] = Counter()
    for sentence in sentences:
        df.update(set(sentence.terms))
    n = max(len(sentences), 1)
    return {term: math.log(n / count) for term, count in df.items()}


def gap_similarities(
    sentences: Sequence[Sentence], idf: dict[str, float], block: int
) -> list[float]:
    """Cosine similarity of the TF-IDF vectors of `block` terms either side of each gap.

    Entry i is the gap before sentence i + 1.
    """
    flat = [t for s in sentences for t in s.terms]
    offsets = [0]
    for s in sentences:
        offsets.append(offsets[-1] + len(s.terms))
    sims = []
    for i in range(1, len(sentences)):
        cut = offsets[i]
        left = Counter(flat[max(0, cut - block) : cut])
        right = Counter(flat[cut : cut + block])
        sims.append(_cosine(left, right, idf))
    return sims


def _cosine(a: Counter[str], b: Counter[str], idf: dict[str, float]) -> float:
    dot = sum(n * b[t] * idf.get(t, 0.0) ** 2 for t, n in a.items() if t in b)
    if dot == 0:
        return 0.0
    na = math.sqrt(sum((n * idf.get(t, 0.0)) ** 2 for t, n in a.items()))
    nb = math.sqrt(sum((n * idf.get(t, 0.0)) ** 2 for t, n in b.items()))
    return dot / (na * nb) if na and nb else 0.0


def depth_scores(sims: Sequence[float]) -> list[float]:
    """How deep each gap lies below the highest similarity reachable uphill on both sides."""
    depths = []
    for i, s in enumerate(sims):
        left = right = s
        j = i
        while j > 0 and sims[j - 1] >= left:
            j -= 1
            left = sims[j]
        j = i
        while j + 1 < len(sims) and sims[j + 1] >= right:
            j += 1
            right = sims[j]
        depths.append((left - s) + (right - s))
    return depths


def _smooth(values: Sequence[float]) -> list[float]:
    """A [1, 2, 1] moving average: one noisy sentence should not make a valley."""
    if len(values) < 3:
        return list(values)
    out = [(2 * values[0] + values[1]) / 3]
    for i in range(1, len(values) - 1):
        out.append((values[i - 1] + 2 * values[i] + values[i + 1]) / 4)
    out.append((values[-2] + 2 * values[-1]) / 3)
    return out


def cue_counts(
    sentences: Sequence[Sentence], speakers: Sequence[str | None] | None, pause_ms: int
) -> list[int]:
    """Cues at the gap before each sentence after the first (pause, speaker, marker)."""
    cues = []
    for i in range(1, len(sentences)):
        n = 0
        if sentences[i].start_ms - sentences[i - 1].end_ms >= pause_ms:
            n += 1
        if speakers and speakers[i] and speakers[i] != speakers[i - 1]:
            n += 1
        opening = tuple(tokens(sentences[i].text)[:3])
        if any(opening[: len(m)] == m for m in _MARKERS):
            n += 1
        cues.append(n)
    return cues


def segment(
    sentences: Sequence[Sentence],
    options: TopicOptions | None = None,
    speakers: Sequence[str | None] | None = None,
) -> list[tuple[int, int]]:
    """Sentence ranges [start, end) of the topics, covering every sentence in order."""
    opts = options or TopicOptions()
    n = len(sentences)
    if n < 3:
        return [(0, n)] if n else []
    sims = _smooth(gap_similarities(sentences, idf_weights(sentences), opts.block_terms))
    depths = depth_scores(sims)
    cues = cue_counts(sentences, speakers, opts.pause_ms)
    minima = [
        i
        for i in range(len(sims))
        if (i == 0 or sims[i] <= sims[i - 1]) and (i + 1 == len(sims) or sims[i] <= sims[i + 1])
    ]
    if not minima:
        return [(0, n)]
    valley = [depths[i] for i in minima]
    spread = statistics.pstdev(valley) if len(valley) > 1 else 0.0
    cutoff = statistics.fmean(valley) - opts.cutoff_sd * spread
    scored = sorted(
        ((depths[i] + opts.cue_weight * cues[i], i) for i in minima), key=lambda x: -x[0]
    )
    starts = _pick(sentences, scored, cutoff, opts.min_topic_ms)
    edges = [0, *starts, n]
    return list(pairwise(edges))


def _pick(
    sentences: Sequence[Sentence], scored: list[tuple[float, int]], cutoff: float, min_ms: int
) -> list[int]:
    begin, end = sentences[0].start_ms, sentences[-1].end_ms
    chosen: list[int] = []
    for score, gap in scored:
        if score <= cutoff or score <= 0:
            break
        at = sentences[gap + 1].start_ms
        if at - begin < min_ms or end - at < min_ms:
            continue
        if all(abs(at - sentences[c].start_ms) >= min_ms for c in chosen):
            chosen.append(gap + 1)
    return sorted(chosen)
