"""Benchmark: sentence boundaries restored in transcripts without punctuation.

    .venv/bin/python bench/sentences.py            # measure
    .venv/bin/python bench/sentences.py --fit      # refit insight/data/sentence_cues.json

Real punctuated transcripts have their punctuation and case removed, as auto-captions arrive;
the restored sentence ends are compared with the original ones (a word that ended with ".",
"?" or "!"): precision, recall and F1 over the gaps between words, exact to the word.

- SliceCast, Tim Ferriss half (13 long interviews, ../shared/data/slicecast, never seen by
  the fit): text only, so the words are timed evenly at 2.7 words/s in 8-word caption cues,
  as a player shows cue-level captions: no pauses, no speakers. Only the words can tell.
- podcast_tips (tests/data/insight, CC0): 12.5 min, real cue times, three speakers unnamed.
- phone_call (tests/data/insight): 30 s, real utterance times and speaker labels.

Anchors: splitting at every pause of 500 ms or more, and what split_sentences did before
restoration (a pause of 1.5 s, and runs cut at 60 words). The ratio is ours over the better
anchor.

The fit (--fit) is a logistic regression over the features of insight/boundaries.py on the
Katy Bowman half of SliceCast (27 episodes), plain Python (no numpy in the default install):
four epochs of SGD, features seen at least 50 times, the threshold that maximises F1 on the
training episodes.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_insight_support import DATA, podcast_tips, stm_transcript

from soundbite.domain.transcript import Word, ends_sentence
from soundbite.insight.boundaries import (
    WEIGHTS,
    Cues,
    features,
    lacks_punctuation,
    load_cues,
    norm,
    restore_ends,
)
from soundbite.insight.sentences import SentenceOptions, split_sentences

SLICECAST = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "slicecast"


def slicecast_words(path: Path) -> list[str]:
    """The episode's words as written (the topic marker lines dropped)."""
    lines = path.read_text().splitlines()
    return [w for line in lines if not line.startswith("========") for w in line.split()]


def labelled(raw: Sequence[str]) -> tuple[list[str], list[int]]:
    """Words without punctuation and case, and 1 where the original ended a sentence."""
    tokens: list[str] = []
    ends: list[int] = []
    for w in raw:
        token = norm(w)
        if not token:  # a dash or an ellipsis standing alone
            if ends and ends_sentence(w):
                ends[-1] = 1
            continue
        tokens.append(token)
        ends.append(int(ends_sentence(w)))
    return tokens, ends


def as_captions(tokens: Sequence[str], rate: float = 2.7, cue: int = 8) -> list[Word]:
    """Evenly timed words, as a player spreads a caption cue's words over the cue."""
    step = 1000 / rate
    return [Word(round(i * step), round((i + 1) * step), t) for i, t in enumerate(tokens)]


def strip(words: Sequence[Word]) -> tuple[list[Word], set[int]]:
    """The words without punctuation and case, and the original sentence ends (word indices)."""
    out, gold = [], set()
    for i, w in enumerate(words):
        if ends_sentence(w.text) and i + 1 < len(words):
            gold.add(i)
        out.append(Word(w.start_ms, w.end_ms, norm(w.text) or w.text.lower()))
    return out, gold


def score(pred: set[int], gold: set[int]) -> tuple[int, int, int]:
    return len(pred & gold), len(pred), len(gold)


