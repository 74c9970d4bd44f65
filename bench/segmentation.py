"""Benchmark: topical segmentation against labelled boundaries, beside two baselines.

    .venv/bin/python bench/segmentation.py [--docs 40] [--seed 7]

Labelled data (built from the project's own test data, nothing downloaded; see
tests/test_insight_support.py and tests/data/insight/labels.json):

- "tips in order": the Podcasting 2.0 example transcript (a 12.5-minute Buzzsprout episode of
  ten podcasting tips, real SRT cue times) with its 10 topic changes labelled by reading it.
  Speaker labels are removed, so only the words and their timing can tell topics apart.
- "shuffled": Choi's (2000) recipe. The episode is cut into its 11 topics; a LibriVox sonnet and
  a two-person phone call are added; each document is 5 to 9 of these 13 pieces in random order.
  Boundaries are where pieces meet. Joins add no pause, so the timing gives nothing away.

Methods, all snapping boundaries to sentence starts:
- ours: soundbite.insight.topics.segment (TF-IDF TextTiling over content terms, cues, min length);
- TextTiling: Hearst (1997) as usually implemented (NLTK defaults: pseudo-sentences of w=20
  tokens, blocks of k=10, raw counts, stopwords removed, liberal depth cutoff);
- equal: the reference number of segments, equally long (an oracle on the count).

Metrics: Pk and WindowDiff over words (k = half the mean reference segment length; lower is
better) and boundary F1 with a ±30 s tolerance (one-to-one matching; higher is better).
Speed: the analysis of a 60-minute transcript (the episode looped), sentences to topics.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_insight_support import (
    concat,
    podcast_tips,
    shuffled_documents,
    tips_topic_starts,
)

from soundbite.domain.transcript import Transcript
from soundbite.insight.sentences import Sentence, split_sentences, timed_words
from soundbite.insight.stopwords import STOPWORDS
from soundbite.insight.text import tokens
from soundbite.insight.topics import depth_scores, segment

TOLERANCE_MS = 30_000
Method = Callable[[list[Sentence], int], list[int]]  # sentences, reference count -> start times


def ours(sentences: list[Sentence], _n_ref: int) -> list[int]:
    return [sentences[a].start_ms for a, _ in segment(sentences)[1:]]


def equal(sentences: list[Sentence], n_ref: int) -> list[int]:
    begin, end = sentences[0].start_ms, sentences[-1].end_ms
    targets = [begin + (end - begin) * i // n_ref for i in range(1, n_ref)]
    return sorted({_nearest_start(sentences, t) for t in targets})


def texttiling(sentences: list[Sentence], _n_ref: int, w: int = 20, k: int = 10) -> list[int]:
    """Hearst's block comparison over pseudo-sentences of w tokens, as NLTK implements it."""
    toks: list[tuple[str, int]] = []  # (token, start ms of its sentence)
    for s in sentences:
        toks.extend((t, s.start_ms) for t in tokens(s.text))
    seqs = [toks[i : i + w] for i in range(0, len(toks), w)]
    bags = [Counter(t for t, _ in seq if t not in STOPWORDS) for seq in seqs]
    gaps = []
    for i in range(1, len(bags)):
        left = sum(bags[max(0, i - k) : i], Counter())
        right = sum(bags[i : i + k], Counter())
        dot = sum(n * right[t] for t, n in left.items())
        norm = math.sqrt(sum(n * n for n in left.values()) * sum(n * n for n in right.values()))
        gaps.append(dot / norm if norm else 0.0)
    smoothed = [statistics.fmean(gaps[max(0, i - 1) : i + 2]) for i in range(len(gaps))]
    depths = depth_scores(smoothed)
    if not depths:
        return []
    cutoff = statistics.fmean(depths) - statistics.pstdev(depths) / 2
    picks = [
        i
        for i, d in enumerate(depths)
        if d > cutoff
        and (i == 0 or smoothed[i] <= smoothed[i - 1])
        and (i + 1 == len(smoothed) or smoothed[i] <= smoothed[i + 1])
    ]
    return sorted({_nearest_start(sentences, seqs[i + 1][0][1]) for i in picks} - {0})


