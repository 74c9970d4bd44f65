"""Audio out of real video files made here with the ffmpeg binary; the ffmpeg runner's guards."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from soundbite.errors import MediaError
from soundbite.media.extract import extract_audio, needs_extraction
from soundbite.media.ffmpeg import ffmpeg_command, find_ffmpeg, last_error_line, run_ffmpeg
from soundbite.media.probe import probe

MEDIA = Path(__file__).parent / "data" / "media"
JFK = MEDIA / "jfk_ask_not.flac"


def make_video(dst: Path, *extra: str, audio: Path | None = JFK) -> Path:
    """A tiny test-pattern video, with `audio` as its sound track (generation is test-only,
    so it runs the binary directly: lavfi sources are refused by run_ffmpeg by design)."""
    cmd = [str(find_ffmpeg()), "-nostdin", "-loglevel", "error", "-y"]
    cmd += ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"]
    cmd += ["-i", str(audio), "-shortest"] if audio else ["-t", "2"]
    subprocess.run([*cmd, "-c:v", "libx264", "-preset", "ultrafast", *extra, str(dst)], check=True)
    return dst


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("video")
    return {
        "aac": make_video(d / "talk.mp4", "-c:a", "aac", "-b:a", "96k"),
        "pcm": make_video(d / "talk.mkv", "-c:a", "pcm_s16le"),
        "opus": make_video(d / "talk.webm.mkv", "-c:a", "libopus", "-b:a", "48k"),
        "none": make_video(d / "silent.mp4", audio=None),
    }


@pytest.mark.parametrize(
    ("kind", "suffix", "codec"),
    [("aac", ".m4a", "aac"), ("opus", ".opus", "opus"), ("pcm", ".m4a", "aac")],
)
def test_extract_audio_from_video(
    videos: dict[str, Path], tmp_path: Path, kind: str, suffix: str, codec: str
) -> None:
    src = videos[kind]
    info = probe(src)
    assert info.has_video and needs_extraction(info)
    out = extract_audio(src, tmp_path / "out")
    assert out.suffix == suffix and out.parent == tmp_path / "out"
    audio = probe(out)
    assert not audio.has_video and not needs_extraction(audio)
    assert audio.codec == codec
    assert audio.channels == 2
    assert abs(audio.duration_ms - info.duration_ms) <= 50
    assert abs(audio.duration_ms - 11_000) <= 50
    assert not list((tmp_path / "out").glob(".*.part"))


def test_stream_copy_keeps_the_bits(videos: dict[str, Path], tmp_path: Path) -> None:
    def packets(path: Path) -> bytes:
        return run_ffmpeg(["-i", path, "-map", "0:a", "-c", "copy", "-f", "data", "pipe:1"])

    out = extract_audio(videos["aac"], tmp_path)
    assert packets(out) == packets(videos["aac"])


def test_audio_only_webm_copies_to_ogg(tmp_path: Path) -> None:
    out = extract_audio(MEDIA / "p001.webm", tmp_path)
    assert out.name == "p001.ogg"
    assert abs(probe(out).duration_ms - probe(MEDIA / "p001.webm").duration_ms) <= 50


def test_video_without_audio_is_refused(videos: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no audio track"):
        probe(videos["none"])
    with pytest.raises(MediaError, match="no audio track"):
        extract_audio(videos["none"], tmp_path)


def test_inputs_must_be_paths() -> None:
    with pytest.raises(ValueError, match="Paths"):
        ffmpeg_command(["-i", "https://example.com/episode.mp3", "-f", "null", "-"])
    cmd = ffmpeg_command(["-i", Path("a:b.mp3"), "-f", "null", "-"])
    # a relative name with a colon is still a local file, under the input restrictions
    i = cmd.index("-i")
    assert cmd[i + 1] == "file:" + str(Path("a:b.mp3").resolve())
    assert cmd[i - 4 : i] == ["-protocol_whitelist", "file,pipe", "-format_whitelist", cmd[i - 1]]
    assert cmd[1:3] == ["-nostdin", "-hide_banner"]


def test_failure_is_a_media_error_with_ffmpegs_reason(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        run_ffmpeg(["-i", MEDIA / "truncated-64bit.mp4", "-f", "null", "-"])
    assert err.value.message.startswith("ffmpeg failed: ")
    assert "@ 0x" not in err.value.message and "Terminating thread" not in err.value.message
    (tmp_path / "list.mp3").write_text(f"ffconcat version 1.0\nfile {JFK}\n")
    with pytest.raises(MediaError, match="unsupported file format"):
        run_ffmpeg(["-i", tmp_path / "list.mp3", "-f", "null", "-"])


def test_last_error_line_skips_generic_lines() -> None:
    stderr = (
        "[in#0 @ 0x55f0d6ae7180] Failed to find two consecutive MPEG audio frames.\n"
        "Error opening input file file:/x.mp3.\n"
        "Error opening input files: Invalid data found when processing input\n"
    )
    assert last_error_line(stderr) == "Failed to find two consecutive MPEG audio frames."


def test_ffmpeg_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = find_ffmpeg()
    monkeypatch.setenv("SOUNDBITE_FFMPEG", str(real))
    assert find_ffmpeg() == real
    monkeypatch.setenv("SOUNDBITE_FFMPEG", str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError):
        find_ffmpeg()
    assert find_ffmpeg(real) == real
