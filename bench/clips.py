"""Benchmark: clips, from the click to the first sound, and share traffic.

    .venv/bin/python bench/clips.py [--repeat 3] [--seconds 5] [--concurrency 50]

Builds a 60-minute podcast once (the repository's speech recordings, each levelled to about
-19 LUFS as a mastered show would be, looped; MP3 128 kbit/s 44.1 kHz stereo) and caches it in
/tmp/soundbite-bench. A real server runs in a separate process (uvicorn, SQLite, the episode
with a word-timed transcript and its waveform peaks, as after processing), on loopback.

1. First render: a 60 s clip from the middle of the episode, time from sending
   ``POST /api/clips`` to its MP3's first audio frame (the first byte past the Info header
   frame, which we send before encoding) and to its last byte, against a bare
   ``ffmpeg -ss … -t … -i episode.mp3 -c:a libmp3lame -b:a 128k`` of the same span: its first
   byte on a pipe (an audio frame: on a pipe the muxer writes no header) for the first, its
   wall time to a finished file for the last. Targets: first audio frame <= 2x the anchor's
   first byte, last byte <= 1.0x its finished file. Each repeat clips a different minute, so
   every one is a new render. The episode was processed as the pipeline does (probe stage,
   with its seek points; peaks stage, with its loudness blocks), so the clip's gain is known
   before its first byte and its decode starts at the seek point before the span.
2. Cached repeat: the same audio URL again, time to first byte, and its ratio to the first.
3. Share traffic: the share page and the clip's audio under --concurrency connections for
   --seconds each (requests/s, p50, p99), against a static file of the same size served by the
   same server (Starlette's StaticFiles), as ratios.

Numbers are medians of --repeat runs. The machine is shared (2 cores): the load generator runs
on the same cores as the server, so absolute requests/s are low; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from soundbite.media.ffmpeg import find_ffmpeg
from soundbite.media.mp3_info import mp3_header_frame_length
from soundbite.ops.cluster import free_port

ROOT = Path(__file__).resolve().parent.parent
MEDIA = ROOT / "tests" / "data" / "media"
RECORDINGS = [
    "librivox_sonnet001_en.mp3",
    "jfk_ask_not.flac",
    "librispeech_61-70968-0000.flac",
    "pyannote_sample_2spk_phone.wav",
    "mls_es_13697_11991_000000.opus",
]
CACHE = Path("/tmp/soundbite-bench")
EPISODE_S = 3600
CLIP_S = 60


def build_episode() -> Path:
    dst = CACHE / "clips-episode-60min-128k-stereo.mp3"
    if dst.exists():
        return dst
    CACHE.mkdir(parents=True, exist_ok=True)
    print("building the 60-minute episode (once; about a minute) ...", flush=True)
    ffmpeg = [str(find_ffmpeg()), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    inputs = [arg for name in RECORDINGS for arg in ("-i", str(MEDIA / name))]
    levelled = "".join(
        f"[{i}:a]aresample=44100,aformat=channel_layouts=stereo,loudnorm=I=-19[a{i}];"
        for i in range(len(RECORDINGS))
    )
    joined = "".join(f"[a{i}]" for i in range(len(RECORDINGS)))
    mix = CACHE / "clips-mix.wav"
    graph = f"{levelled}{joined}concat=n={len(RECORDINGS)}:v=0:a=1,aresample=44100"
    subprocess.run([*ffmpeg, *inputs, "-filter_complex", graph, str(mix)], check=True)
    loop = ["-stream_loop", "-1", "-i", str(mix), "-t", str(EPISODE_S)]
    codec = ["-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100", "-ac", "2"]
    subprocess.run([*ffmpeg, *loop, *codec, str(dst)], check=True)
    mix.unlink()
    return dst


def anchor(episode: Path, start_s: float) -> tuple[float, float]:
    """(seconds to a finished file, seconds to the first byte on a pipe) for a bare encode."""
    ffmpeg = [str(find_ffmpeg()), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    span = ["-ss", f"{start_s:.3f}", "-t", str(CLIP_S), "-i", str(episode)]
    codec = ["-c:a", "libmp3lame", "-b:a", "128k"]
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        subprocess.run([*ffmpeg, *span, *codec, str(Path(tmp) / "a.mp3")], check=True)
        whole = time.perf_counter() - began
    began = time.perf_counter()
    proc = subprocess.Popen([*ffmpeg, *span, *codec, "-f", "mp3", "pipe:1"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.read(1)
    first = time.perf_counter() - began
    proc.stdout.read()
    proc.wait()
    return whole, first


# --- the server, in its own process --------------------------------------------------------


def serve(data_dir: str, port: int, static_dir: str) -> None:
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    from soundbite.bootstrap import Soundbite
    from soundbite.settings import Settings
    from soundbite.web.app import create_app

    sb = Soundbite.from_settings(Settings(data_dir=Path(data_dir), workers=0), migrate=False)
    app = create_app(sb)
    app.mount("/bench-static", StaticFiles(directory=static_dir), name="bench-static")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def prepare(data_dir: Path, episode: Path) -> tuple[int, str]:
    """The episode as after processing: stored, probed (seek points), word-timed transcript,
    peaks (with loudness blocks)."""
    from soundbite.bootstrap import Soundbite
    from soundbite.domain.progress import no_progress
    from soundbite.domain.transcript import Segment, Transcript, Word
    from soundbite.jobs.stages import STAGES
    from soundbite.services.accounts import create_api_token, ensure_owner, owner_account
    from soundbite.services.library import add_media_file
    from soundbite.settings import Settings

    sb = Soundbite.from_settings(Settings(data_dir=data_dir, workers=0))
    ensure_owner(sb)
    owner = owner_account(sb)
    # ~9,000 words at a speaking pace, in 20-word sentences: the size of a real transcript
    words = [Word(t, t + 300, f"word{i}.") for i, t in enumerate(range(200, EPISODE_S * 1000, 400))]
    segments = tuple(
        Segment(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), tuple(ws))
        for ws in (words[i : i + 20] for i in range(0, len(words), 20))
    )
    transcript = Transcript("en", segments, "publisher")
    episode_id = add_media_file(sb, episode, owner.id, title="Bench", transcript=transcript)
    STAGES["probe"](sb, episode_id, no_progress)  # its MP3 seek points
    STAGES["peaks"](sb, episode_id, no_progress)  # the waveform and the loudness blocks
    token = create_api_token(sb, owner.id, "bench")
    sb.close()
    return episode_id, token


@dataclass(frozen=True)
class Fetched:
    first_byte: float  # seconds from the request
    first_audio: float  # to the first byte past the MP3's Info header frame
    last_byte: float
    data: bytes


def fetch(client: httpx.Client, url: str, began: float | None = None) -> Fetched:
    """GET `url`, timing its first byte, first audio frame and last byte from `began`."""
    began = time.perf_counter() if began is None else began
    chunks: list[bytes] = []
    first = audio = None
    received, header = 0, None
    with client.stream("GET", url) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            now = time.perf_counter() - began
            first = now if first is None else first
            chunks.append(chunk)
            received += len(chunk)
            if header is None and received >= 64:
                header = mp3_header_frame_length(b"".join(chunks)[:64]) or 0
            if audio is None and header is not None and received > header:
                audio = now
    end = time.perf_counter() - began
    return Fetched(first or end, audio or end, end, b"".join(chunks))


async def _worker(url: str, deadline: float, latencies: list[float]) -> None:
    """One keep-alive connection sending GETs back to back until the deadline.

    A raw HTTP/1.1 client: httpx's connection pool became the bottleneck at 50 connections
    (about 45 requests/s whatever the server), which would have measured the client.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: bench\r\n\r\n".encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            if status != b"200":
                raise RuntimeError(f"{url}: HTTP {status.decode()}")
            latencies.append(time.perf_counter() - began)
    finally:
        writer.close()


