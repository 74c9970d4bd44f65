"""Recordings with known speakers for bench/speakers.py: real voices put one after another.

We have one real multi-speaker recording with labels (pyannote's 30 s phone call), so the
over-splitting cases are built: pieces of real single-speaker recordings (tests/data/media, the
TIMIT sample in ../shared/data/timit-sample, and the two callers' turns of the phone call)
concatenated with 0.5 s of silence between them, the reference saying who each piece is.

- A-B-A: a voice, another, the first again (the first voice cut in two where possible, so the
  two parts are different words), e.g. JFK, a LibriSpeech reader, JFK;
- A-B-A-B-C: two voices alternating, then a third;
- one voice: a whole recording (must come out as one speaker);
- long mixes (25 and 30 min) of five and six voices, and long two-party ones (30-40 min, the
  case of a long interview): random crops (2-20 s, at a random offset, a random gain of
  -6..+3 dB, a little noise) of five or six voices in a random order, so the same stretch of
  audio never repeats exactly (a plain loop makes identical embeddings, which clusters unlike
  real speech).

Reference speech inside a piece: TIMIT's hand-labelled words, the phone call's RTTM turns, and
for the other recordings an energy detector (frames within 30 dB of the loud end and 10 dB above
the floor, gaps under 0.3 s closed), a rough stand-in for word timings which the 0.25 s collar
mostly absorbs. It is the same for every system compared.

The sets are split in two: ``tune`` (built from TIMIT voices, plus the first long mix) is what
the clustering thresholds were chosen on; ``check`` (the real recordings and the second long
mix) was only run afterwards.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from pyannote.core import Annotation, Segment

from soundbite.speech.pcm import pcm_blocks

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "tests" / "data" / "media"
PHONE = MEDIA / "pyannote_sample_2spk_phone.wav"
PHONE_RTTM = ROOT / "tests" / "data" / "audio" / "pyannote_sample_2spk_phone.rttm"
TIMIT = ROOT.parent / "shared" / "data" / "timit-sample"
RATE = 16_000
GAP_S = 0.5
FILES = {
    "jfk": "jfk_ask_not.flac",
    "libri61": "librispeech_61-70968-0000.flac",
    "sonnet": "librivox_sonnet001_en.mp3",
    "german": "librivox_simplicissimus_de.mp3",
    "spanish": "mls_es_13697_11991_000000.opus",
}
CALLERS = {"diane": "speaker90", "sheila": "speaker91"}


@dataclass
class Case:
    name: str
    group: str
    wav: Path
    reference: Annotation
    seconds: float
    split: str  # "tune" or "check"


@dataclass
class Voice:
    """One speaker's audio (float32, 16 kHz) and where in it they speak (seconds)."""

    name: str
    samples: np.ndarray
    speech: list[tuple[float, float]]

    def part(self, start_s: float, end_s: float) -> Voice:
        a, b = round(start_s * RATE), round(end_s * RATE)
        speech = [
            (max(s, start_s) - start_s, min(e, end_s) - start_s)
            for s, e in self.speech
            if e > start_s and s < end_s
        ]
        return Voice(self.name, self.samples[a:b], speech)


def read_rttm(path: Path) -> Annotation:
    ref = Annotation()
    for line in path.read_text().splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            ref[Segment(start, start + dur)] = f[7]
    return ref


def decode(path: Path) -> np.ndarray:
    return np.concatenate([b[0] for b in pcm_blocks(path)]).astype(np.float32)


def energy_speech(samples: np.ndarray) -> list[tuple[float, float]]:
    frame = RATE // 50  # 20 ms
    n = len(samples) // frame
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    threshold = max(np.percentile(db, 98) - 30, np.percentile(db, 10) + 10)
    spans: list[tuple[float, float]] = []
    for i in np.flatnonzero(db > threshold):
        start, end = i / 50, (i + 1) / 50
        if spans and start - spans[-1][1] < 0.3:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [(s, e) for s, e in spans if e - s >= 0.15]


@cache
def voice(name: str) -> Voice:
    """A named voice: a file of tests/data/media, a TIMIT speaker ("dr1-fvmh0", its four
    sentences run together) or one of the phone call's two callers (their turns that nobody
    talks over, run together)."""
    if name in FILES:
        samples = decode(MEDIA / FILES[name])
        return Voice(name, samples, energy_speech(samples))
    if name in CALLERS:
        call = decode(PHONE)
        turns = read_rttm(PHONE_RTTM)
        mine = turns.label_timeline(CALLERS[name]).support()
        others = Annotation()
        for seg, _, who in turns.itertracks(yield_label=True):
            if who != CALLERS[name]:
                others[seg] = who
        clear = mine.extrude(others.get_timeline().support())
        pieces, speech, at = [], [], 0.0
        for seg in clear:
            if seg.duration < 0.5:
                continue
            pad = 0.1  # a little room around the labelled turn
            a, b = max(0.0, seg.start - pad), seg.end + pad
            pieces.append(call[round(a * RATE) : round(b * RATE)])
            speech.append((at + pad, at + pad + seg.duration))
            at += b - a
        return Voice(name, np.concatenate(pieces), speech)
    pieces, speech, at = [], [], 0.0
    for wav in sorted(TIMIT.glob(f"{name}-*.wav")):
        with wave.open(str(wav)) as w:
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2") / 32768.0
        words = [line.split() for line in wav.with_suffix(".wrd").read_text().splitlines()]
        first, last = int(words[0][0]), int(words[-1][1])
        pieces.append(samples[first:last].astype(np.float32))
        speech.append((at, at + (last - first) / RATE))
        at += (last - first) / RATE + 0.3
        pieces.append(np.zeros(round(0.3 * RATE), np.float32))
    return Voice(name, np.concatenate(pieces), speech)


