"""Long episodes: transcription in chunks cut at pauses, stored as each chunk is done.

Long audio is not needed to prove it: the chunk length is a setting, and a 12 s chunk cuts the
53 s LibriVox sonnet (real speech, stereo MP3) into five chunks, with the real model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import jiwer
import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.jobs.stages import run_transcribe
from soundbite.services.accounts import ensure_owner
from soundbite.speech.model import ModelOptions
from soundbite.speech.transcribe import TranscribedChunk, transcribe, transcribe_chunks
from tests.conftest import make_settings
from tests.pipeline_support import run_pipeline
from tests.test_web_support import make_client, sign_in, upload

DATA = Path(__file__).parent / "data"
SONNET = DATA / "media" / "librivox_sonnet001_en.mp3"
REFERENCE = DATA / "audio" / "librivox_sonnet001_en.txt"
MODEL_DIR = Path(os.environ.get("SOUNDBITE_TEST_MODEL_DIR", "/tmp/soundbite-test-models"))
CHUNK_S = 12.0

pytestmark = pytest.mark.slow


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("'", "")).split())


@pytest.fixture(scope="module")
def options() -> ModelOptions:
    return ModelOptions(cache_dir=MODEL_DIR)


@pytest.fixture(scope="module")
def chunks(options: ModelOptions) -> list[TranscribedChunk]:
    return list(transcribe_chunks(SONNET, options, chunk_s=CHUNK_S))


def test_chunks_end_at_pauses_and_follow_each_other(chunks: list[TranscribedChunk]) -> None:
    assert len(chunks) >= 4
    previous_end = 0
    for chunk in chunks:
        # each chunk ends near its nominal length, in its last quarter or the file's end
        assert chunk.end_ms - previous_end <= (CHUNK_S + 5) * 1000
        for segment in chunk.segments:
            for word in segment.words:
                assert previous_end <= word.start_ms <= word.end_ms <= chunk.end_ms
        previous_end = chunk.end_ms
    assert abs(chunks[-1].end_ms - 53_300) < 200  # the whole file, nothing past it
    assert {chunk.language for chunk in chunks} == {"en"}


def test_chunks_end_between_words(chunks: list[TranscribedChunk], options: ModelOptions) -> None:
    reference = _normalise(REFERENCE.read_text())
    whole = transcribe(SONNET, options, chunk_s=600)
    # the file transcribed in one piece says where its words are: no chunk ends inside one
    for chunk in chunks[:-1]:
        inside = [
            w.text
            for w in whole.words
            if w.start_ms + 100 < chunk.end_ms < w.end_ms - 100  # alignment is not exact
        ]
        assert not inside, (chunk.end_ms, inside)
    # 12 s chunks give Whisper less context than its 30 s windows: a few words come out different
    chunked = _normalise(" ".join(s.text for c in chunks for s in c.segments))
    assert jiwer.wer(reference, chunked) <= jiwer.wer(reference, _normalise(whole.text)) + 0.05


# ---- the transcribe stage: the transcript grows chunk by chunk, readable and clippable


@pytest.fixture
def short_chunk_app(tmp_path: Path, database_url: str) -> Iterator[Soundbite]:
    settings = make_settings(tmp_path / "data", database_url, transcribe_chunk_seconds=CHUNK_S)
    app = Soundbite.from_settings(settings)
    ensure_owner(app)
    yield app
    app.close()


def test_the_transcript_can_be_read_and_clipped_while_it_is_made(
    short_chunk_app: Soundbite, chunks: list[TranscribedChunk]
) -> None:
    app = short_chunk_app
    client: TestClient = make_client(app)
    sign_in(client)
    r = upload(client, SONNET, content_type="audio/mpeg")
    assert r.status_code == 201, r.text
    episode_id = r.json()["id"]
    run_pipeline(app, stages=["probe"])

    seen: list[tuple[str, int]] = []  # (X-Transcript-Complete, words) at each progress report
    clipped: list[dict[str, object]] = []

    def look(percent: float, message: str) -> None:
        got = client.get(f"/api/episodes/{episode_id}/transcript?format=json")
        if got.status_code == 404:
            return
        assert got.status_code == 200, got.text
        words = got.json()["segments"]
        seen.append((got.headers["x-transcript-complete"], len(words)))
        if words and not clipped:
            detail = client.get(f"/api/episodes/{episode_id}").json()
            assert detail["transcript_complete"] is False and detail["has_transcript"]
            made = client.post(
                "/api/clips",
                json={
                    "episode_id": episode_id,
                    "start_ms": round(words[0]["startTime"] * 1000),
                    "end_ms": round(words[min(4, len(words) - 1)]["endTime"] * 1000),
                },
            )
            assert made.status_code == 201, made.text
            clipped.append(made.json())

    run_transcribe(app, episode_id, look)

    partial = [words for complete, words in seen if complete == "false"]
    assert partial and partial[0] > 0, seen
    assert len(set(partial)) >= 3, "the transcript grew chunk by chunk"
    final = client.get(f"/api/episodes/{episode_id}/transcript?format=json")
    assert final.headers["x-transcript-complete"] == "true"
    assert partial[0] < len(final.json()["segments"]) == max(partial)
    assert client.get(f"/api/episodes/{episode_id}").json()["transcript_complete"] is True
    assert clipped and clipped[0]["text"], "a clip made on the first words carries them"
    # the stored transcript is as good as the same chunks transcribed in one call (the stage
    # adds only the boundary refinement and storage; an absolute bar would measure the model)
    text = _normalise(client.get(f"/api/episodes/{episode_id}/transcript?format=txt").text)
    reference = _normalise(REFERENCE.read_text())
    direct = _normalise(" ".join(s.text for c in chunks for s in c.segments))
    assert jiwer.wer(reference, text) <= jiwer.wer(reference, direct) + 0.02