async def _load(url: str, concurrency: int, seconds: float) -> tuple[float, float, float]:
    latencies: list[float] = []
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(*(_worker(url, deadline, latencies) for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    return len(latencies) / elapsed, statistics.median(latencies), p99


def load(url: str, concurrency: int, seconds: float) -> tuple[float, float, float]:
    return asyncio.run(_load(url, concurrency, seconds))


def row(name: str, ours: float, anchor_value: float, unit: str, lower_is_better: bool) -> None:
    ratio = ours / anchor_value if anchor_value else float("nan")
    better = "lower is better" if lower_is_better else "higher is better"
    print(f"{name:<44} {ours:>10.3f} {anchor_value:>10.3f} {ratio:>7.2f}   {unit}, {better}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--serve", nargs=3, metavar=("DATA_DIR", "PORT", "STATIC"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return
    episode = build_episode()
    work = Path(tempfile.mkdtemp(prefix="soundbite-bench-clips-"))
    static = work / "static"
    static.mkdir()
    server = None
    try:
        episode_id, token = prepare(work / "data", episode)
        port = free_port()
        env = {**os.environ, "SOUNDBITE_LOG_LEVEL": "warning"}
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(work / "data"), str(port), str(static)],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        run(base, token, episode_id, episode, static, args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def run(
    base: str, token: str, episode_id: int, episode: Path, static: Path, args: argparse.Namespace
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    firsts, audios, lasts, anchor_files, anchor_pipes, cached = [], [], [], [], [], []
    body: dict[str, object] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for i in range(args.repeat):
            start_s = EPISODE_S / 2 - 150 + 61 * i  # the middle of the episode, a new minute each
            whole, first = anchor(episode, start_s)
            anchor_files.append(whole)
            anchor_pipes.append(first)
            began = time.perf_counter()
            r = client.post(
                "/api/clips",
                json={
                    "episode_id": episode_id,
                    "start_ms": round(start_s * 1000),
                    "end_ms": round((start_s + CLIP_S) * 1000),
                },
            )
            r.raise_for_status()
            body = r.json()
            got = fetch(client, str(body["audio_url"]), began)
            firsts.append(got.first_byte)
            audios.append(got.first_audio)
            lasts.append(got.last_byte)
            again = fetch(client, str(body["audio_url"]))
            assert again.data == got.data, "the first response differs from the cached file"
            cached.append(again.first_byte)
        audio = fetch(client, str(body["audio_url"])).data
        page = client.get(f"/c/{body['id']}").content
    (static / "page.html").write_bytes(page)
    (static / "audio.mp3").write_bytes(audio)
    med = statistics.median
    print(f"\n60 s clip of a 60-minute MP3, median of {args.repeat}; audio {len(audio):,} bytes\n")
    print(f"{'':<44} {'ours':>10} {'anchor':>10} {'ratio':>7}")
    row("POST to first audio frame vs ffmpeg | pipe (s)", med(audios), med(anchor_pipes), "s", True)
    row("POST to last byte vs ffmpeg to a file (s)", med(lasts), med(anchor_files), "s", True)
    print(f"{'  (our first byte, the Info frame)':<44} {med(firsts):>10.3f}")
    row("cached repeat: first byte vs first render", med(cached), med(audios), "s", True)
    print(
        f"\n{args.concurrency} connections, {args.seconds:g} s each, vs a static file of equal size"
    )
    for name, url, twin in [
        (
            f"share page ({len(page):,} B)",
            f"{base}/c/{body['id']}",
            f"{base}/bench-static/page.html",
        ),
        (
            f"clip audio ({len(audio):,} B)",
            str(body["audio_url"]),
            f"{base}/bench-static/audio.mp3",
        ),
    ]:
        ours, theirs = (
            load(url, args.concurrency, args.seconds),
            load(twin, args.concurrency, args.seconds),
        )
        row(f"{name}: requests/s", ours[0], theirs[0], "req/s", False)
        row(f"{name}: p50 latency (ms)", 1000 * ours[1], 1000 * theirs[1], "ms", True)
        row(f"{name}: p99 latency (ms)", 1000 * ours[2], 1000 * theirs[2], "ms", True)
    summary = {
        "first_audio_vs_pipe_first_byte": med(audios) / med(anchor_pipes),
        "target_first": 2.0,
        "last_byte_vs_finished_file": med(lasts) / med(anchor_files),
        "target_last": 1.0,
    }
    print(json.dumps(summary))


def _wait_for(
    base: str, server: subprocess.Popen[bytes] | None = None, seconds: float = 30
) -> None:
    """Until the server at `base` answers (or `server` exits, or `seconds` pass)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (server is None or server.poll() is None):
        try:
            httpx.get(f"{base}/oembed?url=x", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    sys.exit("the bench server did not start")


if __name__ == "__main__":
    main()
