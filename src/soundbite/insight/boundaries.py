"""Sentence boundaries for transcripts that have no punctuation.

Auto-captions (and some publisher VTT/SRT files) arrive as one lower-case stream of words: no
full stops, so every sentence-level feature (highlights, topics, search units) would start and
end wherever a pause or a 60-word cap happened to fall. Here each gap between two words gets a
score, and a gap whose score passes a threshold ends a sentence:

- words: a logistic model over the word before the gap, the word after it, and the pairs around
  it ("... right | so i ...", "... you know | what ..."). Its weights are in
  ``data/sentence_cues.json``, fitted by ``bench/sentences.py --fit`` on the Katy Bowman half of
  SliceCast (real podcast transcripts, punctuation removed) and measured on the Tim Ferriss
  half and on the Podcasting 2.0 example transcript, which it never saw. No punctuation model
  on PyPI ships its weights in the package (they download them at run time), and a table of
  a few thousand weights is fast enough for a three-hour episode in well under a second;
- pauses: a silence between words raises the score (not fitted: the training text has no
  times), and a change of speaker always ends a sentence.

A restored sentence gets a capital and a full stop, or a question mark when it opens like a
question ("what do you", "how did", "is it"), so that titles and quotes read as sentences.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from soundbite.domain.transcript import Word, ends_sentence

WEIGHTS = Path(__file__).parent / "data" / "sentence_cues.json"
_NORM = re.compile(r"[^a-z0-9']+")
# "which"/"who" open relative clauses as often as questions ("...at google which was hugely")
_WH_WORDS = """
what why how where when
"""
_WH = frozenset(_WH_WORDS.split())
_AUX_WORDS = """
do does did is are was were can could would will should have has am don't didn't isn't
aren't wasn't can't won't
"""
_AUX = frozenset(_AUX_WORDS.split())
_PRONOUNS_WORDS = """
you we they he she it i there
"""
_PRONOUNS = frozenset(_PRONOUNS_WORDS.split())
_LEADS_WORDS = """
and but so yeah okay ok well now
"""
_LEADS = frozenset(_LEADS_WORDS.split())


@dataclass(frozen=True, slots=True)
class Cues:
    bias: float
    threshold: float
    weights: dict[str, float]


def norm(text: str) -> str:
    """A word as the model sees it: lower case, letters, digits and apostrophes."""
    return _NORM.sub("", text.lower().replace("\u2019", "'"))


def features(tokens: Sequence[str], i: int) -> list[str]:
    """What the model reads at the gap after tokens[i]."""
    p = tokens[i]
    n = tokens[i + 1] if i + 1 < len(tokens) else "</s>"
    n2 = tokens[i + 2] if i + 2 < len(tokens) else "</s>"
    pp = tokens[i - 1] if i > 0 else "<s>"
    return [f"p={p}", f"n={n}", f"nn={n}_{n2}", f"pp={pp}_{p}", f"pn={p}_{n}"]


@cache
def load_cues(path: Path = WEIGHTS) -> Cues:
    data = json.loads(path.read_text())
    return Cues(float(data["bias"]), float(data["threshold"]), dict(data["weights"]))


def lacks_punctuation(words: Sequence[Word], min_words: int = 30) -> bool:
    """True when a long enough transcript has (almost) no sentence ends: speech averages a
    sentence every 10-20 words; fewer than one in 80 means the punctuation is missing."""
    if len(words) < min_words:
        return False
    return sum(ends_sentence(w.text) for w in words) * 80 < len(words)


def gap_scores(
    words: Sequence[Word], speakers: Sequence[str | None] | None = None, cues: Cues | None = None
) -> list[float]:
    """A score for the gap after each word but the last: above the threshold, a sentence ends."""
    model = cues or load_cues()
    tokens = [norm(w.text) or w.text.lower() for w in words]
    scores = []
    for i in range(len(words) - 1):
        score = model.bias + sum(model.weights.get(f, 0.0) for f in features(tokens, i))
        gap = words[i + 1].start_ms - words[i].end_ms
        # a breath between sentences is 0.3-1 s; longer pauses are near-certain ends
        score += min(max(gap - 200, 0) / 250, 4.0)
        if speakers is not None and speakers[i] != speakers[i + 1]:
            score += 20.0
        scores.append(score)
    return scores


def restore_ends(
    words: Sequence[Word],
    speakers: Sequence[str | None] | None = None,
    max_words: int = 60,
    min_words: int = 3,
    cues: Cues | None = None,
    scores: Sequence[float] | None = None,
) -> list[int]:
    """Indices of the words that end a sentence (the last word always does).

    A gap above the threshold ends a sentence unless one ended fewer than `min_words` before,
    in which case the higher-scoring of the two wins. A run longer than `max_words` is cut at
    its best-scoring gap, recursively. `scores` are :func:`gap_scores`, when already known."""
    if not words:
        return []
    model = cues or load_cues()
    if scores is None:
        scores = gap_scores(words, speakers, model)
    ends: list[int] = []
    for i, score in enumerate(scores):
        if score <= model.threshold:
            continue
        if ends and i - ends[-1] < min_words and not _turn(speakers, i):
            if score > scores[ends[-1]] and not _turn(speakers, ends[-1]):
                ends[-1] = i
            continue
        ends.append(i)
    ends.append(len(words) - 1)
    out: list[int] = []
    start = 0
    for end in ends:
        out.extend(_cap(scores, start, end, max_words))
        start = end + 1
    return out


def _turn(speakers: Sequence[str | None] | None, i: int) -> bool:
    return speakers is not None and speakers[i] != speakers[i + 1]


def _cap(scores: Sequence[float], start: int, end: int, max_words: int) -> list[int]:
    if end - start + 1 <= max_words:
        return [end]
    lo, hi = start + max_words // 4, end - max_words // 4
    cut = max(range(lo, hi), key=lambda i: scores[i])
    return _cap(scores, start, cut, max_words) + _cap(scores, cut + 1, end, max_words)


def probability(score: float) -> float:
    """How sure a gap's score is that a sentence ends there (the model is a logistic one)."""
    return 1 / (1 + math.exp(-max(min(score, 30.0), -30.0)))


def dress(text: str) -> str:
    """A restored sentence as a reader expects it: capital first letter, "I" for "i", and a
    question mark or a full stop."""
    parts = text.split()
    if not parts:
        return text
    parts = ["I" + p[1:] if p == "i" or p.startswith("i'") else p for p in parts]
    parts[0] = parts[0][:1].upper() + parts[0][1:]
    question = _asks(parts)
    last = parts[-1].rstrip(",;:")
    parts[-1] = last + ("?" if question else ".")
    return " ".join(parts)


def _asks(parts: Sequence[str]) -> bool:
    """Opens the way a question does: "do you ...", "is it ...", "what did you ...", "how
    would we ...". A question word alone is not enough ("what I think is ..."): on SliceCast
    it was right half the time; with the pronoun after the auxiliary, far more often."""
    head = [norm(p) for p in parts[:4]] + ["", "", ""]
    if head[0] in _LEADS:
        head = head[1:]
    if head[0] in _WH:
        head = head[1:]
    return head[0] in _AUX and head[1] in _PRONOUNS
