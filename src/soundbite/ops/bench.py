"""`soundbite bench`: what this host does per second, measured rather than guessed.

Three figures feed capacity planning (ops/capacity.py):

- transcription real-time factor (seconds of compute per second of audio) for the configured
  model, device and compute type, on the bundled recording; the model load is timed apart,
  since a worker loads it once and then transcribes for hours;
- clip renders per second (decode a span, loudness pass, MP3 encode), one render at a time;
- requests per second and p99 of a web process on loopback (the share page when clips
  exist, else the episode API), against a throwaway embedded instance.
"""

from __future__ import annotations

import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from soundbite.ops.cluster import free_port, soundbite_command
from soundbite.ops.load import run_load
from soundbite.settings import Settings

DEMO = Path(__file__).resolve().parent.parent / "demo" / "sonnet001.mp3"


def bench_transcription(settings: Settings, audio: Path = DEMO) -> dict[str, Any]:
    from soundbite.media.probe import probe
    from soundbite.speech.model import ModelOptions, load_model
    from soundbite.speech.transcribe import transcribe

    options = ModelOptions(
        name=settings.whisper_model,
        device=settings.whisper_device,
        compute_type=settings.whisper_compute_type,
        cache_dir=settings.resolved_model_dir,
    )
    seconds = probe(audio).duration_ms / 1000
    t = time.perf_counter()
    load_model(options)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    transcript = transcribe(audio, options)
    wall = time.perf_counter() - t
    return {
        "model": settings.whisper_model,
        "device": settings.whisper_device,
        "compute_type": settings.whisper_compute_type,
        "audio_s": round(seconds, 1),
        "load_s": round(load_s, 2),
        "wall_s": round(wall, 2),
        "rtf": round(wall / seconds, 4),
        "words": len(transcript.words),
    }


def bench_renders(count: int = 5, clip_s: int = 30, audio: Path = DEMO) -> dict[str, Any] | None:
    try:
        from soundbite.media.render import RenderProfile, render_clip
    except ImportError:
        return None  # an install without clips
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        for i in range(count):
            start = (i * 3000) % 20_000  # distinct spans: nothing cached
            render_clip(
                audio, start, start + clip_s * 1000, Path(tmp) / f"{i}.mp3", RenderProfile()
            )
        wall = time.perf_counter() - t
    return {"renders": count, "clip_s": clip_s, "wall_s": round(wall, 2),
            "per_s": round(count / wall, 2)}  # fmt: skip


def bench_web(seconds: float = 10, concurrency: int = 32) -> dict[str, Any]:
    """Requests per second of one embedded `soundbite serve`, loopback only, bounded."""
    with tempfile.TemporaryDirectory() as tmp:
        password = "bench-password-123"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOUNDBITE_")}
        env.update(
            SOUNDBITE_DATA_DIR=tmp, SOUNDBITE_OWNER_PASSWORD=password, SOUNDBITE_WORKERS="1",
            SOUNDBITE_PUBLIC_LIBRARY="true", SOUNDBITE_LOG_LEVEL="warning",
        )  # fmt: skip
        server = subprocess.Popen(
            [soundbite_command(), "serve", "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            target, path = prepare_target(base, password)
            result = run_load(
                [base + path], concurrency=concurrency, seconds=seconds, max_requests=200_000
            )
        finally:
            server.terminate()
            server.wait(15)
    return {"target": target, **result.to_json()}


def prepare_target(base: str, password: str, audio: Path = DEMO) -> tuple[str, str]:
    """Upload the demo episode, let the pipeline finish (so that it does not compete with the
    load for the CPU) and, where clips exist, clip it: (what, path) to load."""
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            try:
                client.get("/api/auth/me")
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        r = client.post("/api/auth/login", json={"username": "owner", "password": password})
        r.raise_for_status()
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        files = {"file": (audio.name, audio.read_bytes(), "audio/mpeg")}
        episode = client.post("/api/episodes", files=files, data={"title": "bench"})
        episode.raise_for_status()
        eid = episode.json()["id"]
        while client.get(f"/api/episodes/{eid}").json()["status"] not in ("ready", "failed"):
            if time.monotonic() > deadline + 300:
                raise TimeoutError("the demo episode was not processed within 5 minutes")
            time.sleep(0.5)
        clip = client.post(
            "/api/clips",
            json={"episode_id": eid, "start_ms": 1000, "end_ms": 11_000, "snap": "none"},
        )
        if clip.status_code == 201:
            return "share page", urlsplit(clip.json()["share_url"]).path
        return "episode API", f"/api/episodes/{eid}"


def host() -> dict[str, Any]:
    return {
        "machine": platform.node(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