def f1(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def pauses(words: Sequence[Word], ms: int = 500) -> set[int]:
    return {i for i in range(len(words) - 1) if words[i + 1].start_ms - words[i].end_ms >= ms}


def before(words: Sequence[Word]) -> set[int]:
    """split_sentences as it was: no restoration (the words carry no punctuation to find)."""
    sentences = split_sentences(list(words), SentenceOptions(restore=False))
    return {s.end_word - 1 for s in sentences[:-1]}


def ours(words: Sequence[Word], speakers: Sequence[str | None] | None = None) -> set[int]:
    assert lacks_punctuation(words), "the stripped transcript must be detected as unpunctuated"
    return set(restore_ends(words, speakers)[:-1])


def datasets() -> dict[str, list[tuple[list[Word], set[int], list[str | None] | None]]]:
    sets: dict[str, list[tuple[list[Word], set[int], list[str | None] | None]]] = {}
    tim = []
    for path in sorted(SLICECAST.glob("tim*.txt")):
        tokens, ends = labelled(slicecast_words(path))
        tim.append((as_captions(tokens), {i for i, e in enumerate(ends[:-1]) if e}, None))
    sets["SliceCast Tim Ferriss (13 episodes, no times)"] = tim
    words, gold = strip(podcast_tips().words)
    sets["podcast_tips (12.5 min, cue times)"] = [(words, gold, None)]
    call = stm_transcript(DATA / "phone_call.stm")
    speakers = [s.speaker for s in call.segments for _ in s.words]
    words, gold = strip(call.words)
    sets["phone_call (30 s, speakers)"] = [(words, gold, speakers)]
    return sets


def measure() -> None:
    print("sentence-boundary F1 on unpunctuated real transcripts (exact word gap)")
    for name, docs in datasets().items():
        totals = {"ours": [0, 0, 0], "pause>=500ms": [0, 0, 0], "before": [0, 0, 0]}
        for words, gold, speakers in docs:
            for key, pred in (
                ("ours", ours(words, speakers)),
                ("pause>=500ms", pauses(words)),
                ("before", before(words)),
            ):
                for k, v in enumerate(score(pred, gold)):
                    totals[key][k] += v
        got = {k: f1(*v) for k, v in totals.items()}
        anchor = max(got["pause>=500ms"][2], got["before"][2])
        ratio = f"x{got['ours'][2] / anchor:.1f}" if anchor else "n/a (anchor finds none)"
        print(f"  {name}: {totals['ours'][2]} sentence ends")
        for key, (p, r, f) in got.items():
            print(f"    {key:13s} P {p:.3f} R {r:.3f} F1 {f:.3f}")
        print(f"    ratio ours / best anchor: {ratio}")


def fit(min_count: int = 50, epochs: int = 4) -> Cues:
    rows: list[tuple[list[str], int]] = []
    for path in sorted(SLICECAST.glob("katy*.txt")):
        tokens, ends = labelled(slicecast_words(path))
        rows += [(features(tokens, i), ends[i]) for i in range(len(tokens) - 1)]
    seen = Counter(f for x, _ in rows for f in x)
    keep = {f for f, c in seen.items() if c >= min_count}
    rows = [([f for f in x if f in keep], y) for x, y in rows]
    w: dict[str, float] = defaultdict(float)
    bias, rate = 0.0, 0.2
    rng = random.Random(0)
    for _ in range(epochs):
        rng.shuffle(rows)
        for x, y in rows:
            z = max(min(bias + sum(w[f] for f in x), 30.0), -30.0)
            g = y - 1 / (1 + math.exp(-z))
            bias += 0.1 * rate * g
            for f in x:
                w[f] += rate * g
        rate *= 0.6
    weights = {f: round(v, 3) for f, v in sorted(w.items()) if abs(v) >= 0.05}
    best = max(
        (t / 4 for t in range(-12, 5)),
        key=lambda t: _train_f1(rows, weights, bias, t),
    )
    return Cues(round(bias, 3), best, weights)


def _train_f1(rows: list[tuple[list[str], int]], w: dict[str, float], b: float, t: float) -> float:
    tp = n_pred = n_gold = 0
    for x, y in rows:
        hit = b + sum(w.get(f, 0.0) for f in x) > t
        tp += hit and y
        n_pred += hit
        n_gold += y
    return f1(tp, n_pred, n_gold)[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", action="store_true", help="refit the weights file first")
    args = parser.parse_args()
    if args.fit:
        cues = fit()
        data = {
            "about": "insight/boundaries.py; fitted by bench/sentences.py --fit",
            "bias": cues.bias,
            "threshold": cues.threshold,
            "weights": cues.weights,
        }
        WEIGHTS.write_text(json.dumps(data, indent=0, sort_keys=False) + "\n")
        load_cues.cache_clear()
        print(f"wrote {WEIGHTS}: {len(cues.weights)} weights, threshold {cues.threshold}")
    measure()


if __name__ == "__main__":
    main()
