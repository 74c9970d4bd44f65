"""Two-channel recordings: one voice per channel is transcribed per channel; the rest is mixed.

The two-channel files are built here with ffmpeg from two different real recordings, one per
channel: alternating (a LibriSpeech reader, then JFK on the other channel, recorded 18 dB
quieter, as a remote guest often is) and overlapping (a two-person phone call on the left and
JFK talking over it on the right). Each voice's words must come back, labelled with its channel.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import jiwer
import pytest
from fastapi.testclient import TestClient

from soundbite.bootstrap import Soundbite
from soundbite.domain.transcript import Transcript
from soundbite.media.ffmpeg import find_ffmpeg
from soundbite.speech.channels import ChannelPlan, plan_channels
from soundbite.speech.formats import to_srt, to_text, to_vtt
from soundbite.speech.model import ModelOptions
from soundbite.speech.pcm import audio_info, pcm_excerpts
from soundbite.speech.transcribe import transcribe
from tests.pipeline_support import run_pipeline
from tests.test_web_support import upload

DATA = Path(__file__).parent / "data"
MEDIA, REFERENCES = DATA / "media", DATA / "audio"
READER = MEDIA / "librispeech_61-70968-0000.flac"  # 4.9 s, one man reading
JFK = MEDIA / "jfk_ask_not.flac"  # 11 s, stereo: the same voice on both channels
PHONE = MEDIA / "pyannote_sample_2spk_phone.wav"  # 30 s, two women on the phone, mono
SONNET = MEDIA / "librivox_sonnet001_en.mp3"  # 53 s, joint-stereo MP3
MODEL_DIR = Path(os.environ.get("SOUNDBITE_TEST_MODEL_DIR", "/tmp/soundbite-test-models"))


def _two_channels(
    out: Path, left: Path, right: Path, *, right_at_s: float, right_gain_db: float = 0.0
) -> Path:
    """`left` on the left channel from 0 s, `right` (mixed to mono) on the right from
    `right_at_s`, as a stereo MP3."""
    length = max(_seconds(left), right_at_s + _seconds(right)) + 0.5
    graph = (
        "[0]aresample=44100,pan=mono|c0=0.5*c0+0.5*c1,apad[l];"
        f"[1]aresample=44100,pan=mono|c0=0.5*c0+0.5*c1,volume={right_gain_db}dB,"
        f"adelay={round(right_at_s * 1000)},apad[r];"
        "[l][r]amerge=inputs=2[a]"
    )
    _ffmpeg("-i", str(left), "-i", str(right), "-filter_complex", graph, "-map", "[a]",
            "-t", f"{length:.2f}", str(out))  # fmt: skip
    return out


def _ffmpeg(*args: str) -> None:
    """Run ffmpeg; the output is an MP3 at 96 kbps, as podcasts are published."""
    command = [str(find_ffmpeg()), "-v", "error", "-y", *args[:-1], "-c:a", "libmp3lame"]
    subprocess.run([*command, "-b:a", "96k", args[-1]], check=True)


def _seconds(path: Path) -> float:
    return audio_info(path).duration_s or 0.0


def _one_sided(out: Path, voice: Path) -> Path:
    """`voice` on the left channel only; the right channel silent."""
    graph = "[0]aresample=44100,pan=stereo|c0=0.5*c0+0.5*c1|c1=0*c0[a]"
    _ffmpeg("-i", str(voice), "-filter_complex", graph, "-map", "[a]", str(out))
    return out


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower().replace("'", "")).split())


def _reference(recording: Path) -> str:
    return _normalise((REFERENCES / f"{recording.stem}.txt").read_text())


def _said_by(transcript: Transcript, speaker: str) -> str:
    return _normalise(" ".join(s.text for s in transcript.segments if s.speaker == speaker))


def _plan(path: Path) -> ChannelPlan:
    return plan_channels(pcm_excerpts(path, channels=2))


# ---- the decision per file (no model)


def test_one_voice_per_channel_is_split(tmp_path: Path) -> None:
    alternating = _two_channels(tmp_path / "alt.mp3", READER, JFK, right_at_s=6, right_gain_db=-18)
    overlapping = _two_channels(tmp_path / "over.mp3", PHONE, JFK, right_at_s=8)
    for path in (alternating, overlapping):
        plan = _plan(path)
        assert plan.split, plan
        assert plan.tracks == 2


def test_ordinary_stereo_and_one_sided_stereo_are_mixed(tmp_path: Path) -> None:
    for stereo in (JFK, SONNET):  # the same voice on both channels
        plan = _plan(stereo)
        assert not plan.split and plan.mix_gain == 0.5, (stereo.name, plan)
    lonely = _plan(_one_sided(tmp_path / "left-only.mp3", READER))
    # not two voices; summed, so the voice keeps its full level in the mix
    assert not lonely.split and lonely.mix_gain == 1.0, lonely
    assert audio_info(PHONE).channels == 1


def test_long_files_are_judged_from_excerpts(tmp_path: Path) -> None:
    """Over 40 minutes the decision reads excerpts spread over the file: still the right one."""
    short = _two_channels(tmp_path / "alt.mp3", READER, JFK, right_at_s=6, right_gain_db=-18)
    loop = ["-stream_loop", "160", "-c", "copy"]
    two_voices, stereo = tmp_path / "two-voices.mp3", tmp_path / "stereo.mp3"
    subprocess.run([str(find_ffmpeg()), "-v", "error", "-y", *loop[:2], "-i", str(short),
                    *loop[2:], str(two_voices)], check=True)  # fmt: skip
    subprocess.run([str(find_ffmpeg()), "-v", "error", "-y", "-stream_loop", "50", "-i",
                    str(SONNET), "-c", "copy", str(stereo)], check=True)  # fmt: skip
    assert (audio_info(two_voices).duration_s or 0) > 40 * 60
    assert (audio_info(stereo).duration_s or 0) > 40 * 60
    assert _plan(two_voices).split
    assert not _plan(stereo).split


# ---- transcripts (the real model)


@pytest.fixture(scope="module")
def options() -> ModelOptions:
    return ModelOptions(cache_dir=MODEL_DIR)


@pytest.mark.slow
def test_alternating_channels_keep_both_voices(options: ModelOptions, tmp_path: Path) -> None:
    path = _two_channels(tmp_path / "alt.mp3", READER, JFK, right_at_s=6, right_gain_db=-18)
    transcript = transcribe(path, options)
    assert {s.speaker for s in transcript.segments} == {"Speaker 1", "Speaker 2"}
    assert jiwer.wer(_reference(READER), _said_by(transcript, "Speaker 1")) <= 0.15
    assert jiwer.wer(_reference(JFK), _said_by(transcript, "Speaker 2")) <= 0.10
    # the second voice's words are where it spoke: from 6 s on
    assert all(s.start_ms >= 5_500 for s in transcript.segments if s.speaker == "Speaker 2")
    # ... and the labels reach the captions and the text
    assert "<v Speaker 2>" in to_vtt(transcript) and "<v Speaker 1>" in to_vtt(transcript)
    assert "Speaker 2: " in to_srt(transcript)
    assert "Speaker 1: " in to_text(transcript) and "Speaker 2: " in to_text(transcript)
    starts = [s.start_ms for s in transcript.segments]
    assert starts == sorted(starts)


@pytest.mark.slow
def test_overlapping_channels_keep_both_voices(options: ModelOptions, tmp_path: Path) -> None:
    path = _two_channels(tmp_path / "over.mp3", PHONE, JFK, right_at_s=8)
    transcript = transcribe(path, options)
    phone = _said_by(transcript, "Speaker 1")
    speech = _said_by(transcript, "Speaker 2")
    assert jiwer.wer(_reference(JFK), speech) <= 0.10
    # a noisy phone line with cross-talk: the bar is the phone call transcribed on its own
    alone = _normalise(transcribe(PHONE, options).text)
    reference = _reference(PHONE)
    assert jiwer.wer(reference, phone) <= jiwer.wer(reference, alone) + 0.10
    # the phone call's words do not leak into JFK's channel, nor his into the call's
    assert "chicago" in phone and "chicago" not in speech
    assert "country" in speech and "country" not in phone
    overlap = [s for s in transcript.segments if s.speaker == "Speaker 2" and s.start_ms < 19_000]
    assert overlap, "JFK's words said during the call are kept"


@pytest.mark.slow
def test_ordinary_stereo_has_no_speakers(options: ModelOptions) -> None:
    transcript = transcribe(JFK, options)
    assert all(s.speaker is None for s in transcript.segments)
    assert jiwer.wer(_reference(JFK), _normalise(transcript.text)) <= 0.05


@pytest.mark.slow
def test_a_voice_on_one_channel_only_is_kept_whole(options: ModelOptions, tmp_path: Path) -> None:
    transcript = transcribe(_one_sided(tmp_path / "left-only.mp3", READER), options)
    assert all(s.speaker is None for s in transcript.segments)
    assert jiwer.wer(_reference(READER), _normalise(transcript.text)) <= 0.15


@pytest.mark.slow
def test_speaker_labels_reach_the_api_and_clip_captions(
    app: Soundbite, client: TestClient, tmp_path: Path
) -> None:
    path = _two_channels(tmp_path / "alt.mp3", READER, JFK, right_at_s=6, right_gain_db=-18)
    r = upload(client, path, content_type="audio/mpeg")
    assert r.status_code == 201, r.text
    episode_id = r.json()["id"]
    run_pipeline(app, stages=["probe", "transcribe"])
    base = f"/api/episodes/{episode_id}/transcript"
    assert "<v Speaker 2>" in client.get(base, params={"format": "vtt"}).text
    entries = client.get(base, params={"format": "json"}).json()["segments"]
    second = [e for e in entries if e.get("speaker") == "Speaker 2"]
    assert {e.get("speaker") for e in entries} == {"Speaker 1", "Speaker 2"}
    made = client.post(
        "/api/clips",
        json={
            "episode_id": episode_id,
            "start_ms": round(second[0]["startTime"] * 1000),
            "end_ms": round(second[-1]["endTime"] * 1000),
        },
    )
    assert made.status_code == 201, made.text
    assert "country" in made.json()["text"].lower()
    captions = client.get(f"/c/{made.json()['id']}/captions.vtt")
    assert captions.status_code == 200 and "<v Speaker 2>" in captions.text
