"""kill -9 the server while it transcribes; after a restart the job completes, once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from soundbite.bootstrap import Soundbite
from soundbite.ops.cluster import free_port
from soundbite.store.models import Job, Transcript, TranscriptWord
from tests.conftest import MODEL_DIR, OWNER_PASSWORD, make_settings

SOUNDBITE = [sys.executable, "-m", "soundbite"]
AUDIO = Path(__file__).parent.parent / "src" / "soundbite" / "demo" / "sonnet001.mp3"


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def transcribe_job(app: Soundbite) -> Job:
    with app.db.read() as s:
        return s.scalars(select(Job).where(Job.stage == "transcribe")).one()


def test_kill_9_during_transcription_then_restart(tmp_path: Path, database_url: str) -> None:
    env = {
        **os.environ,
        "SOUNDBITE_DATA_DIR": str(tmp_path / "data"),
        "SOUNDBITE_DATABASE_URL": database_url,
        "SOUNDBITE_MODEL_DIR": str(MODEL_DIR),
        "SOUNDBITE_OWNER_PASSWORD": OWNER_PASSWORD,
        "SOUNDBITE_WORKERS": "1",
        "SOUNDBITE_PORT": str(free_port()),
        "SOUNDBITE_LOG_LEVEL": "warning",
    }
    added = subprocess.run(
        [*SOUNDBITE, "add", str(AUDIO), "--no-wait", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    episode_id = json.loads(added.stdout)["added"][0]["episode_ids"][0]
    app = Soundbite.from_settings(make_settings(tmp_path / "data", database_url))

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*SOUNDBITE, "serve"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    server = start()
    try:
        wait_for(lambda: transcribe_job(app).state == "running", 120, "transcription to start")
        time.sleep(1.0)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        killed = transcribe_job(app)
        assert killed.state == "running", (
            "the kill must land mid-transcription for this test to mean anything"
        )

        server = start()
        done = wait_for(
            lambda: (j := transcribe_job(app)).state in ("done", "failed") and j,
            240,
            "the restarted server to finish the job",
        )
        assert done.state == "done", done.error
        assert done.attempts == 2
        with app.db.read() as s:
            transcripts = s.scalar(
                select(func.count())
                .select_from(Transcript)
                .where(Transcript.episode_id == episode_id)
            )
            words = s.scalar(select(func.count()).select_from(TranscriptWord))
        assert transcripts == 1
        assert words and words > 50  # the sonnet has ~115 words
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        app.close()
