"""Benchmark: highlight suggestions, their structure and their precision, beside baselines.

    .venv/bin/python bench/highlights.py [--trials 2000]

Structure, on every suggestion of every document (the tips episode, a 60-minute episode made by
looping it, 40 shuffled documents from tests/test_insight_support.py, and a real-audio document):
sentence-bounded, 15-60 s long, no overlap, spread (quarters of the episode that hold one).

Precision at 5 on the one labelled episode: tests/data/insight/labels.json lists ten moments of
the tips episode a person would clip, chosen by reading the transcript before this code ran. A
suggestion is a hit when at least half of it lies inside one labelled moment and it covers at
least 10 s of that moment. Baselines:
- random: five random non-overlapping sentence-bounded windows of 15-60 s (mean of --trials);
- loudest window: the five loudest such windows by the stored peaks. The labelled episode has
  no audio (it is a published transcript), so on it the baseline falls back to the densest
  speech (words per second), the transcript's own stand-in for energy; the real loudest window
  runs on the real-audio document (four recordings from tests/data/media joined, 100 s), where
  only structure can be checked.

The replay signal ("listeners replay this", analytics/curves.py): no real listeners have played
the labelled episode, so its replay curves are SIMULATED, and the output says so. Simulated
listeners play from the start and drop off along the way; each passes every labelled moment
and goes back over part of it with probability `p`, and also goes back over random 10-20 s
stretches anywhere (a distraction, a missed word) about once every eight minutes. The hearings
go through the real bucket rules and daily counting. With p = 0 the curve is noise only: what
the signal costs when replays say nothing. It shows that the feature is used correctly when
replays carry signal, not that real listeners replay what an editor would clip.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_insight_support import (
    DATA,
    LABELS,
    concat,
    find_word,
    podcast_tips,
    shift,
    shuffled_documents,
    srt_transcript,
    stm_transcript,
    text_transcript,
)

from soundbite.analytics import curves
from soundbite.domain.transcript import Transcript
from soundbite.insight.analyze import analyze
from soundbite.insight.audio import Loudness, loudness_from_peaks
from soundbite.insight.highlights import ReplayCurve
from soundbite.insight.sentences import Sentence

MEDIA = Path(__file__).resolve().parent.parent / "tests" / "data" / "media"
Span = tuple[int, int]


def windows(sentences: Sequence[Sentence], lo: int = 15_000, hi: int = 60_000) -> list[Span]:
    out = []
    for a in range(len(sentences)):
        for b in range(a, len(sentences)):
            d = sentences[b].end_ms - sentences[a].start_ms
            if d > hi:
                break
            if d >= lo:
                out.append((sentences[a].start_ms, sentences[b].end_ms))
    return out


def greedy(spans: list[Span], key: Callable[[Span], float], n: int = 5) -> list[Span]:
    chosen: list[Span] = []
    for s in sorted(spans, key=key, reverse=True):
        if all(s[1] <= c[0] or c[1] <= s[0] for c in chosen):
            chosen.append(s)
            if len(chosen) == n:
                break
    return chosen


def random_pick(spans: list[Span], rng: random.Random, n: int = 5) -> list[Span]:
    return greedy(spans, key=lambda _: rng.random(), n=n)


def labelled_spans(transcript: Transcript) -> list[Span]:
    words = transcript.words
    out = []
    for item in LABELS["highlights"]["spans"]:
        a = find_word(words, item["starts_with"])
        tail = item["ends_with"].split()
        b = find_word(words[a:], " ".join(tail)) + a + len(tail) - 1
        out.append((words[a].start_ms, words[b].end_ms))
    return out


def is_hit(span: Span, gold: list[Span]) -> bool:
    for g in gold:
        inside = min(span[1], g[1]) - max(span[0], g[0])
        if inside >= 10_000 and inside >= (span[1] - span[0]) / 2:
            return True
    return False


def precision(spans: list[Span], gold: list[Span]) -> float:
    return sum(is_hit(s, gold) for s in spans[:5]) / 5


def structure(transcript: Transcript, loudness: Loudness | None = None) -> dict[str, float]:
    result = analyze(transcript, loudness)
    sentences, hs = result.sentences, result.highlights
    starts = {s.start_ms for s in sentences}
    ends = {s.end_ms for s in sentences}
    spans = sorted((h.start_ms, h.end_ms) for h in hs)
    total = sentences[-1].end_ms
    return {
        "n": len(hs),
        "bounded": all(a in starts and b in ends for a, b in spans),
        "lengths ok": all(15_000 <= b - a <= 60_000 for a, b in spans),
        "no overlap": all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1)),
        "quarters": len({min(3, 4 * a // total) for a, _ in spans}),
    }


def audio_document() -> tuple[Transcript, Loudness]:
    """Four real recordings joined (audio and transcripts), with peaks computed as stored."""
    import av

    from soundbite.media.peaks import compute_peaks

    parts = [
        ("pyannote_sample_2spk_phone.wav", stm_transcript(DATA / "phone_call.stm")),
        ("librivox_sonnet001_en.mp3", srt_transcript(DATA / "sonnet001.srt")),
        ("jfk_ask_not.flac", text_transcript((DATA / "jfk_ask_not.txt").read_text(), 11_000)),
        (
            "librispeech_61-70968-0000.flac",
            text_transcript((DATA / "librispeech_61-70968-0000.txt").read_text(), 4_900),
        ),
    ]
    out = Path(tempfile.mkdtemp()) / "joined.wav"
    offsets, t, samples = [], 0, 0
    with av.open(str(out), "w") as dst:
        stream = dst.add_stream("pcm_s16le", rate=16000, layout="mono")
        for name, _ in parts:
            offsets.append(t)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
            with av.open(str(MEDIA / name)) as src:
                for frame in src.decode(audio=0):
                    for f in resampler.resample(frame):
                        f.pts, f.time_base = samples, Fraction(1, 16000)
                        samples += f.samples
                        t = samples * 1000 // 16000
                        for packet in stream.encode(f):
                            dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    moved = [shift(tr, off) for (_, tr), off in zip(parts, offsets, strict=True)]
    return _join(moved), loudness_from_peaks(compute_peaks(out))


def _join(parts: list[Transcript]) -> Transcript:
    return Transcript("en", tuple(s for p in parts for s in p.segments), "publisher")


def simulated_replays(
    gold: list[Span], duration_ms: int, p: float, rng: random.Random, listeners: int = 200
) -> ReplayCurve:
    """A replay curve from simulated listeners (see the module docstring), counted by the real
    rules: runs of playing -> heard buckets -> one day's counts."""
    rows: list[curves.Hearing] = []
    for n in range(listeners):
        who = f"listener {n}"
        stop = min(duration_ms, int(rng.expovariate(1 / (duration_ms * 0.8))) + 60_000)
        runs = [(0, stop)]
        for a, b in gold:
            if b <= stop and rng.random() < p:
                length = rng.randint(8_000, min(20_000, b - a))
                start = rng.randint(a, b - length)
                runs.append((start, start + length))
        for _ in range(int(stop / 480_000 + rng.random())):
            start = rng.randint(0, max(0, stop - 20_000))
            runs.append((start, start + rng.randint(10_000, 20_000)))
        for a, b in runs:
            rows += [curves.Hearing(1, 1, who, x) for x in curves.heard_buckets(a, b, duration_ms)]
    day = curves.count_day(rows)[1]
    count = curves.bucket_count(duration_ms)
    heard = [day.buckets.get(b, (0, 0)) for b in range(count)]
    return ReplayCurve(curves.BUCKET_MS, [r for _, r in heard], [n for n, _ in heard])


