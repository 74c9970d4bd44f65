"""Benchmark: our `transcribe` against faster-whisper's own two ways, same model, same files.

    .venv/bin/python bench/transcribe.py [--repeat 3] [--check] [--audio DIR] [--models base,small]
                                         [--no-add] [--no-plain] [--no-long]

Three ways to get timed words out of the same loaded model:

- **ours**: `soundbite.speech.transcribe.transcribe`.
- **batched** (the anchor): what a user of faster-whisper would write today, the library's own
  best mode: `BatchedInferencePipeline(model).transcribe(path, batch_size=8,
  word_timestamps=True)` (its VAD, its language detection, its defaults).
- **plain**: the faster-whisper README's sequential loop, `model.transcribe(path,
  word_timestamps=True)` (30 s windows in order, beam 5, temperature fallback, no VAD).

All use the one model instance `load_model` returns, warmed up before any timing, so loading is
counted for none of them. **add** is our whole pipeline as a user runs it: `soundbite add FILE`
in a fresh process with an empty data folder (start-up, model load, probe, peaks, transcribe,
analyze, index), timed from outside; the model cache folder is shared, so its one-time unpacking
is not counted. The issue compared that figure against the anchor's `transcribe`.

Speed is the real-time factor (processing time / audio duration; lower is faster). The machine is
shared, so each file is run `--repeat` times, the methods interleaved in a rotating order, and the
median run counts. The `CPU` column is the anchor's CPU seconds (all threads of this process)
over ours: the work each does, which the other jobs on a shared machine disturb less than the
wall clock (the verdict still goes by the wall clock). Accuracy is the word error rate against
the reference `.txt` beside each recording, after lower-casing and removing punctuation on both
sides (jiwer); totals pool all words, so long files weigh more.

Groups: English recordings, other languages, and one long input (the English recordings joined
three times over with pauses, about 5 minutes) since the per-file costs dominate short files.
`--check` exits 1 unless, on each group, ours is at least 1.2x faster than the anchor at a WER
no worse than the anchor's + 0.005.

`--models base,small` also runs ours with other models (any SOUNDBITE_WHISPER_MODEL value) and
prints their RTF and WER beside base's; a model that cannot be loaded is reported, not fatal.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version
from pathlib import Path

import jiwer
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.audio import decode_audio

from soundbite.errors import ModelError
from soundbite.speech.model import ModelOptions, load_model
from soundbite.speech.transcribe import transcribe

ROOT = Path(__file__).resolve().parent.parent
# the team's shared test data lives beside the repository (../shared), wherever it is checked out
SHARED = ROOT.parent / "shared"
AUDIO_DIRS = (SHARED / "testdata" / "audio", ROOT / "tests" / "data" / "audio")
AUDIO_SUFFIXES = {".flac", ".mp3", ".wav", ".opus", ".ogg", ".m4a"}
# A language token in the file name ("..._de.mp3", "mls_es_..."); anything else is English.
LANGUAGE_TOKEN = re.compile(r"(?:^|_)(de|es|fr|it|nl|pt)(?:_|$)")
TARGET_SPEEDUP = 1.2
WER_MARGIN = 0.005
PAUSE_S = 2.0  # between recordings in the long input
METHODS = ("ours", "add", "batched", "plain")


@dataclass
class Result:
    path: Path
    language: str
    duration_s: float
    reference: str
    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # CPU seconds, all threads
    texts: dict[str, str] = field(default_factory=dict)

    def seconds(self, who: str) -> float:
        return statistics.median(self.times[who])

    def rtf(self, who: str) -> float:
        return self.seconds(who) / self.duration_s

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
    """The recordings end to end, `times` over, with PAUSE_S of silence between."""
    pieces: list[np.ndarray] = []
    for _ in range(times):
        for r in results:
            pieces += [decode_audio(str(r.path)), np.zeros(int(PAUSE_S * 16_000), np.float32)]
    audio = np.concatenate(pieces)
    path = folder / f"joined_{results[0].language}.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    reference = " ".join(r.reference for r in results)
    return Result(path, results[0].language, len(audio) / 16_000, " ".join([reference] * times))


def whole_add(path: Path, cache_dir: Path, model: str) -> str:
    """`soundbite add` in a fresh process and data folder; returns nothing worth scoring."""
    with tempfile.TemporaryDirectory() as data_dir:
        env = os.environ | {
            "SOUNDBITE_DATA_DIR": data_dir,
            "SOUNDBITE_MODEL_DIR": str(cache_dir),
            "SOUNDBITE_WHISPER_MODEL": model,
            "SOUNDBITE_WORKERS": "1",
        }
        done = subprocess.run(
            [sys.executable, "-m", "soundbite", "add", str(path), "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or '"failed": []' not in done.stdout:
            sys.exit(f"soundbite add {path.name} failed:\n{done.stdout}\n{done.stderr}")
    return ""


def transcribe_text(r: Result, options: ModelOptions) -> str:
    return transcribe(r.path, options).text


def methods(options: ModelOptions, model: WhisperModel) -> dict[str, Callable[[Result], str]]:
    batched_pipeline = BatchedInferencePipeline(model)

    def ours(r: Result) -> str:
        return transcribe_text(r, options)

    def add(r: Result) -> str:
        return whole_add(r.path, options.cache_dir, options.name)

    def batched(r: Result) -> str:
        segments, _ = batched_pipeline.transcribe(str(r.path), batch_size=8, word_timestamps=True)
        return " ".join(s.text.strip() for s in segments)  # the generator does the work

    def plain(r: Result) -> str:
        segments, _ = model.transcribe(str(r.path), word_timestamps=True)
        return " ".join(s.text.strip() for s in segments)

    return {"ours": ours, "add": add, "batched": batched, "plain": plain}


def run(results: list[Result], fns: dict[str, Callable[[Result], str]], repeat: int) -> None:
    shortest = min(results, key=lambda r: r.duration_s)
    for fn in fns.values():
        fn(shortest)  # warm-up: first-call allocations, VAD model load, model unpacking
    names = list(fns)
    for round_ in range(repeat):
        for r in results:
            # Rotate who goes first so that none always runs right after another.
            k = round_ % len(names)
            for who in names[k:] + names[:k]:
                started, cpu_started = time.perf_counter(), time.process_time()
                text = fns[who](r)
                r.times.setdefault(who, []).append(time.perf_counter() - started)
                r.cpu.setdefault(who, []).append(time.process_time() - cpu_started)
                if who != "add":
                    r.texts[who] = text
            print(".", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)


def pooled_wer(results: list[Result], who: str) -> float:
    refs = [normalise(r.reference) for r in results]
    return float(jiwer.wer(refs, [normalise(r.texts[who]) for r in results]))


def total_rtf(results: list[Result], who: str) -> float:
    return sum(r.seconds(who) for r in results) / sum(r.duration_s for r in results)


def cpu_ratio(results: list[Result], who: str) -> float:
    """The anchor's CPU seconds over `who`'s (medians per file): how much less work ours does,
    which the other jobs on a shared machine disturb less than the wall clock."""
    anchor = sum(statistics.median(r.cpu["batched"]) for r in results)
    return anchor / sum(statistics.median(r.cpu[who]) for r in results)


@dataclass
class Verdict:
    group: str
    speedup: float
    speedup_cpu: float
    speedup_add: float
    wer_ours: float
    wer_batched: float

    @property
    def met(self) -> bool:
        return self.speedup >= TARGET_SPEEDUP and self.wer_ours <= self.wer_batched + WER_MARGIN


def report(title: str, results: list[Result], who: list[str]) -> Verdict:
    """Print one table of RTF and WER per file and in total; return the group's verdict."""
    print(f"\n{title}")
    rtf_cols = "".join(f" {'RTF ' + w:>11}" for w in who)
    wer_cols = "".join(f" {'WER ' + w:>11}" for w in who if w != "add")
    header = f"{'file':32} {'audio s':>7} {rtf_cols}  {'ours/batched':>12} {'CPU':>6}{wer_cols}"
    print(header)
    print("-" * len(header))
    rows = [(r.path.name[:32], [r], r.duration_s) for r in results]
    rows.append(("total", results, sum(r.duration_s for r in results)))
    for i, (name, group, audio) in enumerate(rows):
        if i == len(rows) - 1:
            print("-" * len(header))
        rtfs = {w: total_rtf(group, w) for w in who}
        line = f"{name:32} {audio:7.1f} " + "".join(f" {rtfs[w]:11.3f}" for w in who)
        line += f"  {rtfs['batched'] / rtfs['ours']:11.2f}x {cpu_ratio(group, 'ours'):5.2f}x"
        line += "".join(f" {pooled_wer(group, w):11.3f}" for w in who if w != "add")
        print(line)
    spread = statistics.median(
        (max(t) - min(t)) / min(t) for r in results for t in r.times.values()
    )
    print(f"(median of each file's runs; median spread between runs {spread:.0%})")
    return Verdict(
        title,
        total_rtf(results, "batched") / total_rtf(results, "ours"),
        cpu_ratio(results, "ours"),
        total_rtf(results, "batched") / total_rtf(results, "add") if "add" in who else 0.0,
        pooled_wer(results, "ours"),
        pooled_wer(results, "batched"),
    )


