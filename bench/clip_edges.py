"""Benchmark: do clips start and end on whole words? Ours (refined word boundaries, cut in the
pause) against the anchor (Whisper's own word times, cut at the word ± today's 200 ms padding).

    .venv/bin/python bench/clip_edges.py [--spans 60] [--seed 10] [--only clips|timit]

Clips. For every recording in the shared test audio (English, German, Spanish, a two-speaker
phone call) and variants we make of them (the same audio with pink noise 10 dB under the
speech, and the English recordings joined into one long file), the recording is transcribed
twice with the same model instance: with refined boundaries (ours) and without (the anchor).
`--spans` random spans per recording set (seeded), of 3-15 s each, are snapped by
`domain.clips.snap` on our transcript; the anchor keeps the rule as it was (the words the span
touches, each edge at the word's time ± 200 ms, never into a neighbour). Each clip is rendered
by `media.render.render_clip` (MP3, 20 ms fades) and transcribed again; a clip is clean when
the first and last words heard equal the first and last words of the clip's text (lower case,
no punctuation). Ours %, anchor %, and their ratio; then the same counting a clip clean also
when the model hears its edges right with 0.5 s of silence around it (a listening proxy: the
model drops or mishears a word at the very start or end of a file that the audio holds
whole). Each failing clip is printed, marked when it is clean with silence around. TIMIT
files with bursts of full-scale noise (a broken conversion) are skipped.

TIMIT. Hand-labelled word boundaries of 64 read utterances (../shared/data/timit-sample, bench
use only, never copied into the repository): each utterance is transcribed with and without
refinement, words are matched to the labels by normalised text in order, and the error of every
matched word start and end is pooled: median and 90th percentile in ms, ours and the anchor.
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import re
import statistics
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper.audio import decode_audio

from soundbite.domain import clips as rules
from soundbite.domain.transcript import Segment, Transcript
from soundbite.media.render import RenderProfile, render_clip
from soundbite.speech.model import ModelOptions, load_model
from soundbite.speech.transcribe import transcribe

ROOT = Path(__file__).resolve().parent.parent
# the team's shared test data lives beside the repository (../shared), wherever it is checked out
SHARED = ROOT.parent / "shared"
AUDIO = SHARED / "testdata" / "audio"
TIMIT = SHARED / "data" / "timit-sample"
SUFFIXES = {".flac", ".mp3", ".wav", ".opus"}
LANGUAGE = re.compile(r"(?:^|_)(de|es)(?:_|$)")
ANCHOR_PAD_MS = 200
PAD_S = 0.5
MAX_MS = 300_000


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("'", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


@dataclass
class Recording:
    name: str
    path: Path
    language: str | None


def recordings(work: Path) -> list[tuple[str, list[Recording]]]:
    """Recording sets: the originals, the originals with noise, one long English file."""
    originals = [
        Recording(p.stem, p, (m.group(1) if (m := LANGUAGE.search(p.stem)) else "en"))
        for p in sorted(AUDIO.iterdir())
        if p.suffix in SUFFIXES
    ]
    rng = np.random.default_rng(7)
    noisy = []
    for r in originals:
        audio = decode_audio(str(r.path), sampling_rate=16000)
        out = work / f"{r.name}_noisy.wav"
        _write_wav(out, audio + _pink_noise(rng, len(audio), _speech_rms(audio) / 10 ** (10 / 20)))
        noisy.append(Recording(out.stem, out, r.language))
    joined = work / "english_joined.wav"
    _write_wav(
        joined,
        np.concatenate(
            [
                decode_audio(str(r.path), sampling_rate=16000)
                for r in originals
                if r.language == "en"
            ]
        ),
    )
    return [
        ("original", originals),
        ("noisy (pink noise, 10 dB SNR)", noisy),
        ("long (English joined)", [Recording("english_joined", joined, "en")]),
    ]


def _speech_rms(audio: np.ndarray) -> float:
    """RMS of the louder half of the 10 ms frames: the speech, not the pauses."""
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    return float(np.sqrt(np.mean(power[power >= np.median(power)])))


def _pink_noise(rng: np.random.Generator, n: int, rms: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return (noise / np.sqrt(np.mean(noise**2)) * rms).astype(np.float32)


def _write_wav(path: Path, audio: np.ndarray) -> None:
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())


def heard(path: Path, options: ModelOptions, language: str | None) -> list[str]:
    t = transcribe(path, options, language=language, refine=False)
    return normalise(t.text).split()


def heard_padded(path: Path, options: ModelOptions, language: str | None) -> list[str]:
    """What the model hears with `PAD_S` of silence before and after the clip: a listener hears
    a clip's first word after the player starts and its last before it stops, while the model,
    given a file that begins with speech, drops or mishears an edge word the audio holds whole
    (a clip whose padded version is clean and unpadded version is not is a measurement
    artefact, not a cut word; both figures are printed)."""
    audio = decode_audio(str(path), sampling_rate=16000)
    silence = np.zeros(round(PAD_S * 16000), np.float32)
    padded = path.with_name(path.stem + "-padded.wav")
    _write_wav(padded, np.concatenate([silence, audio, silence]))
    return heard(padded, options, language)


def _same_edges(heard_words: list[str], expected: list[str]) -> bool:
    return bool(heard_words) and (heard_words[0], heard_words[-1]) == (expected[0], expected[-1])


def clip_words(snapped: rules.Snapped) -> list[str]:
    return normalise(" ".join(w.text for w in snapped.words)).split()


def run_clips(options: ModelOptions, spans: int, seed: int, work: Path) -> None:
    rng = random.Random(seed)
    totals = {"ours": [0, 0], "anchor": [0, 0]}
    padded_totals = {"ours": [0, 0], "anchor": [0, 0]}
    for set_name, recs in recordings(work):
        transcripts: dict[str, tuple[Recording, Transcript, Transcript]] = {}
        for r in recs:
            ours = transcribe(r.path, options, language=r.language)
            anchor = transcribe(r.path, options, language=r.language, refine=False)
            transcripts[r.name] = (r, ours, anchor)
        tally = {"ours": [0, 0], "anchor": [0, 0]}
        padded = {"ours": [0, 0], "anchor": [0, 0]}
        names = sorted(transcripts)
        for k in range(spans):
            r, ours, anchor = transcripts[names[k % len(names)]]
            duration_ms = round(len(decode_audio(str(r.path), sampling_rate=16000)) / 16)
            words = ours.words
            length = rng.randint(3000, min(15000, duration_ms - 500))
            start = rng.randint(0, duration_ms - length)
            span = rules.Span(start, start + length)
            for who, t, pad in (
                ("ours", ours, rules.EDGE_PAD_MS),
                ("anchor", anchor, ANCHOR_PAD_MS),
            ):
                snapped = _snap(span, t.segments, duration_ms, who, pad)
                expected = clip_words(snapped)
                if not expected or not words:
                    continue
                out = work / f"clip-{who}.mp3"
                render_clip(r.path, snapped.start_ms, snapped.end_ms, out, RenderProfile())
                got = heard(out, options, r.language)
                clean = _same_edges(got, expected)
                tally[who][0] += clean
                tally[who][1] += 1
                padded_clean = clean
                if not clean:
                    again = heard_padded(out, options, r.language)
                    padded_clean = _same_edges(again, expected)
                    print(
                        f"    {who:6} {r.name} {snapped.start_ms}-{snapped.end_ms}: "
                        f"text [{expected[0]} … {expected[-1]}] heard "
                        f"[{got[0] if got else ''} … {got[-1] if got else ''}]"
                        f"{' (clean with silence around)' if padded_clean else ''}",
                        flush=True,
                    )
                padded[who][0] += padded_clean
                padded[who][1] += 1
        for who in tally:
            for k in (0, 1):
                totals[who][k] += tally[who][k]
                padded_totals[who][k] += padded[who][k]
        _print_clean(set_name, tally)
        _print_clean(f"{set_name}, heard with {PAD_S} s of silence around", padded)
    _print_clean("all", totals)
    _print_clean(f"all, heard with {PAD_S} s of silence around", padded_totals)


def _snap(
    span: rules.Span, segments: tuple[Segment, ...], duration_ms: int, who: str, pad: int
) -> rules.Snapped:
    if who == "ours":
        return rules.snap(span, segments, "word", episode_ms=duration_ms, max_ms=MAX_MS)
    # the anchor: the rule as it was, the words the span touches, each edge at the word's time
    # ± `pad`, never into a neighbour
    words = [w for s in segments for w in s.words]
    inside = [
        i for i, w in enumerate(words) if w.end_ms > span.start_ms and w.start_ms < span.end_ms
    ]
    if not inside:
        return rules.Snapped(span.start_ms, span.end_ms, ())
    first, last = inside[0], inside[-1]
    floor = words[first - 1].end_ms if first > 0 else 0
    start = max(words[first].start_ms - pad, min(floor, words[first].start_ms), 0)
    end = words[last].end_ms
    ceiling = words[last + 1].start_ms if last + 1 < len(words) else duration_ms
    end = min(end + pad, max(ceiling, end), duration_ms)
    return rules.Snapped(start, end, tuple(words[first : last + 1]))


def _print_clean(name: str, tally: dict[str, list[int]]) -> None:
    ours = tally["ours"][0] / max(tally["ours"][1], 1)
    anchor = tally["anchor"][0] / max(tally["anchor"][1], 1)
    ratio = ours / anchor if anchor else float("inf")
    print(
        f"clean clips, {name}: ours {100 * ours:.1f} % ({tally['ours'][0]}/{tally['ours'][1]}), "
        f"anchor {100 * anchor:.1f} % ({tally['anchor'][0]}/{tally['anchor'][1]}), "
        f"ratio {ratio:.2f}",
        flush=True,
    )


def run_timit(options: ModelOptions) -> None:
    errors: dict[str, list[float]] = {"ours": [], "anchor": []}
    missed = 0
    wavs = sorted(TIMIT.glob("*.wav"))
    damaged = [wav for wav in wavs if _damaged(wav)]
    print(f"TIMIT: {len(wavs)} utterances, {len(damaged)} skipped as damaged", flush=True)
    for wav in wavs:
        if wav in damaged:
            continue
        labels = [line.split() for line in wav.with_suffix(".wrd").read_text().splitlines()]
        ref = [(int(a) / 16, int(b) / 16, normalise(w)) for a, b, w in labels]
        for who, refine in (("ours", True), ("anchor", False)):
            t = transcribe(wav, options, language="en", refine=refine)
            hyp = [(w.start_ms, w.end_ms, normalise(w.text)) for w in t.words]
            matcher = difflib.SequenceMatcher(
                a=[r[2] for r in ref], b=[h[2] for h in hyp], autojunk=False
            )
            for block in matcher.get_matching_blocks():
                for k in range(block.size):
                    r, h = ref[block.a + k], hyp[block.b + k]
                    errors[who].extend((abs(h[0] - r[0]), abs(h[1] - r[1])))
            if who == "ours":
                missed += len(ref) - sum(b.size for b in matcher.get_matching_blocks())
    for who in errors:
        e = errors[who]
        print(
            f"TIMIT boundary error, {who}: median {statistics.median(e):.0f} ms, "
            f"p90 {np.percentile(e, 90):.0f} ms, mean {statistics.mean(e):.0f} ms "
            f"({len(e)} boundaries)",
            flush=True,
        )
    ours, anchor = statistics.median(errors["ours"]), statistics.median(errors["anchor"])
    print(f"TIMIT median error ratio ours/anchor: {ours / anchor:.2f} ({missed} words unmatched)")


def _damaged(wav: Path) -> bool:
    """Some files of the sample hold bursts of full-scale noise (a broken conversion): more
    than 5 % of their 10 ms frames are louder than -10 dBFS, which read speech never is."""
    audio = decode_audio(str(wav), sampling_rate=16000)
    frames = audio[: len(audio) // 160 * 160].reshape(-1, 160)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    return bool(np.mean(db > -10) > 0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=60, help="random spans per recording set")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--only", choices=("clips", "timit"))
    default_cache = os.environ.get("SOUNDBITE_MODEL_DIR", "/tmp/soundbite-bench-models")
    parser.add_argument("--cache-dir", type=Path, default=Path(default_cache))
    args = parser.parse_args()
    options = ModelOptions(cache_dir=args.cache_dir)
    load_model(options)
    began = time.monotonic()
    if args.only != "clips":
        run_timit(options)
    if args.only != "timit":
        with tempfile.TemporaryDirectory() as tmp:
            run_clips(options, args.spans, args.seed, Path(tmp))
    print(f"({time.monotonic() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
