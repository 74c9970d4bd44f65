"""Benchmark: our `transcribe` against plain faster-whisper, same model, same files, one run.

    .venv/bin/python bench/transcribe.py [--repeat 3] [--check] [--audio DIR]

"Plain" is what the faster-whisper README shows, with word timestamps since we need them:
`WhisperModel(...).transcribe(path, word_timestamps=True)` and its defaults (sequential 30 s
windows, beam 5, temperature fallback, no VAD). Both use the one model instance `load_model`
returns, warmed up before any timing, so loading is counted for neither.

Speed is the real-time factor (processing time / audio duration; lower is faster). The machine is
shared, so each file is run `--repeat` times, ours and plain alternating, and the fastest run of
each counts: it is the one least disturbed by other work. Accuracy is the word error rate against
the reference `.txt` beside each recording, after lower-casing and removing punctuation on both
sides (jiwer); totals pool all words, so long files weigh more. English files form the headline;
other languages are reported separately. `--check` exits 1 unless ours is at least 1.5x faster
than plain with a word error rate no worse, on the English total.

The recordings are short (5-68 s), so fixed costs per file weigh more than they would on an
episode. `--long` adds one more input closer to a podcast: the English recordings joined three
times over (about 5 minutes), reported on its own and not part of the target.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import jiwer
import numpy as np
from faster_whisper.audio import decode_audio

from soundbite.speech.model import ModelOptions, load_model
from soundbite.speech.transcribe import transcribe

ROOT = Path(__file__).resolve().parent.parent
AUDIO_DIRS = (Path("/work/shared/testdata/audio"), ROOT / "tests" / "data" / "audio")
AUDIO_SUFFIXES = {".flac", ".mp3", ".wav", ".opus", ".ogg", ".m4a"}
# A language token in the file name ("..._de.mp3", "mls_es_..."); anything else is English.
LANGUAGE_TOKEN = re.compile(r"(?:^|_)(de|es|fr|it|nl|pt)(?:_|$)")
TARGET_SPEEDUP = 1.5


@dataclass
class Result:
    path: Path
    language: str
    duration_s: float
    reference: str
    times: dict[str, list[float]] = field(default_factory=lambda: {"ours": [], "plain": []})
    texts: dict[str, str] = field(default_factory=dict)

    def rtf(self, who: str) -> float:
        return min(self.times[who]) / self.duration_s

    def wer(self, who: str) -> float:
        return float(jiwer.wer(normalise(self.reference), normalise(self.texts[who])))


def normalise(text: str) -> str:
    """Lower case, no punctuation; apostrophes dropped ("beauty's" = "beautys") on both sides.

    Numbers are left alone: the sonnet reference writes its number as "1", as Whisper does.
    """
    text = text.lower().replace("’", "'").replace("'", "")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def find_recordings(audio_dir: Path | None) -> list[Result]:
    folders = (audio_dir,) if audio_dir else AUDIO_DIRS
    folder = next((f for f in folders if f and f.is_dir()), None)
    if folder is None:
        sys.exit(f"no audio folder found (tried {', '.join(str(f) for f in folders)})")
    results = []
    for path in sorted(folder.iterdir()):
        reference = path.with_suffix(".txt")
        if path.suffix.lower() not in AUDIO_SUFFIXES or not reference.exists():
            continue
        token = LANGUAGE_TOKEN.search(path.stem)
        duration = len(decode_audio(str(path))) / 16_000
        results.append(
            Result(path, token.group(1) if token else "en", duration, reference.read_text())
        )
    if not results:
        sys.exit(f"no recordings with a reference .txt in {folder}")
    return results


def joined_recording(results: list[Result], folder: Path, times: int = 3) -> Result:
    """The English recordings end to end, `times` over, with a second of silence between."""
    pieces: list[np.ndarray] = []
    for _ in range(times):
        for r in results:
            pieces += [decode_audio(str(r.path)), np.zeros(16_000, dtype=np.float32)]
    audio = np.concatenate(pieces)
    path = folder / "joined_english.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    reference = " ".join(r.reference for r in results)
    return Result(path, "en", len(audio) / 16_000, " ".join([reference] * times))


def run(results: list[Result], options: ModelOptions, repeat: int) -> None:
    model = load_model(options)

    def plain(r: Result) -> str:
        segments, _ = model.transcribe(str(r.path), word_timestamps=True)
        return " ".join(s.text.strip() for s in segments)  # the generator does the work

    def ours(r: Result) -> str:
        return transcribe(r.path, options).text

    shortest = min(results, key=lambda r: r.duration_s)
    plain(shortest), ours(shortest)  # warm-up: first-call allocations, VAD model load
    for round_ in range(repeat):
        for r in results:
            # Alternate who goes first so neither always runs right after the other.
            order = (("ours", ours), ("plain", plain))
            for who, fn in order if round_ % 2 == 0 else order[::-1]:
                started = time.perf_counter()
                r.texts[who] = fn(r)
                r.times[who].append(time.perf_counter() - started)
            print(".", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)


def pooled_wer(results: list[Result], who: str) -> float:
    refs = [normalise(r.reference) for r in results]
    return float(jiwer.wer(refs, [normalise(r.texts[who]) for r in results]))


def report(title: str, results: list[Result]) -> tuple[float, float, float]:
    """Print one table; return (speed ratio, WER ours, WER plain) of its total."""
    print(f"\n{title}")
    header = f"{'file':34} {'lang':4} {'audio s':>7}  {'RTF ours':>8} {'RTF plain':>9} "
    header += f"{'speed-up':>8}  {'WER ours':>8} {'WER plain':>9}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.path.name[:34]:34} {r.language:4} {r.duration_s:7.1f}  {r.rtf('ours'):8.3f} "
            f"{r.rtf('plain'):9.3f} {r.rtf('plain') / r.rtf('ours'):7.2f}x  "
            f"{r.wer('ours'):8.3f} {r.wer('plain'):9.3f}"
        )
    audio = sum(r.duration_s for r in results)
    ours = sum(min(r.times["ours"]) for r in results)
    plain = sum(min(r.times["plain"]) for r in results)
    wer_ours, wer_plain = pooled_wer(results, "ours"), pooled_wer(results, "plain")
    print("-" * len(header))
    print(
        f"{'total':34} {'':4} {audio:7.1f}  {ours / audio:8.3f} {plain / audio:9.3f} "
        f"{plain / ours:7.2f}x  {wer_ours:8.3f} {wer_plain:9.3f}"
    )
    spread = statistics.median(
        (max(t) - min(t)) / min(t) for r in results for t in r.times.values()
    )
    print(f"(fastest of each file's runs; median spread between runs {spread:.0%})")
    return plain / ours, wer_ours, wer_plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per file and method")
    parser.add_argument("--audio", type=Path, help="folder of recordings with .txt references")
    default_cache = os.environ.get("SOUNDBITE_MODEL_DIR", "/tmp/soundbite-bench-models")
    parser.add_argument("--cache-dir", type=Path, default=Path(default_cache))
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    parser.add_argument("--long", action="store_true", help="also time a ~5 minute input")
    args = parser.parse_args()

    options = ModelOptions(cache_dir=args.cache_dir)
    results = find_recordings(args.audio)
    print(
        f"model {options.name} ({options.compute_type}, {options.device}), "
        f"faster-whisper {version('faster-whisper')}, ctranslate2 {version('ctranslate2')}, "
        f"{os.cpu_count()} CPUs, {args.repeat} runs per file",
        flush=True,  # before the progress dots on stderr
    )
    english = [r for r in results if r.language == "en"]
    others = [r for r in results if r.language != "en"]
    with tempfile.TemporaryDirectory() as scratch:
        joined = [joined_recording(english, Path(scratch))] if args.long and english else []
        run(results + joined, options, max(1, args.repeat))

    ratio, wer_ours, wer_plain = report("English", english) if english else (0.0, 1.0, 0.0)
    if others:
        report("Other languages (not part of the target)", others)
    if joined:
        report("English recordings joined into one long input (not part of the target)", joined)
    met = ratio >= TARGET_SPEEDUP and wer_ours <= wer_plain
    print(
        f"\ntarget: >= {TARGET_SPEEDUP}x faster at a WER no worse (English total): "
        f"{ratio:.2f}x, WER {wer_ours:.3f} vs {wer_plain:.3f} -> {'met' if met else 'NOT met'}"
    )
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
