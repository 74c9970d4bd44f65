"""Benchmark: waveform peaks for a 60-minute episode.

    .venv/bin/python bench/peaks.py [--minutes 60] [--repeat 3]

Builds a typical podcast file once (the speech recordings of the shared test data, looped to
the length asked, MP3 64 kbps mono 44.1 kHz) and caches it in /tmp. Then times, best of
--repeat runs (wall clock; the CPU time of our own process is shown beside it):

- ours: soundbite.media.peaks.compute_peaks (PyAV decode in-process, numpy reduction);
- anchor: the ffmpeg binary decoding to 16-bit mono PCM on a pipe, reduced with numpy to the
  same samples_per_pixel: the obvious way to do it, and what ours has to beat;
- cached read: peaks_from_dat on the stored .dat blob, which is what serving a waveform costs.

It also checks that ours and the anchor draw the same waveform. Target: ours <= 3 s for 60 min.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from soundbite.domain.media import Peaks
from soundbite.media.ffmpeg import ffmpeg_command, find_ffmpeg
from soundbite.media.peaks import compute_peaks, peaks_from_dat, peaks_to_dat
from soundbite.media.probe import probe

ROOT = Path(__file__).resolve().parent.parent
# the team's shared test data lives beside the repository (../shared), wherever it is checked out
SHARED = ROOT.parent / "shared"
AUDIO = SHARED / "testdata" / "audio"
CACHE = Path("/tmp/soundbite-bench")
RATE = 44100
T = TypeVar("T")


def build_episode(minutes: int) -> Path:
    """Loop the shared speech recordings into one MP3, as a podcast host would serve it."""
    dst = CACHE / f"episode-{minutes}min-64k-mono.mp3"
    if dst.exists():
        return dst
    CACHE.mkdir(parents=True, exist_ok=True)
    ffmpeg = str(find_ffmpeg())
    quiet = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error"]
    sources = sorted(p for p in AUDIO.iterdir() if p.suffix in {".mp3", ".flac", ".wav", ".opus"})
    if not sources:
        sys.exit(f"no recordings found in {AUDIO}")
    print(f"building a {minutes}-minute episode from {len(sources)} recordings in {AUDIO} ...")
    pcm = [
        subprocess.run(
            [*quiet, "-i", str(src), "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"],
            check=True,
            capture_output=True,
        ).stdout
        for src in sources
    ]
    speech = np.frombuffer(b"".join(pcm), np.int16)
    total = minutes * 60 * RATE
    episode = np.tile(speech, -(-total // speech.size))[:total]
    tmp = dst.with_suffix(".part")
    raw_in = ["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "-"]
    mp3_out = ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", str(tmp)]
    subprocess.run([*quiet, "-y", *raw_in, *mp3_out], input=episode.tobytes(), check=True)
    tmp.rename(dst)
    return dst


def anchor_peaks(path: Path, samples_per_pixel: int) -> Peaks:
    """The baseline: ffmpeg decodes to PCM on a pipe, numpy reduces blocks of whole pixels."""
    cmd = ffmpeg_command(["-i", path, "-ac", "1", "-f", "s16le", "pipe:1"])
    block = samples_per_pixel * 4096 * 2  # bytes
    parts: list[np.ndarray] = []
    carry = b""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(block):
            data = carry + chunk
            whole = len(data) // (2 * samples_per_pixel) * (2 * samples_per_pixel)
            carry = data[whole:]
            if whole:
                parts.append(_minmax(np.frombuffer(data[:whole], "<i2"), samples_per_pixel))
    if proc.returncode:
        sys.exit(f"ffmpeg failed with status {proc.returncode}")
    if carry:
        tail = np.frombuffer(carry, "<i2")
        parts.append(np.array([[tail.min() >> 8, tail.max() >> 8]]))
    return Peaks(RATE, samples_per_pixel, 8, np.concatenate(parts).ravel().tolist())


def _minmax(pcm: np.ndarray, spp: int) -> np.ndarray:
    pixels = pcm.reshape(-1, spp)
    return np.stack([pixels.min(axis=1) >> 8, pixels.max(axis=1) >> 8], axis=1)


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, float, T]:
    """(best wall seconds, CPU seconds of this process in that run, result)."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu, result))
    return min(runs, key=lambda r: r[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    episode = build_episode(args.minutes)
    info = probe(episode)
    mb = episode.stat().st_size / 1e6
    print(f"episode: {episode} ({mb:.1f} MB, {info.duration_ms / 60000:.1f} min, {info.codec})")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")

    t_ours, cpu_ours, ours = best_of(args.repeat, lambda: compute_peaks(episode))
    t_anchor, _, anchor = best_of(
        args.repeat, lambda: anchor_peaks(episode, ours.samples_per_pixel)
    )
    dat = CACHE / (episode.stem + ".dat")
    dat.write_bytes(peaks_to_dat(ours))
    t_cached, _, cached = best_of(args.repeat, lambda: peaks_from_dat(dat.read_bytes()))
    t_probe, _, _ = best_of(args.repeat, lambda: probe(episode))
    assert cached == ours

    a, b = np.asarray(ours.data).reshape(-1, 2), np.asarray(anchor.data).reshape(-1, 2)
    n = min(len(a), len(b))
    close = np.mean(np.abs(a[:n] - b[:n]).max(axis=1) <= 1)

    print(f"\npeaks for {info.duration_ms / 60000:.0f} min at 100 px/s "
          f"({ours.length} pixels, best of {args.repeat}):")  # fmt: skip
    print(f"  ours (compute_peaks)         {t_ours:6.2f} s   (CPU {cpu_ours:.2f} s)")
    print(f"  anchor (ffmpeg pipe + numpy) {t_anchor:6.2f} s")
    print(f"  ratio anchor / ours          {t_anchor / t_ours:6.2f}x")
    print(f"  cached read (peaks_from_dat) {t_cached * 1000:6.1f} ms  ({dat.stat().st_size} B)")
    print(f"  probe (for reference)        {t_probe:6.2f} s")
    print(f"agreement: lengths {len(a)} vs {len(b)}; {close:.2%} of pixels within 1 step")
    print(f"target <= 3 s for 60 min: {'met' if t_ours * 60 / args.minutes <= 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