def halves(name: str) -> tuple[Voice, Voice]:
    """A voice cut in two at the pause nearest its middle."""
    v = voice(name)
    middle = len(v.samples) / RATE / 2
    pauses = [(a[1] + b[0]) / 2 for a, b in zip(v.speech, v.speech[1:], strict=False)]
    cut = min(pauses, key=lambda t: abs(t - middle))
    return v.part(0, cut), v.part(cut, len(v.samples) / RATE)


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def mix(pieces: list[Voice], out: Path, name: str, group: str, split: str) -> Case:
    """The pieces one after another, 0.5 s of silence between them, and who speaks when."""
    audio, ref, at = [], Annotation(), 0.0
    gap = np.zeros(round(GAP_S * RATE), np.float32)
    for piece in pieces:
        for s, e in piece.speech:
            ref[Segment(at + s, at + e)] = piece.name
        audio += [piece.samples, gap]
        at += (len(piece.samples) + len(gap)) / RATE
    samples = np.concatenate(audio)
    write_wav(out, samples)
    return Case(name, group, out, ref, len(samples) / RATE, split)


def long_mix(
    names: list[str], minutes: float, seed: int, out: Path, split: str, group: str = "long mix"
) -> Case:
    """Random crops of the voices in a random order (never the same voice twice running)."""
    rng = np.random.default_rng(seed)
    pieces: list[Voice] = []
    total, last = 0.0, ""
    while total < minutes * 60:
        name = rng.choice([n for n in names if n != last])
        v = voice(name)
        length = len(v.samples) / RATE
        crop = min(length, rng.uniform(2, 20))
        start = rng.uniform(0, length - crop)
        piece = v.part(start, start + crop)
        gain = 10 ** (rng.uniform(-6, 3) / 20)
        noise = rng.normal(0, 10 ** (rng.uniform(-70, -55) / 20), len(piece.samples))
        piece.samples = (piece.samples * gain + noise).astype(np.float32)
        pieces.append(piece)
        total += crop + GAP_S
        last = name
    label = f"long mix, {len(names)} voices, {minutes:g} min"
    return mix(pieces, out, label, group, split)


def cases(tmp: Path, *, long: bool = True) -> list[Case]:
    """The evaluation set, written as WAV files into `tmp`."""
    out: list[Case] = []

    def add(pieces: list[Voice], group: str, split: str) -> None:
        # "jfk" for a whole recording, "jfk'" for a part of it
        name = "+".join(p.name + ("" if p is voice(p.name) else "'") for p in pieces)
        out.append(mix(pieces, tmp / f"mix{len(out)}.wav", name, group, split))

    # tune: TIMIT voices (four sentences each, about 12 s)
    for a, b in [
        ("dr1-fvmh0", "dr1-mcpm0"),
        ("dr3-falk0", "dr4-falr0"),
        ("dr2-marc0", "dr5-mbgt0"),
    ]:
        a1, a2 = halves(a)
        add([a1, voice(b), a2], "A-B-A", "tune")
    for a, b, c in [
        ("dr6-fapb0", "dr6-mbma1", "dr7-fblv0"),
        ("dr7-madd0", "dr8-fbcg1", "dr8-mbcg0"),
    ]:
        a1, a2 = halves(a)
        b1, b2 = halves(b)
        add([a1, b1, a2, b2, voice(c)], "A-B-A-B-C", "tune")
    for a in ["dr2-faem0", "dr3-madc0"]:
        add([voice(a)], "one voice", "tune")
    # check: the real recordings
    add([voice("jfk"), voice("libri61"), voice("jfk")], "A-B-A", "check")  # the reported fault
    j1, j2 = halves("jfk")
    add([j1, voice("libri61"), j2], "A-B-A", "check")
    s1, s2 = halves("sonnet")
    add([s1, voice("spanish"), s2], "A-B-A", "check")
    g1, g2 = halves("german")
    add([g1, voice("jfk"), g2], "A-B-A", "check")
    d1, d2 = halves("diane")
    add([d1, voice("sheila"), d2], "A-B-A", "check")
    add([s1, g1, s2, g2, voice("spanish")], "A-B-A-B-C", "check")
    add([j1, voice("sheila"), j2, voice("diane"), voice("libri61")], "A-B-A-B-C", "check")
    for name in ["jfk", "sonnet", "german", "spanish"]:
        add([voice(name)], "one voice", "check")
    if long:
        tune_voices = ["sonnet", "german", "dr1-fvmh0", "dr1-mcpm0", "dr4-maeb0"]
        out.append(long_mix(tune_voices, 25, 1, tmp / "long1.wav", "tune"))
        check_voices = ["jfk", "spanish", "diane", "sheila", "dr3-falk0", "dr7-madd0"]
        out.append(long_mix(check_voices, 30, 2, tmp / "long2.wav", "check"))
        # two voices for a long while: an interview (added with the sparse spectral clustering,
        # which has no threshold of its own to tune; the TIMIT pair is on the tune side anyway)
        for n, (pair, minutes, split) in enumerate(
            [
                (["diane", "sheila"], 30, "check"),
                (["sonnet", "german"], 40, "check"),
                (["dr1-fvmh0", "dr1-mcpm0"], 30, "tune"),
            ]
        ):
            wav = tmp / f"two{n}.wav"
            out.append(long_mix(pair, minutes, 4 + n, wav, split, "long two-party"))
    return out
