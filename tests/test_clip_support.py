"""Helpers for the clip tests (this module holds no tests of its own).

The sonnet's transcript is the real Whisper output for ``src/soundbite/demo/sonnet001.mp3``
(``tests/data/clips/SOURCES.md``), loaded from a file so that only the acceptance test needs
the model. ``serve`` runs the real app in uvicorn on a free loopback port, for tests that need
real concurrency (the in-process TestClient serialises more than a server does).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from soundbite.bootstrap import Soundbite
from soundbite.domain.progress import no_progress
from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.jobs.stages import STAGES
from soundbite.services.library import add_media_file
from soundbite.web.app import create_app

DATA = Path(__file__).parent / "data"
SONNET = Path(__file__).parent.parent / "src" / "soundbite" / "demo" / "sonnet001.mp3"
SONNET_MS = 53_267
WORDS_FILE = DATA / "clips" / "sonnet001_words.json"


def sonnet_transcript() -> Transcript:
    data = json.loads(WORDS_FILE.read_text())
    segments = tuple(
        Segment(s["start_ms"], s["end_ms"], s["text"], tuple(Word(*w) for w in s["words"]))
        for s in data["segments"]
    )
    return Transcript(data["language"], segments, data["source"])


def sonnet_words() -> list[Word]:
    return sonnet_transcript().words


def add_sonnet(
    app: Soundbite, owner_id: int, *, transcribed: bool = True, title: str = "Sonnet 1"
) -> int:
    """The demo recording as an uploaded episode, with its word-timed transcript."""
    transcript = sonnet_transcript() if transcribed else None
    episode_id = add_media_file(app, SONNET, owner_id, title=title, transcript=transcript)
    STAGES["peaks"](app, episode_id, no_progress)  # the waveform the player draws
    return episode_id


def word(text: str, nth: int = 0) -> Word:
    return [w for w in sonnet_words() if w.text.strip(",.;:") == text][nth]


@contextmanager
def serve(app: Soundbite) -> Iterator[str]:
    """Run the web app on 127.0.0.1 in a thread; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(app), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
