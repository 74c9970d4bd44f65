"""Benchmark: clip videos, ours against bare ffmpeg.

    .venv/bin/python bench/video.py [--seconds 60]

A 60 s clip from the middle of the 60-minute episode of ``bench/clips.py`` (built once, cached
in /tmp/soundbite-bench), in each profile (9x16, 1x1, 16x9), with captions, rendered by
``media/video.render_video`` (audio render, frames, PyAV's x264 ``ultrafast`` in process) in a
fresh process, so its peak memory is its own. The episode has no transcript of its own (it is
looped recordings), so the captions are the sonnet's words at its real pace, repeated across
the minute: what matters here is their cost, which is the same for any words.

The anchor is bare ffmpeg at the same size, fps and x264 preset: the artwork overlaid on a
background, ``showwaves`` of the span, and ``drawtext`` with the clip's title, to an MP4 with AAC.
Printed: wall time and real-time factor of each, and ours / anchor; CPU seconds of each (with
their children) and that ratio. On a machine shared with other work, the CPU figures are the
steadier ones: wall time then depends on how many runnable threads each side has. Targets
(issue 13): ours <= 0.6x the anchor's time; a 60 s 9:16 clip in <= 0.5x real time; peak
memory <= 500 MB.

Then the cached repeat, served: a real server in its own process (``bench/clips.py``'s: uvicorn,
SQLite, the episode as after processing) renders the 9:16 video of a new clip on its first
``GET /c/{id}/video-9x16.mp4``; the same URL is then asked --repeat more times, each timed to
its first byte, against the first byte of a static file of the same size served by the same
server (Starlette's StaticFiles). Target: <= 50 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORDS = ROOT / "tests" / "data" / "clips" / "sonnet001_words.json"
FONT = Path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf")
TITLE = "From fairest creatures we desire increase"


def _episode() -> Path:
    spec = importlib.util.spec_from_file_location("bench_clips", ROOT / "bench" / "clips.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_clips"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.build_episode()  # type: ignore[no-any-return]


def _words(span_ms: int) -> list[tuple[int, int, str]]:
    said = [w for seg in json.loads(WORDS.read_text())["segments"] for w in seg["words"]]
    origin, out, offset = said[0][0], [], 0
    while True:
        for start, end, text in said:
            s, e = start - origin + offset, end - origin + offset
            if s >= span_ms:
                return out
            out.append((s, min(e, span_ms), text))
        offset += said[-1][1] - origin + 500


def ours(data_dir: Path, start_ms: int, span_ms: int, aspect: str, out: Path) -> None:
    """Runs in a child process: prints seconds and peak RSS (ours, the encoder's) as JSON.

    The render takes the product's path (``clips/renders.py``): the episode as stored and
    processed, its MP3 seek points and the span's loudness read from what the probe and peaks
    stages stored, so decoding starts at the seek point before the span and the audio streams
    through a known gain instead of being measured first."""
    from soundbite.bootstrap import Soundbite
    from soundbite.derived import load_seek_index, load_span_loudness
    from soundbite.media.frames import CaptionWord, FrameText, VideoStyle
    from soundbite.media.render import RenderProfile
    from soundbite.media.video import VideoContent, render_video
    from soundbite.settings import Settings
    from soundbite.store.blobs.base import media_key

    sb = Soundbite.from_settings(Settings(data_dir=data_dir, workers=0), migrate=False)
    sha = _only_media(sb)
    words = tuple(CaptionWord(s, e, t, "Reader") for s, e, t in _words(span_ms))
    content = VideoContent(FrameText("Bench Podcast", "Episode 1", TITLE, "sb.example/c/x"), words)
    profile = RenderProfile(format="mp4", video=VideoStyle(aspect=aspect))  # type: ignore[arg-type]
    cpu_before = _cpu()
    began = time.perf_counter()
    with sb.storage.decodable(media_key(sha)) as src:
        seek_index = load_seek_index(sb.storage, sha)
        loudness = load_span_loudness(sb.storage, sha, start_ms, start_ms + span_ms)
        assert seek_index is not None and loudness is not None, "the episode is not processed"
        render_video(
            src,
            start_ms,
            start_ms + span_ms,
            out,
            profile,
            content,
            None,
            seek_index=seek_index,
            loudness=loudness,
        )
    seconds = time.perf_counter() - began
    # the encoder's own peak is not measurable this way: ru_maxrss survives exec, so a
    # child's figure starts at ours
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": _cpu() - cpu_before, "rss_mb": own}))
    sb.close()


def _only_media(sb: Any) -> str:
    import sqlalchemy as sa

    with sb.db.engine.connect() as c:
        return str(c.execute(sa.text("SELECT media_sha256 FROM episodes")).scalar_one())


def _cpu() -> float:
    """CPU seconds of this process and its finished children: steadier than wall time on a
    machine shared with other work."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def anchor(
    episode: Path, start_ms: int, span_ms: int, aspect: str, art: Path, out: Path
) -> tuple[float, float]:
    from soundbite.media.ffmpeg import find_ffmpeg
    from soundbite.media.frames import LAYOUTS, SIZES

    width, height = SIZES[aspect]  # type: ignore[index]
    lay = LAYOUTS[aspect]  # type: ignore[index]
    v = lay.visual
    graph = (
        f"color=c=0x18181b:s={width}x{height}:r=30[bg];"
        f"[1:v]scale={lay.art.w}:{lay.art.h}[art];"
        f"[bg][art]overlay={lay.art.x}:{lay.art.y}:shortest=1[b1];"
        f"[0:a]showwaves=s={v.w}x{v.h}:mode=cline:colors=0xc2410c:r=30[w];"
        f"[b1][w]overlay={v.x}:{v.y}:shortest=1[b2];"
        f"[b2]drawtext=fontfile={FONT}:text='{TITLE}':fontsize={lay.title_size}:"
        f"fontcolor=white:x={lay.title.x}:y={lay.title.y},format=yuv420p[v]"
    )
    cmd = [str(find_ffmpeg()), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    cmd += ["-ss", f"{start_ms / 1000:.3f}", "-t", f"{span_ms / 1000:.3f}", "-i", str(episode)]
    cmd += ["-loop", "1", "-framerate", "30", "-i", str(art), "-filter_complex", graph]
    cmd += ["-map", "[v]", "-map", "0:a", "-c:v", "libx264", "-preset", "ultrafast"]
    cmd += ["-profile:v", "high", "-r", "30", "-c:a", "aac", "-b:a", "128k"]
    cmd += ["-t", f"{span_ms / 1000:.3f}", "-movflags", "+faststart", str(out)]
    cpu_before = _cpu()
    began = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - began, _cpu() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=9, help="cached requests to time")
    parser.add_argument("--child", nargs=3, metavar=("DATA_DIR", "ASPECT", "OUT"))
    parser.add_argument("--served-only", action="store_true", help="only the cached repeat")
    parser.add_argument("--renders-only", action="store_true", help="no cached repeat")
    args = parser.parse_args()
    span_ms = args.seconds * 1000
    start_ms = 1800_000 - span_ms // 2
    if args.child:
        ours(Path(args.child[0]), start_ms, span_ms, args.child[1], Path(args.child[2]))
        return
    episode = _episode()
    clips = sys.modules["bench_clips"]  # loaded by _episode(): it processes and serves it
    work = Path(tempfile.mkdtemp(prefix="soundbite-bench-video-"))
    try:
        # stored, probed (seek points) and peaks (loudness blocks), as after processing
        episode_id, token = clips.prepare(work / "data", episode)
        if not args.served_only:
            renders(work, episode, start_ms, span_ms, args.seconds)
        if not args.renders_only:
            cached_repeat(work, episode_id, token, start_ms, span_ms, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def renders(work: Path, episode: Path, start_ms: int, span_ms: int, seconds: int) -> None:
    from PIL import Image

    from soundbite.media.frames import placeholder_art

    print(f"{seconds} s clip from the middle of a 60-minute episode, x264 ultrafast, 30 fps")
    head = f"{'profile':8} {'ours s':>7} {'RTF':>5} {'anchor s':>8} {'RTF':>5} {'ratio':>6}"
    print(f"{head} {'ours cpu':>8} {'anchor cpu':>10} {'ratio':>6} {'peak MB':>8}")
    art = work / "art.png"
    placeholder_art("Bench Podcast").save(art)
    Image.open(art).load()
    for aspect in ("9x16", "1x1", "16x9"):
        out = work / f"ours-{aspect}.mp4"
        child = [sys.executable, __file__, "--seconds", str(seconds)]
        child += ["--child", str(work / "data"), aspect, str(out)]
        done = subprocess.run(child, capture_output=True, text=True, check=True)
        mine = json.loads(done.stdout.strip().splitlines()[-1])
        theirs, their_cpu = anchor(
            episode, start_ms, span_ms, aspect, art, work / f"anchor-{aspect}.mp4"
        )
        s = seconds
        print(
            f"{aspect:8} {mine['seconds']:7.1f} {mine['seconds'] / s:5.2f} {theirs:8.1f} "
            f"{theirs / s:5.2f} {mine['seconds'] / theirs:6.2f} {mine['cpu']:8.1f} "
            f"{their_cpu:10.1f} {mine['cpu'] / their_cpu:6.2f} {mine['rss_mb']:8.0f}",
            flush=True,
        )


def cached_repeat(
    work: Path, episode_id: int, token: str, start_ms: int, span_ms: int, repeat: int
) -> None:
    import os
    import statistics

    import httpx

    clips = sys.modules["bench_clips"]
    static = work / "static"
    static.mkdir()
    server = None
    try:
        port = clips.free_port()
        env = {**os.environ, "SOUNDBITE_LOG_LEVEL": "warning"}
        clips_py = str(ROOT / "bench" / "clips.py")
        serve = [sys.executable, clips_py, "--serve", str(work / "data"), str(port), str(static)]
        server = subprocess.Popen(serve, env=env)
        base = f"http://127.0.0.1:{port}"
        clips._wait_for(base, server, seconds=300)  # a loaded machine imports slowly
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            made = client.post(
                "/api/clips",
                json={"episode_id": episode_id, "start_ms": start_ms, "end_ms": start_ms + span_ms},
            )
            made.raise_for_status()
            url = f"/c/{made.json()['id']}/video-9x16.mp4"
            first = clips.fetch(client, url)
            (static / "video.mp4").write_bytes(first.data)
            ours, theirs = [], []
            for _ in range(repeat):
                again = clips.fetch(client, url)
                assert again.data == first.data, "the cached video differs from the first"
                ours.append(again.first_byte)
                theirs.append(clips.fetch(client, "/bench-static/video.mp4").first_byte)
        ms_ours, ms_theirs = 1000 * statistics.median(ours), 1000 * statistics.median(theirs)
        print(
            f"\ncached repeat of the 9:16 video ({len(first.data):,} B; first render "
            f"{first.last_byte:.1f} s), median of {repeat}, first byte:"
        )
        print(f"{'':8} {'ours ms':>8} {'static ms':>10} {'ratio':>6}   target <= 50 ms")
        print(f"{'9x16':8} {ms_ours:8.1f} {ms_theirs:10.1f} {ms_ours / ms_theirs:6.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