def _nearest_start(sentences: Sequence[Sentence], t: int) -> int:
    return min((s.start_ms for s in sentences), key=lambda s: abs(s - t))


def labels(word_starts: list[int], bounds: list[int]) -> list[int]:
    """Segment number of each word, given boundary times."""
    out, seg, edges = [], 0, sorted(bounds)
    for t in word_starts:
        while seg < len(edges) and t >= edges[seg]:
            seg += 1
        out.append(seg)
    return out


def pk_windowdiff(ref: list[int], hyp: list[int]) -> tuple[float, float]:
    n_segments = ref[-1] + 1
    k = max(2, round(len(ref) / n_segments / 2))
    pk = wd = 0
    trials = len(ref) - k
    for i in range(trials):
        same_ref, same_hyp = ref[i] == ref[i + k], hyp[i] == hyp[i + k]
        pk += same_ref != same_hyp
        wd += (ref[i + k] - ref[i]) != (hyp[i + k] - hyp[i])
    return pk / trials, wd / trials


def boundary_f1(ref: list[int], hyp: list[int], tol: int = TOLERANCE_MS) -> float:
    pairs = sorted((abs(r - h), r, h) for r in ref for h in hyp if abs(r - h) <= tol)
    used_r: set[int] = set()
    used_h: set[int] = set()
    for _, r, h in pairs:
        if r not in used_r and h not in used_h:
            used_r.add(r)
            used_h.add(h)
    hits = len(used_r)
    if not ref and not hyp:
        return 1.0
    p = hits / len(hyp) if hyp else 0.0
    r = hits / len(ref) if ref else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(docs: list[tuple[Transcript, list[int]]], method: Method) -> tuple[float, ...]:
    scores = []
    for transcript, starts in docs:
        words = timed_words(transcript)
        sentences = split_sentences(words)
        ref_bounds = starts[1:]
        hyp_bounds = method(sentences, len(starts))
        word_starts = [w.start_ms for w in words]
        pk, wd = pk_windowdiff(labels(word_starts, ref_bounds), labels(word_starts, hyp_bounds))
        scores.append((pk, wd, boundary_f1(ref_bounds, hyp_bounds), len(hyp_bounds)))
    return tuple(statistics.fmean(col) for col in zip(*scores, strict=True))


def speed(minutes: int = 60) -> tuple[float, int]:
    tips = podcast_tips()
    loops = math.ceil(minutes * 60_000 / tips.segments[-1].end_ms)
    long, _ = concat([tips] * loops)
    from soundbite.insight.analyze import analyze

    t0 = time.perf_counter()
    result = analyze(long)
    return time.perf_counter() - t0, len(result.topics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tips = podcast_tips()
    sets = {
        "tips in order": [(tips, tips_topic_starts(tips))],
        f"shuffled x{args.docs}": shuffled_documents(args.docs, args.seed),
    }
    methods: dict[str, Method] = {"ours": ours, "TextTiling": texttiling, "equal (oracle n)": equal}
    print(f"{'set':<16} {'method':<18} {'Pk':>6} {'WD':>6} {'F1@30s':>7} {'bounds':>7}")
    for name, docs in sets.items():
        n_ref = statistics.fmean(len(s) - 1 for _, s in docs)
        results = {m: evaluate(docs, fn) for m, fn in methods.items()}
        for m, (pk, wd, f1, nb) in results.items():
            print(f"{name:<16} {m:<18} {pk:6.3f} {wd:6.3f} {f1:7.3f} {nb:7.1f}")
        base = results["TextTiling"]
        mine = results["ours"]
        print(
            f"{name:<16} {'ours/TextTiling':<18} {mine[0] / base[0]:6.2f} {mine[1] / base[1]:6.2f}"
            f" {mine[2] / max(base[2], 1e-9):7.2f}   (reference: {n_ref:.1f} boundaries)"
        )
    seconds, n_topics = speed()
    print(f"speed: analysis of a 60-minute transcript: {seconds:.2f} s ({n_topics} topics)")


if __name__ == "__main__":
    main()
