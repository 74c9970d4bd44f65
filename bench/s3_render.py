"""Benchmark: a clip render from S3, reading the span by ranged GETs vs downloading the episode.

    .venv/bin/python bench/s3_render.py [--repeat 3]

The 60-minute episode of bench/clips.py (MP3 128 kbit/s stereo, 57 MB) and the same audio as
M4A (AAC 128 kbit/s, +faststart) are put into a SeaweedFS started here on loopback. Each run
renders a 60 s clip (a different minute from the middle each repeat) on a host that holds no
copy of the episode:

- ours: ``storage.decodable(key)``, the render decoding straight from a ranged stream (an MP3
  from the seek points its probe recorded, as the pipeline stores them);
- anchor: ``storage.local_path(key)``, a download of the whole object (boto3's parallel
  transfer), then the same render from the file — what a render did before.

Prints wall time and bytes fetched for both, and the ratios (medians of --repeat runs). On
loopback a download is nearly free, so the time ratio here is the least favourable one; over
a real network the bytes ratio is what the wait follows.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' SeaweedFS launcher

from tests.scaleout.fixtures import s3_options  # noqa: E402
from tests.scaleout.services import SeaweedFS  # noqa: E402

from clips import CACHE, build_episode  # noqa: E402  (bench/clips.py, beside this file)
from soundbite.media.ffmpeg import find_ffmpeg  # noqa: E402
from soundbite.media.probe import probe  # noqa: E402
from soundbite.media.render import RenderProfile, render_clip  # noqa: E402
from soundbite.media.seeking import SeekIndex, SeekPointRecorder  # noqa: E402
from soundbite.store.blobs.s3 import S3Storage  # noqa: E402

BUCKET = "soundbite-bench"
CLIP_MS = 60_000


def m4a_of(mp3: Path) -> Path:
    dst = CACHE / "clips-episode-60min-128k-stereo.m4a"
    if not dst.exists():
        print("encoding the M4A version (once) ...", flush=True)
        ffmpeg = [str(find_ffmpeg()), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        codec = ["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"]
        subprocess.run([*ffmpeg, "-i", str(mp3), *codec, str(dst)], check=True)
    return dst


def measure(
    endpoint: str, key: str, start_ms: int, *, ranged: bool, work: Path, index: SeekIndex | None
) -> tuple[float, int]:
    """(seconds, bytes fetched) for one render on a host with an empty download cache."""
    cache = Path(tempfile.mkdtemp(dir=work, prefix="cache-"))
    storage = S3Storage(s3_options(endpoint, BUCKET, cache))
    out = work / "clip.mp3"
    began = time.perf_counter()
    opened = storage.decodable(key) if ranged else storage.local_path(key)
    with opened as src:
        render_clip(src, start_ms, start_ms + CLIP_MS, out, RenderProfile(), seek_index=index)
    seconds = time.perf_counter() - began
    shutil.rmtree(cache)
    return seconds, storage.bytes_downloaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mp3 = build_episode()
    episodes = {"mp3": mp3, "m4a": m4a_of(mp3)}
    work = Path(tempfile.mkdtemp(prefix="soundbite-s3-render-"))
    server = SeaweedFS(work / "seaweedfs")
    server.start()
    try:
        storage = S3Storage(s3_options(server.endpoint, BUCKET, work / "upload-cache"))
        storage.ensure_bucket()
        for fmt, path in episodes.items():
            storage.put_file(f"media/{fmt}", path)
        print(
            f"\n60 s clip from a 60-minute episode on S3 (SeaweedFS, loopback), {args.repeat} runs"
        )
        head = (
            f"{'':5} {'ours s':>8} {'MB':>7} | {'anchor s':>8} {'MB':>7} | {'time':>6} {'bytes':>6}"
        )
        print(head)
        for fmt, path in episodes.items():
            points = SeekPointRecorder()  # what the probe stage stores (MP3 only)
            probe(path, seek_points=points)
            index = points.index()
            ours, anchor = [], []
            for i in range(args.repeat):
                start_ms = (29 + i) * 60_000  # a new span each time, around the middle
                # alternate the order, so neither side always runs on a warmer page cache
                pair = [True, False] if i % 2 == 0 else [False, True]
                for ranged in pair:
                    result = measure(
                        server.endpoint,
                        f"media/{fmt}",
                        start_ms,
                        ranged=ranged,
                        work=work,
                        index=index,
                    )
                    (ours if ranged else anchor).append(result)
            o_s = statistics.median(s for s, _ in ours)
            o_b = statistics.median(b for _, b in ours)
            a_s = statistics.median(s for s, _ in anchor)
            a_b = statistics.median(b for _, b in anchor)
            size = path.stat().st_size
            assert a_b == size, (a_b, size)  # the anchor really fetched the whole episode
            print(
                f"{fmt:5} {o_s:8.3f} {o_b / 1e6:7.1f} | {a_s:8.3f} {a_b / 1e6:7.1f} | "
                f"{o_s / a_s:6.2f} {o_b / a_b:6.3f}"
            )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