def compare_models(groups: dict[str, list[Result]], runs: dict[str, list[Result]]) -> None:
    print("\nOurs by model (RTF / WER per group)")
    print(f"{'model':10}" + "".join(f" {g:>24}" for g in groups))
    for name, results in runs.items():
        by_path = {r.path.name: r for r in results}
        cells = []
        for group in groups.values():
            mine = [by_path[r.path.name] for r in group]
            cells.append(f"{total_rtf(mine, 'ours'):8.3f} / {pooled_wer(mine, 'ours'):.3f}")
        print(f"{name:10}" + "".join(f" {c:>24}" for c in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per file and method")
    parser.add_argument("--audio", type=Path, help="folder of recordings with .txt references")
    default_cache = os.environ.get("SOUNDBITE_MODEL_DIR", "/tmp/soundbite-bench-models")
    parser.add_argument("--cache-dir", type=Path, default=Path(default_cache))
    parser.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    parser.add_argument("--no-long", action="store_true", help="skip the ~5 minute input")
    parser.add_argument("--no-add", action="store_true", help="skip timing `soundbite add`")
    parser.add_argument("--no-plain", action="store_true", help="skip the sequential loop")
    parser.add_argument(
        "--models", default="base", help="comma-separated models for ours (first: the anchor's)"
    )
    args = parser.parse_args()

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    options = ModelOptions(name=models[0], cache_dir=args.cache_dir)
    results = find_recordings(args.audio)
    print(
        f"model {options.name} ({options.compute_type}, {options.device}), "
        f"faster-whisper {version('faster-whisper')}, ctranslate2 {version('ctranslate2')}, "
        f"{os.cpu_count()} CPUs, {args.repeat} runs per file, load average "
        f"{os.getloadavg()[0]:.1f} at the start",
        flush=True,  # before the progress dots on stderr
    )
    english = [r for r in results if r.language == "en"]
    others = [r for r in results if r.language != "en"]
    fns = methods(options, load_model(options))
    if args.no_add:
        del fns["add"]
    if args.no_plain:
        del fns["plain"]
    who = [w for w in METHODS if w in fns]
    runs: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        joined = [] if args.no_long or not english else [joined_recording(english, Path(scratch))]
        run(results + joined, fns, max(1, args.repeat))
        runs[models[0]] = results + joined
        for name in models[1:]:
            extra = [Result(r.path, r.language, r.duration_s, r.reference) for r in runs[models[0]]]
            other = ModelOptions(name=name, cache_dir=args.cache_dir)
            try:
                load_model(other)
            except ModelError as exc:
                print(f"\nmodel {name}: not measured: {exc}")
                continue
            run(extra, {"ours": partial(transcribe_text, options=other)}, args.repeat)
            runs[name] = extra

    verdicts = [
        report(title, group, who)
        for title, group in (
            ("English", english),
            ("Other languages", others),
            ("English recordings joined into one long input", joined),
        )
        if group
    ]
    if len(runs) > 1:
        groups = {"English": english, "other": others, "long": joined}
        compare_models({g: rs for g, rs in groups.items() if rs}, runs)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (1 minute)")
    print(
        f"\ntarget: ours >= {TARGET_SPEEDUP}x faster than batched at a WER <= batched's "
        f"+ {WER_MARGIN} (transcribe to transcribe; whole `add` for information)"
    )
    for v in verdicts:
        add = f", whole add {v.speedup_add:.2f}x" if "add" in fns else ""
        print(
            f"  {v.group}: {v.speedup:.2f}x (CPU time {v.speedup_cpu:.2f}x){add}, "
            f"WER {v.wer_ours:.3f} vs {v.wer_batched:.3f}"
            f" -> {'met' if v.met else 'NOT met'}"
        )
    met = all(v.met for v in verdicts)
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
