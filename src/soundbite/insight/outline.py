"""Chapters: the coarse level of an episode's outline, one every several minutes.

Topics (topics.py) follow every turn of a conversation, a minute or two apart, which is what
search and highlights want. A listener skimming chapters wants the few big parts of the show,
and how many there are should follow what was said, not a fixed count or a fixed length.

The method is optimal segmentation under a language model (Utiyama & Isahara 2001): each
chapter's content terms are drawn from a word distribution of its own, a Dirichlet-multinomial
with a symmetric prior ``alpha`` (so a word said again inside a chapter costs little), and each
chapter boundary costs ``boundary_cost * log N`` nats, the price of stating where it is. Dynamic
programming finds the chapters of least total cost, so the count falls out of the content: a
boundary is kept only when the two sides use words differently enough to pay for it.

Boundaries snap to what a listener hears. Within every ``candidate_ms`` of speech only one gap is
considered, the one with the strongest cue (a pause, a change of speaker), and each cue lowers
that boundary's cost by ``cue_bonus`` nats, so of two nearly equal places the chapter starts
where someone new speaks or after a silence. Chapters are at least ``min_ms`` long and at most
``max_ms``, which also bounds the work: linear in the length of the episode.

Topics nest inside chapters (:func:`nest`), so the two levels never disagree.
bench/chapters.py measures this against creators' chapters.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from soundbite.insight.embeddings import Vectors
from soundbite.insight.sentences import Sentence

Ranges = list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class ChapterOptions:
    min_ms: int = 120_000
    max_ms: int = 30 * 60_000
    candidate_ms: int = 10_000  # one possible boundary per this much speech
    alpha: float = 0.5  # prior count of each word in a chapter's distribution
    boundary_cost: float = 1.0  # times log(number of terms), in nats
    pause_ms: int = 1500  # a silence at least this long before a sentence is a cue
    cue_bonus: float = 2.0  # nats off a boundary's cost per cue
    scale_ms: int = 60 * 60_000  # vocabulary and boundary cost as in this much speech
    # with sentence vectors (the `semantic` extra): nats per word of scatter about the chapter's
    # mean vector, added to the lexical cost (tuned on half of SliceCast); 0: lexical alone
    semantic_weight: float = 0.03


def cues(
    sentences: Sequence[Sentence], speakers: Sequence[str | None] | None, pause_ms: int
) -> list[int]:
    """Cues a listener hears before each sentence: a pause, a new speaker (0 for the first)."""
    out = [0]
    for i in range(1, len(sentences)):
        n = int(sentences[i].start_ms - sentences[i - 1].end_ms >= pause_ms)
        if speakers and speakers[i] and speakers[i] != speakers[i - 1]:
            n += 1
        out.append(n)
    return out


def candidates(sentences: Sequence[Sentence], cue: Sequence[int], window_ms: int) -> list[int]:
    """Sentence indices where a chapter may start: 0, then the best-cued sentence of each
    window of `window_ms` that begins `window_ms` after the previous candidate."""
    chosen = [0]
    i, n = 1, len(sentences)
    while i < n:
        opens = sentences[chosen[-1]].start_ms + window_ms
        while i < n and sentences[i].start_ms < opens:
            i += 1
        if i >= n:
            break
        closes = sentences[i].start_ms + window_ms
        window = range(i, next((j for j in range(i, n) if sentences[j].start_ms >= closes), n))
        best = max(window, key=lambda j: (cue[j], -j))
        chosen.append(best)
        i = best + 1
    return chosen


def chapter_ranges(
    sentences: Sequence[Sentence],
    speakers: Sequence[str | None] | None = None,
    options: ChapterOptions | None = None,
    vectors: Vectors | None = None,
) -> Ranges:
    """Sentence ranges [start, end) of the chapters, covering every sentence in order.

    `vectors` (one unit-length row per sentence, insight.embeddings) add the semantic cost."""
    opts = options or ChapterOptions()
    if not sentences:
        return []
    cue = cues(sentences, speakers, opts.pause_ms)
    starts = candidates(sentences, cue, opts.candidate_ms)
    blocks = [
        [t for s in sentences[a:b] for t in s.terms] for a, b in pairwise([*starts, len(sentences)])
    ]
    vocabulary, n_terms = _scale(sentences, opts.scale_ms)
    boundary = opts.boundary_cost * math.log(max(n_terms, 2))
    bonus = [opts.cue_bonus * cue[s] for s in starts]
    ends_ms = [sentences[b - 1].end_ms for b in [*starts[1:], len(sentences)]]
    scatter = None
    if vectors is not None and opts.semantic_weight > 0:
        scatter = _Scatter(sentences, vectors, starts, opts.semantic_weight)
    chosen = _best_split(
        sentences, starts, blocks, ends_ms, vocabulary, boundary, bonus, opts, scatter
    )
    return list(pairwise([*(starts[k] for k in chosen), len(sentences)]))


def _scale(sentences: Sequence[Sentence], scale_ms: int) -> tuple[float, float]:
    """(vocabulary, number of terms) of an average `scale_ms` of the episode.

    Over a whole 8-hour episode the vocabulary is so large that a word said again inside a
    chapter is barely cheaper than a new one, and chapters would grow with the episode; counting
    per hour keeps a chapter's cost the same whatever the episode's length.
    """
    windows: list[tuple[set[str], int]] = [(set(), 0)]
    start = sentences[0].start_ms
    for s in sentences:
        if s.start_ms - start >= scale_ms and windows[-1][1]:
            windows.append((set(), 0))
            start = s.start_ms
        terms, n = windows[-1]
        terms.update(s.terms)
        windows[-1] = (terms, n + len(s.terms))
    if len(windows) > 1 and windows[-1][1] < windows[-2][1] / 2:
        windows.pop()  # a short last window would understate both
    return (
        sum(len(terms) for terms, _ in windows) / len(windows),
        sum(n for _, n in windows) / len(windows),
    )


def _best_split(
    sentences: Sequence[Sentence],
    starts: list[int],
    blocks: list[list[str]],
    ends_ms: list[int],
    vocabulary: float,
    boundary: float,
    bonus: list[float],
    opts: ChapterOptions,
    scatter: _Scatter | None = None,
) -> list[int]:
    """Indices into `starts` of the chapter starts of least total cost (dynamic programming:
    best[j] is the least cost of chapters covering blocks 0..j-1)."""
    k = len(starts)
    best = [math.inf] * (k + 1)
    back = [0] * (k + 1)
    best[0] = 0.0
    alpha, prior = opts.alpha, opts.alpha * vocabulary
    log = math.log
    for i in range(k):
        if best[i] == math.inf:
            continue
        begin = sentences[starts[i]].start_ms
        counts: Counter[str] = Counter()
        n = 0
        loglik = 0.0
        spread = scatter.from_block(i) if scatter else None
        for j in range(i, k):
            for term in blocks[j]:
                c = counts[term]
                loglik += log(c + alpha) - log(n + prior)
                counts[term] = c + 1
                n += 1
            length = ends_ms[j] - begin
            whole = i == 0 and j == k - 1
            if length > opts.max_ms and not whole:
                break
            if length < opts.min_ms and not whole:
                continue
            cost = best[i] - loglik + boundary - (bonus[i] if i else 0.0)
            if spread is not None:
                cost += spread[j - i]
            if cost < best[j + 1]:
                best[j + 1] = cost
                back[j + 1] = i
    if best[k] == math.inf:  # the limits allow no split (an episode under min_ms, say)
        return [0]
    chosen, j = [], k
    while j > 0:
        j = back[j]
        chosen.append(j)
    return chosen[::-1]


class _Scatter:
    """The semantic cost of a chapter: the words' squared distance from the chapter's mean
    sentence vector, sum over sentences of n_words * |v - mean|^2, times `weight`.

    It is the within-cluster scatter of k-means, so a boundary pays off where the talk moves to
    other meanings, whichever words it uses for them ("kids" and "children"; "stand" and
    "desk"), which counting words cannot see. Prefix sums over the candidate blocks make each
    chapter's cost O(dimensions).
    """

    def __init__(
        self, sentences: Sequence[Sentence], vectors: Vectors, starts: list[int], weight: float
    ) -> None:
        words = np.array([s.n_words for s in sentences], dtype=np.float64)
        weighted = vectors.astype(np.float64) * words[:, None]
        edges = [*starts, len(sentences)]
        sums = np.add.reduceat(weighted, edges[:-1], axis=0)
        counts = np.add.reduceat(words, edges[:-1])
        self.prefix = np.vstack([np.zeros(vectors.shape[1]), np.cumsum(sums, axis=0)])
        self.words = np.concatenate([[0.0], np.cumsum(counts)])
        self.weight = weight

    def from_block(self, i: int) -> list[float]:
        """Entry m: the cost of a chapter of blocks i..i+m (unit vectors: |v|^2 = 1)."""
        total = self.prefix[i + 1 :] - self.prefix[i]
        n = np.maximum(self.words[i + 1 :] - self.words[i], 1.0)
        cost: list[float] = (self.weight * (n - (total * total).sum(axis=1) / n)).tolist()
        return cost


def nest(topics: Ranges, chapters: Ranges, sentences: Sequence[Sentence], min_ms: int) -> Ranges:
    """Topic ranges that never cross a chapter boundary: every chapter start becomes a topic
    start, and a topic start closer than `min_ms` to one is dropped (it marked the same turn
    less surely, and would leave a sliver of a topic)."""
    chapter_starts = [a for a, _ in chapters]
    chapter_ms = [sentences[a].start_ms for a in chapter_starts]
    kept = {
        a for a, _ in topics if all(abs(sentences[a].start_ms - t) >= min_ms for t in chapter_ms)
    }
    edges = sorted(kept | set(chapter_starts))
    return list(pairwise([*edges, len(sentences)]))
