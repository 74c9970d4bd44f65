"""The speech model and the transcribe stage, on the real model and a real recording (no mocks).

The model is unpacked once per run into a shared folder (SOUNDBITE_TEST_MODEL_DIR, as the other
suites use) and loaded once per process; the hash tests build small fake bundles in tmp_path and
never touch that folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import os
import re
import threading
import wave
from pathlib import Path

import jiwer
import numpy as np
import pytest
from faster_whisper.audio import decode_audio

from soundbite.domain.transcript import Transcript
from soundbite.errors import MediaError, ModelError
from soundbite.speech import model
from soundbite.speech.model import Bundle, ModelOptions, load_model, prepare_bundle
from soundbite.speech.transcribe import transcribe

AUDIO = Path(__file__).parent / "data" / "audio"  # reference transcripts
MEDIA = Path(__file__).parent / "data" / "media"  # the recordings (sources in its SOURCES.md)
JFK = AUDIO / "jfk_ask_not.flac"
MODEL_DIR = Path(os.environ.get("SOUNDBITE_TEST_MODEL_DIR", "/tmp/soundbite-test-models"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def options() -> ModelOptions:
    return ModelOptions(cache_dir=MODEL_DIR)


@pytest.fixture(scope="session")
def jfk(options: ModelOptions) -> tuple[Transcript, list[tuple[float, str]]]:
    reports: list[tuple[float, str]] = []
    transcript = transcribe(JFK, options, progress=lambda p, m: reports.append((p, m)))
    return transcript, reports


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("'", "")).split())


def test_jfk_words_are_timed_in_order(jfk: tuple[Transcript, list[tuple[float, str]]]) -> None:
    transcript, _ = jfk
    assert transcript.language == "en"
    assert transcript.source == "whisper:base"
    assert transcript.has_word_timings
    words = transcript.words
    assert len(words) >= 20
    previous_end = 0
    for word in words:
        assert isinstance(word.start_ms, int) and isinstance(word.end_ms, int)
        assert previous_end <= word.start_ms <= word.end_ms <= 11_000
        assert word.text == word.text.strip() and word.text
        previous_end = word.end_ms
    for segment in transcript.segments:
        assert segment.start_ms == segment.words[0].start_ms
        assert segment.end_ms == segment.words[-1].end_ms


def test_jfk_americans_is_said_at_1_8_s(jfk: tuple[Transcript, list[tuple[float, str]]]) -> None:
    transcript, _ = jfk
    americans = [w for w in transcript.words if w.text.strip(",.").lower() == "americans"]
    assert len(americans) == 1
    assert americans[0].start_ms <= 1800 <= americans[0].end_ms


def test_jfk_text_matches_the_reference(jfk: tuple[Transcript, list[tuple[float, str]]]) -> None:
    transcript, _ = jfk
    reference = (AUDIO / "jfk_ask_not.txt").read_text()
    assert jiwer.wer(_normalise(reference), _normalise(transcript.text)) <= 0.05


def test_progress_runs_from_0_to_100(jfk: tuple[Transcript, list[tuple[float, str]]]) -> None:
    _, reports = jfk
    percents = [p for p, _ in reports]
    assert percents[0] == 0 and percents[-1] == 100
    assert percents == sorted(percents)
    assert any(re.fullmatch(r"transcribing \d\d:\d\d / 00:11", m) for _, m in reports)


def test_given_language_is_kept(options: ModelOptions) -> None:
    transcript = transcribe(JFK, options, language="en")
    assert transcript.language == "en"
    assert "ask not what your country" in transcript.text.lower()


def test_model_is_loaded_once_per_process(options: ModelOptions) -> None:
    # options no other test uses, so the four threads race for the very first load
    fresh = dataclasses.replace(options, cpu_threads=1)
    loaded: list[object] = []
    threads = [threading.Thread(target=lambda: loaded.append(load_model(fresh))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loaded) == 4 and all(m is loaded[0] for m in loaded)
    assert load_model(fresh) is loaded[0]
    assert load_model(options) is not loaded[0]


def test_speech_after_a_long_pause_is_not_lost(options: ModelOptions, tmp_path: Path) -> None:
    # One read sentence, a 2 s pause, then 25 s of a poem read with pauses between lines. Whisper
    # decoding text only tends to end a window's text at the pause and drop the poem.
    sentence = decode_audio(str(MEDIA / "librispeech_61-70968-0000.flac"))
    poem = decode_audio(str(MEDIA / "librivox_sonnet001_en.mp3"))[: 25 * 16_000]
    joined = tmp_path / "sentence_pause_poem.wav"
    _write_wav(joined, np.concatenate([sentence, np.zeros(2 * 16_000, np.float32), poem]))

    transcript = transcribe(joined, options, language="en")

    poem_lines = (AUDIO / "librivox_sonnet001_en.txt").read_text().splitlines()[1:8]
    reference = (AUDIO / "librispeech_61-70968-0000.txt").read_text() + " " + " ".join(poem_lines)
    assert jiwer.wer(_normalise(reference), _normalise(transcript.text)) <= 0.25
    # every stretch of the poem has its words: no silence-sized hole in the middle of speech
    poem_words = [w for w in transcript.words if w.start_ms >= 7_000]
    gaps = [b.start_ms - a.end_ms for a, b in itertools.pairwise(poem_words)]
    assert poem_words and max(gaps) < 3_000


def test_quiet_speech_after_loud_speech_and_a_pause_is_transcribed(
    options: ModelOptions, tmp_path: Path
) -> None:
    # The last 13 s of the read sonnet, then the phone call, whose first words ("Hello. Hello.",
    # 6.4-7.3 s into it, at about -40 dB) follow 6 s of near silence. Run over the whole file,
    # the VAD's state after the loud reading took them for no speech, so the transcript began
    # at 8.5 s and a clip cut there started on words its text did not show.
    poem = decode_audio(str(MEDIA / "librivox_sonnet001_en.mp3"))[-13 * 16_000 :]
    call = decode_audio(str(MEDIA / "pyannote_sample_2spk_phone.wav"))
    joined = tmp_path / "poem_then_call.wav"
    _write_wav(joined, np.concatenate([poem, call]))

    transcript = transcribe(joined, options, language="en")

    call_ms = len(poem) // 16
    first = next(w for w in transcript.words if w.start_ms >= call_ms - 500)
    assert _normalise(first.text) == "hello"
    assert call_ms + 6_000 <= first.start_ms <= call_ms + 7_300


def _write_wav(path: Path, audio: np.ndarray) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def test_not_audio_is_a_media_error(options: ModelOptions, tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp3"
    junk.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(MediaError):
        transcribe(junk, options)


# ---- model files: the join, the hash check and the cache of the check


def _bundle(tmp_path: Path, content: bytes, sha256: str) -> Bundle:
    source = tmp_path / "package"
    source.mkdir(exist_ok=True)
    (source / "model.bin.part1").write_bytes(content[:10])
    (source / "model.bin.part2").write_bytes(content[10:])
    (source / "config.json").write_text("{}")
    return Bundle(
        dirname="whisper-fake",
        parts=(source / "model.bin.part1", source / "model.bin.part2"),
        extras=(source / "config.json",),
        sha256=sha256,
    )


def test_hash_mismatch_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    content = b"weights that were damaged in transit" * 100
    wrong = hashlib.sha256(b"the weights we expected").hexdigest()
    with pytest.raises(ModelError, match="SHA-256"):
        prepare_bundle(tmp_path / "cache", _bundle(tmp_path, content, wrong))
    # neither a bad model.bin nor a temporary file survives the refusal
    assert sorted(p.name for p in (tmp_path / "cache" / "whisper-fake").iterdir()) == [
        "config.json"
    ]


def test_join_is_verified_once_then_trusted_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = b"good weights" * 1000
    bundle = _bundle(tmp_path, content, hashlib.sha256(content).hexdigest())
    folder = prepare_bundle(tmp_path / "cache", bundle)
    assert (folder / "model.bin").read_bytes() == content
    assert (folder / "config.json").read_text() == "{}"

    hashed: list[Path] = []
    real_hash = model._sha256_file
    monkeypatch.setattr(model, "_sha256_file", lambda p: hashed.append(p) or real_hash(p))
    prepare_bundle(tmp_path / "cache", bundle)
    assert hashed == []  # the marker matched: no re-hash on a normal start

    bad = folder / "model.bin"
    bad.chmod(0o644)
    bad.write_bytes(b"X" * len(content))  # same size, new mtime: must be caught
    prepare_bundle(tmp_path / "cache", bundle)
    assert hashed == [bad]
    assert bad.read_bytes() == content  # re-joined from the parts


def test_local_folder_without_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model\.bin"):
        load_model(ModelOptions(name=str(tmp_path), cache_dir=tmp_path / "cache"))


def test_unknown_named_model_names_the_setting(tmp_path: Path) -> None:
    # a name that exists nowhere: fails the same way offline (no hub) and online (not found)
    options = ModelOptions(name="soundbite-tests/no-such-model", cache_dir=tmp_path)
    with pytest.raises(ModelError, match="SOUNDBITE_WHISPER_MODEL"):
        load_model(options)


def test_a_word_aligned_across_a_removed_pause_stays_on_its_side() -> None:
    # Long pauses are taken out before decoding (transcribe._Spliced). Whisper can align a
    # word across the seam; mapped back naively it spanned the whole pause, so a clip cut
    # in that silence showed a word it did not hold.
    from soundbite.speech.transcribe import _RawWord, _splice

    # a loud voice from 1.4 to 2.6 s, a quiet one (-30 dB under it) from 15.4 to 16.6 s; the
    # VAD's spans hold 0.4 s of padding either side
    t = np.arange(20 * 16_000) / 16_000
    level = np.select([t < 1.4, t < 2.6, t < 15.4, t < 16.6], [0, 0.3, 0, 0.01])
    track = (np.sin(2 * np.pi * 220 * t) * level).astype(np.float32)
    spliced = _splice(track, [(1.0, 3.0), (15.0, 17.0)])
    seam = spliced.spans[0][1] + 0.1  # the end of the first kept piece, in the spliced audio
    hello = spliced.word_to_source(_RawWord(seam - 0.15, seam + 0.55, " Hello,", 0.9))
    assert 14.8 <= hello.start < hello.end == pytest.approx(15.45, abs=0.01)
    thee = spliced.word_to_source(_RawWord(seam - 0.75, seam + 0.1, " thee", 0.9))
    assert 2.3 < thee.start < thee.end <= 3.2
