"""Episodes and job-table checks shared by the Celery, fault and load tests."""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import sqlalchemy as sa

from soundbite.bootstrap import Soundbite
from soundbite.services.accounts import ensure_owner
from soundbite.settings import Settings
from soundbite.store.models import Job, Transcript, TranscriptSegment, User
from tests.conftest import DATA

SPEECH = DATA / "web" / "librispeech_61-70968-0000.flac"  # 4.9 s
LONG_SPEECH_SOURCE = DATA / "media" / "jfk_ask_not.flac"  # 11 s
VTT = (
    b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHe began a confused complaint\n\n"
    b"00:00:02.500 --> 00:00:04.900\nagainst the wizard\n"
)


def owner(sb: Soundbite) -> int:
    """The owner account's id (made on first use, as `soundbite serve` does)."""
    ensure_owner(sb)
    with sb.db.read() as s:
        return int(
            s.scalars(
                sa.select(User.id).where(User.role == "admin").order_by(User.id).limit(1)
            ).one()
        )


def transcripts_of(sb: Soundbite, episode_id: int) -> list[tuple[int, int]]:
    """(transcript id, segment count) for each transcript row of the episode."""
    with sb.db.read() as s:
        rows = s.execute(
            sa.select(Transcript.id, sa.func.count(TranscriptSegment.id))
            .outerjoin(TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id)
            .where(Transcript.episode_id == episode_id)
            .group_by(Transcript.id)
        ).all()
    return [(int(a), int(b)) for a, b in rows]


def jobs(sb: Soundbite) -> list[Job]:
    with sb.db.read() as s:
        return list(s.scalars(sa.select(Job).order_by(Job.id)))


def wait_for_jobs(sb: Soundbite, *, timeout: float, log: Any = None) -> list[Job]:
    """Wait until no job is queued or running; fail with the worker log after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = jobs(sb)
        if current and all(j.state in ("done", "failed") for j in current):
            return current
        time.sleep(0.3)
    states = [(j.id, j.stage, j.state, j.message) for j in jobs(sb)]
    tail = log.tail() if log is not None else ""
    raise AssertionError(f"jobs unfinished after {timeout} s: {states}\n{tail}")


def worker_settings(settings: Settings, tmp_path: Path, **overrides: object) -> dict[str, object]:
    """The test app's settings for a worker process, with a data dir of the worker's own."""
    values = settings.model_dump(exclude_none=True)
    values.pop("fetch_allow_networks", None)
    secret = settings.s3_secret_access_key
    if secret is not None:
        values["s3_secret_access_key"] = secret.get_secret_value()
    values["data_dir"] = tmp_path / f"worker-data-{len(list(tmp_path.glob('worker-data-*')))}"
    values["log_level"] = "info"
    values.update(overrides)
    return values


def long_speech(dest: Path, repeats: int) -> Path:
    """JFK's 11 s, ``repeats`` times over, as a 16 kHz mono WAV: a transcription that lasts."""
    with av.open(str(LONG_SPEECH_SOURCE)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16_000)
        chunks = []
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    pcm = np.concatenate(chunks)
    with wave.open(str(dest), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(np.tile(pcm, repeats).astype("<i2").tobytes())
    return dest