def replay_signal(tips: Transcript, gold: list[Span], seeds: int) -> None:
    duration = tips.words[-1].end_ms
    print(
        "replay signal (SIMULATED replays: no real listener has played this episode; "
        f"200 simulated listeners, mean of {seeds} seeds)"
    )
    without = precision([(h.start_ms, h.end_ms) for h in analyze(tips).highlights], gold)
    print(f"  without the signal: precision@5 {without:.2f}")
    for p in (0.0, 0.1, 0.3):
        scores, replayed = [], []
        for seed in range(seeds):
            curve = simulated_replays(gold, duration, p, random.Random(seed))
            found = analyze(tips, replays=curve).highlights
            scores.append(precision([(h.start_ms, h.end_ms) for h in found], gold))
            replayed.append(
                sum(h.reason.lower().startswith("listeners replay this") for h in found[:5])
            )
        label = "noise only" if p == 0 else f"p = {p:.1f} per labelled moment"
        print(
            f"  with the signal, {label}: precision@5 {statistics.fmean(scores):.2f} "
            f"(min {min(scores):.2f}, max {max(scores):.2f}); "
            f"'listeners replay this' in {statistics.fmean(replayed):.1f} of the top 5"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=10, help="simulated listener populations")
    args = parser.parse_args()
    tips = podcast_tips()
    gold = labelled_spans(tips)
    result = analyze(tips)
    spans = windows(result.sentences)
    ours = [(h.start_ms, h.end_ms) for h in result.highlights]
    rng = random.Random(1)
    rand = statistics.fmean(precision(random_pick(spans, rng), gold) for _ in range(args.trials))
    words = tips.words

    def rate(s: Span) -> float:
        return sum(s[0] <= w.start_ms < s[1] for w in words) / (s[1] - s[0])

    dense = precision(greedy(spans, rate), gold)
    mine = precision(ours, gold)
    print("precision@5 on the labelled tips episode (10 labelled moments)")
    print(
        f"  ours {mine:.2f} | random {rand:.2f} (x{mine / rand:.1f}) | densest speech {dense:.2f}"
    )
    for h in result.highlights[:5]:
        mark = "hit " if is_hit((h.start_ms, h.end_ms), gold) else "miss"
        print(
            f"  {mark} {h.start_ms / 1000:6.1f}s {(h.end_ms - h.start_ms) / 1000:4.1f}s "
            f"{h.score:.2f} {h.reason} | {h.title}"
        )

    replay_signal(tips, gold, args.seeds)

    loops = concat([tips] * 5)[0]
    docs = {"tips": tips, "60 min": loops}
    docs.update({f"shuffled {i}": d for i, (d, _) in enumerate(shuffled_documents(40))})
    checks = [structure(d) for d in docs.values()]
    audio, loud = audio_document()
    audio_check = structure(audio, loud)
    print(f"structure over {len(checks)} documents, {sum(c['n'] for c in checks)} suggestions:")
    for key in ("bounded", "lengths ok", "no overlap"):
        print(f"  {key}: {all(c[key] for c in checks)}")
    print(
        "  quarters holding a suggestion (tips / 60 min):",
        f"{checks[0]['quarters']} / {checks[1]['quarters']}",
    )
    a_sent = analyze(audio, loud).sentences
    loudest = greedy(windows(a_sent), key=lambda s: loud.mean_db(*s) or -99.0)
    print(f"real-audio document (100 s): ours {audio_check} | loudest window: {len(loudest)} picks")


if __name__ == "__main__":
    main()
