"""Scale-out against embedded, on this machine, loopback only, bounded in count and time.

1. Web: concurrent clients fetching a clip's share page and its audio, against one embedded
   `soundbite serve` (SQLite, media folder) and against two web processes on PostgreSQL and
   S3 (SeaweedFS) with Celery workers (`soundbite cluster`'s layout). Requests/s and p99.
2. Pipeline: N short synthetic episodes (distinct tones with a publisher transcript, so the
   figure is the pipeline's own cost; Whisper's is `soundbite bench`'s RTF) through the
   embedded worker threads, one Celery worker and two. Episodes per minute.

    python bench/load.py                      # defaults: 200 clients × 15 s, 1,000 episodes
    python bench/load.py --clients 50 --seconds 5 --episodes 40

Every server is started here on free loopback ports and stopped at the end; PostgreSQL is
the machine's (a throwaway schema) and Redis is our own `redis-server`. On a 2-core machine
the load generator and the servers share the CPU: read the ratios, not the absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from soundbite.bootstrap import Soundbite
from soundbite.jobs.worker import WorkerPool
from soundbite.ops.bench import DEMO, prepare_target
from soundbite.ops.cluster import ClusterPlan, LocalCluster, free_port, soundbite_command
from soundbite.ops.load import run_load
from soundbite.services.accounts import ensure_owner
from soundbite.services.library import add_media_file
from soundbite.settings import Settings
from soundbite.speech.formats import parse_transcript
from soundbite.store.models import Job, User

PG = os.environ.get("SOUNDBITE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "load-test-password"
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nA tone for testing\n"


def main() -> None:
    args = parser().parse_args()
    work = Path(tempfile.mkdtemp(prefix="soundbite-load-"))
    results: dict[str, object] = {"clients": args.clients, "seconds": args.seconds}
    schema = f"sbload_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG)
    with admin.begin() as c:
        c.execute(sa.text(f"create schema {schema}"))
    db_url = f"{PG}?options=-csearch_path%3D{schema}&application_name={schema}"
    redis = start_redis(work)
    try:
        if "web" in args.parts:
            results["web"] = web_part(args, work, db_url, redis[1])
        if "pipeline" in args.parts:
            results["pipeline"] = pipeline_part(args, work, redis[1], schema)
    finally:
        redis[0].kill()
        redis[0].wait()
        with admin.begin() as c:
            c.execute(
                sa.text("select pg_terminate_backend(pid) from pg_stat_activity "
                        "where application_name like :n and pid <> pg_backend_pid()"),
                {"n": f"{schema}%"},
            )  # fmt: skip
            c.execute(sa.text(f"drop schema {schema} cascade"))
            c.execute(sa.text(f"drop schema if exists {schema}_p1 cascade"))
            c.execute(sa.text(f"drop schema if exists {schema}_p2 cascade"))
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--max-requests", type=int, default=100_000)
    p.add_argument("--episodes", type=int, default=1000)
    p.add_argument("--max-pipeline-seconds", type=float, default=600)
    p.add_argument("--parts", nargs="+", default=["web", "pipeline"])
    return p


def start_redis(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


# --- 1. web -------------------------------------------------------------------------------


def web_part(args: argparse.Namespace, work: Path, db_url: str, broker: str) -> dict[str, object]:
    out: dict[str, object] = {}
    # embedded: one process, SQLite, media folder
    port = free_port()
    env = clean_env(data_dir=work / "embedded", owner_password=PASSWORD, public_library="true",
                    workers=1, log_level="warning")  # fmt: skip
    server = subprocess.Popen([soundbite_command(), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        out["embedded"] = hammer(args, [f"http://127.0.0.1:{port}"])
    finally:
        server.terminate()
        server.wait(20)
    # scale-out: two web processes, PostgreSQL, S3, two Celery workers
    cluster = LocalCluster(
        ClusterPlan(data_dir=work / "cluster", database_url=db_url, broker_url=broker,
                    web_ports=[free_port(), free_port()], owner_password=PASSWORD,
                    extra={"public_library": "true", "log_level": "warning"})
    )  # fmt: skip
    cluster.start()
    try:
        out["scale_out"] = hammer(args, cluster.web_urls)
    finally:
        cluster.stop()
    for kind in ("share_page", "clip_audio"):
        emb, sco = out["embedded"][kind], out["scale_out"][kind]  # type: ignore[index]
        out[f"{kind}_rps_ratio"] = round(sco["rps"] / emb["rps"], 2) if emb["rps"] else None
    return out


def hammer(args: argparse.Namespace, bases: list[str]) -> dict[str, object]:
    _, share_path = prepare_target(bases[0], PASSWORD, DEMO)
    if not share_path.startswith("/c/"):
        raise SystemExit("no clips in this build: the web benchmark needs share pages")
    audio_path = f"{share_path}/audio.mp3"
    import httpx

    for base in bases:  # the first request renders; the benchmark measures the cached clip
        httpx.get(base + audio_path, timeout=120).raise_for_status()
    result: dict[str, object] = {"processes": len(bases)}
    for kind, path in (("share_page", share_path), ("clip_audio", audio_path)):
        load = run_load([b + path for b in bases], concurrency=args.clients,
                        seconds=args.seconds, max_requests=args.max_requests)  # fmt: skip
        result[kind] = load.to_json()
    return result


# --- 2. pipeline ----------------------------------------------------------------------------


def pipeline_part(args: argparse.Namespace, work: Path, broker: str, schema: str) -> dict:  # type: ignore[type-arg]
    episodes = make_episodes(work / "episodes", args.episodes)
    out: dict[str, object] = {"episodes": args.episodes}
    embedded = Settings(data_dir=work / "p-embedded", owner_password=PASSWORD, workers=2)
    out["embedded_2_threads"] = run_pipeline(embedded, episodes, args, workers=0)
    for n in (1, 2):
        name = f"{schema}_p{n}"
        admin = sa.create_engine(PG)
        with admin.begin() as c:
            c.execute(sa.text(f"create schema {name}"))
        admin.dispose()
        cluster = LocalCluster(
            ClusterPlan(data_dir=work / f"p{n}", web_ports=[], workers=n, broker_url=broker,
                        database_url=f"{PG}?options=-csearch_path%3D{name}&application_name={schema}",
                        queue_prefix=f"load{n}-", owner_password=PASSWORD,
                        extra={"log_level": "warning", "reconcile_seconds": 2})
        )  # fmt: skip
        cluster.start()
        try:
            settings = Settings(**{**cluster.settings(), "data_dir": work / f"p{n}" / "bench"})  # type: ignore[arg-type]
            out[f"celery_{n}_worker{'s' if n > 1 else ''}"] = run_pipeline(
                settings, episodes, args, workers=n
            )
        finally:
            cluster.stop()
    return out


def run_pipeline(settings: Settings, episodes: list[Path], args: argparse.Namespace,
                 *, workers: int) -> dict[str, object]:  # fmt: skip
    sb = Soundbite.from_settings(settings)
    ensure_owner(sb)
    with sb.db.read() as s:
        uid = s.scalars(
            sa.select(User.id).where(User.role == "admin").order_by(User.id).limit(1)
        ).one()
    transcript = parse_transcript(VTT, content_type="text/vtt", filename="t.vtt")
    pool = WorkerPool(sb, 2) if workers == 0 else None
    started = time.monotonic()
    if pool:
        pool.start()
    for path in episodes:
        add_media_file(sb, path, uid, transcript=transcript)
        sb.dispatcher.wake()
        if pool:
            pool.wake()
    deadline = started + args.max_pipeline_seconds
    done = 0
    while time.monotonic() < deadline:
        with sb.db.read() as s:
            states = dict(
                s.execute(sa.select(Job.state, sa.func.count()).group_by(Job.state)).all()
            )  # type: ignore[arg-type]
        done = states.get("done", 0) + states.get("failed", 0)
        if done == len(episodes) * 5:
            break
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    if pool:
        pool.stop()
    sb.close()
    finished = done // 5
    return {"finished": finished, "seconds": round(elapsed, 1),
            "episodes_per_min": round(60 * finished / elapsed, 1)}  # fmt: skip


def make_episodes(folder: Path, n: int) -> list[Path]:
    """Distinct 4-second tones (distinct hashes, so nothing is deduplicated)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(4 * 16_000) / 16_000
    paths = []
    for i in range(n):
        tone = (np.sin(2 * np.pi * (200 + i) * t) * 6000).astype("<i2")
        path = folder / f"tone-{i}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16_000)
            w.writeframes(tone.tobytes())
        paths.append(path)
    return paths


def clean_env(**settings: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOUNDBITE_")}
    env.update({f"SOUNDBITE_{k.upper()}": str(v) for k, v in settings.items()})
    return env


if __name__ == "__main__":
    sys.exit(main())
