"""Benchmark: peak memory of transcribing a long episode, streamed chunks against the old
whole-file decode.

    .venv/bin/python bench/long_episode.py [--hours 8] [--slice-minutes 10] [--check]

Makes a synthetic episode cheaply: the LibriVox sonnet (53 s of real speech, stereo MP3 64 kbps)
repeated by stream copy to `--hours` (8 h: 230 MB, made in seconds, no re-encoding). Then each
measurement runs in a fresh process, which reports its peak resident memory (VmHWM):

- on the whole episode, everything but Whisper's own decoding: the model loaded, the channel
  pass, the streamed decode, VAD and cutting into chunks (ours: `transcribe_chunks` with the
  Whisper call stubbed out), against the old path's `decode_audio` of the whole file and VAD
  over it, model loaded too (the anchor). Transcribing 8 hours on 2 shared cores takes about an
  hour per run, so Whisper itself is measured on a slice:
- on the first `--slice-minutes` of the episode, the full transcription: ours (`transcribe`)
  against the old `transcribe` (the module as it was at ANCHOR_COMMIT, loaded from git).

Whisper's memory per chunk does not grow with the episode (a chunk is 5 minutes however long the
file), so the 8-hour figure plus what the slice adds over its own decode is the estimate for a
full 8-hour transcription, and is printed as such. Memory does not vary run to run the way time
does, so each measurement runs once. `--check` exits 1 unless the estimate is at most 1 GB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the team's shared test data lives beside the repository (../shared), wherever it is checked out
SHARED = ROOT.parent / "shared"
SPEECH = SHARED / "testdata" / "audio" / "librivox_sonnet001_en.mp3"
if not SPEECH.exists():
    SPEECH = ROOT / "tests" / "data" / "audio" / "librivox_sonnet001_en.mp3"
ANCHOR_COMMIT = "bfc7d3b"  # transcribe.py before streaming: decode_audio of the whole file
TARGET_MB = 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--slice-minutes", type=float, default=10.0)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--measure", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure[0], Path(args.measure[1]))))
        return 0

    with tempfile.TemporaryDirectory(prefix="long-episode-") as tmp:
        episode = Path(tmp) / "episode.mp3"
        seconds = _make_episode(episode, args.hours * 3600)
        part = Path(tmp) / "slice.mp3"
        _ffmpeg("-i", str(episode), "-t", str(args.slice_minutes * 60), "-c", "copy", str(part))
        print(f"synthetic episode: {seconds / 3600:.2f} h, {episode.stat().st_size / 1e6:.0f} MB")
        rows = [
            ("decode+VAD+chunks, whole episode", "ours-pcm", "anchor-pcm", episode),
            (f"full transcription, first {args.slice_minutes:g} min", "ours", "anchor", part),
            (
                f"decode+VAD+chunks, first {args.slice_minutes:g} min",
                "ours-pcm",
                "anchor-pcm",
                part,
            ),
        ]
        results = {}
        for label, ours_mode, anchor_mode, path in rows:
            ours = _run(ours_mode, path)
            anchor = _run(anchor_mode, path)
            results[label] = (ours, anchor)
            print(
                f"{label:44s} peak RSS ours {ours['peak_mb']:7.0f} MB ({ours['seconds']:6.0f} s)"
                f" | anchor {anchor['peak_mb']:7.0f} MB ({anchor['seconds']:6.0f} s)"
                f" | ratio {ours['peak_mb'] / anchor['peak_mb']:.2f}",
                flush=True,
            )
        whole, full, pcm = (results[label][0]["peak_mb"] for label, *_ in rows)
        estimate = max(whole, whole + full - pcm)
        print(
            f"estimated peak RSS of transcribing the whole {seconds / 3600:.1f} h episode: "
            f"{estimate:.0f} MB (target {TARGET_MB} MB)"
        )
    return 1 if args.check and estimate > TARGET_MB else 0


def _make_episode(path: Path, seconds: float) -> float:
    import av

    with av.open(str(SPEECH)) as container:
        one = float(container.duration or 0) / 1_000_000
    loops = int(seconds // one) + 1
    _ffmpeg("-stream_loop", str(loops), "-i", str(SPEECH), "-t", str(seconds), "-c", "copy",
            str(path))  # fmt: skip
    return seconds


def _ffmpeg(*args: str) -> None:
    from soundbite.media.ffmpeg import find_ffmpeg

    subprocess.run([str(find_ffmpeg()), "-v", "error", "-y", *args], check=True)


def _run(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _measure(mode: str, path: Path) -> dict[str, float]:
    from soundbite.speech.model import ModelOptions, load_model

    options = ModelOptions(cache_dir=Path(tempfile.gettempdir()) / "soundbite-test-models")
    load_model(options)
    started = time.perf_counter()
    if mode == "ours":
        from soundbite.speech.transcribe import transcribe

        transcribe(path, options)
    elif mode == "ours-pcm":
        from soundbite.speech import transcribe as ours

        # Everything but Whisper: the channel pass, streamed decode, VAD, cuts and windows.
        ours._ChunkTranscriber._decode = lambda self, audio, windows, reached: []  # type: ignore[method-assign]
        for _chunk in ours.transcribe_chunks(path, options):
            pass
    elif mode == "anchor":
        _anchor().transcribe(path, options)
    elif mode == "anchor-pcm":
        anchor = _anchor()
        audio = anchor._decode(path)
        anchor._speech_windows(audio)
    else:
        raise SystemExit(f"unknown mode {mode}")
    return {"peak_mb": _peak_rss_mb(), "seconds": time.perf_counter() - started}


def _anchor():  # type: ignore[no-untyped-def]
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ANCHOR_COMMIT}:src/soundbite/speech/transcribe.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module_path = Path(tempfile.mkdtemp()) / "anchor_transcribe.py"
    module_path.write_text(source)
    spec = importlib.util.spec_from_file_location("anchor_transcribe", module_path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    sys.exit(main())
