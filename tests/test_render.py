"""Rendering clip audio from real recordings: exact cuts, exact durations, loudness, no clicks.

Durations and loudness are measured independently of the code under test: durations from the
container (what ffprobe reports) and by decoding every sample, loudness by the ffmpeg binary's
own ebur128 summary.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from soundbite.derived import load_span_loudness, loudness_blocks_key
from soundbite.errors import MediaError
from soundbite.media.ffmpeg import find_ffmpeg
from soundbite.media.loudness import (
    StreamNormaliser,
    Target,
    _fade,
    _gain_and_limit,
    blocks_within,
    gated_loudness,
    integrated_loudness,
    normalise,
)
from soundbite.media.mp3_info import (
    ENCODER_DELAY,
    Mp3Layout,
    crc16,
    lame_kbps,
    mp3_header_frame_length,
)
from soundbite.media.peaks import analyse_audio
from soundbite.media.render import (
    RenderProfile,
    _planar,
    decode_span,
    render_clip,
)
from soundbite.store.blobs.local import LocalStorage

MEDIA = Path(__file__).parent / "data" / "media"
SONNET = MEDIA / "librivox_sonnet001_en.mp3"  # CBR MP3 with a LAME header, 53 s
JFK = MEDIA / "jfk_ask_not.flac"  # 24-bit stereo FLAC
OPUS = MEDIA / "example.opus"  # Ogg Opus, 48 kHz mono
PHONE = MEDIA / "pyannote_sample_2spk_phone.wav"  # quiet 16 kHz phone call: needs +16 dB
GERMAN = MEDIA / "librivox_simplicissimus_de.mp3"  # 68 s, 64 kbit/s mono
SPANISH = MEDIA / "mls_es_13697_11991_000000.opus"  # 15 s read speech


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A VBR MP3 (its seeking differs from CBR) and an AAC M4A, made from the recordings."""
    out = tmp_path_factory.mktemp("encoded")
    vbr, m4a = out / "vbr.mp3", out / "jfk.m4a"
    ffmpeg = str(find_ffmpeg())
    quiet = [ffmpeg, "-nostdin", "-loglevel", "error", "-y"]
    concat = (
        "[0:a]aresample=44100[a];[1:a]aresample=44100,pan=mono|c0=c0[b];[a][b]concat=n=2:v=0:a=1"
    )
    inputs = ["-i", str(SONNET), "-i", str(JFK), "-filter_complex", concat, "-ac", "1"]
    subprocess.run([*quiet, *inputs, "-c:a", "libmp3lame", "-q:a", "6", str(vbr)], check=True)
    subprocess.run([*quiet, "-i", str(JFK), "-c:a", "aac", "-b:a", "96k", str(m4a)], check=True)
    return {"vbr": vbr, "m4a": m4a}


def decode_all(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [_planar(f, 2) for f in container.decode(stream)]
        return np.concatenate(frames, axis=1), stream.codec_context.sample_rate


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBFS) by the ffmpeg binary."""
    cmd = [str(find_ffmpeg()), "-nostdin", "-hide_banner", "-nostats", "-i", str(path)]
    cmd += ["-af", "ebur128=peak=true", "-f", "null", "-"]
    log = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    loudness = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.inf]+) dBFS", log)[-1])
    return loudness, peak


@pytest.mark.parametrize(
    ("name", "start_ms", "end_ms"),
    [
        ("sonnet", 20_000, 23_000),
        ("sonnet", 0, 1_500),
        ("vbr", 41_123, 46_777),
        ("jfk", 3_000, 6_000),
        ("opus", 4_000, 7_000),
        ("m4a", 2_500, 9_000),
        ("phone", 10_000, 12_000),
    ],
)
def test_cuts_are_sample_exact(
    name: str, start_ms: int, end_ms: int, encoded: dict[str, Path]
) -> None:
    """The span decoded after a seek is the same samples as a decode from the very start."""
    path = {"sonnet": SONNET, "jfk": JFK, "opus": OPUS, "phone": PHONE, **encoded}[name]
    whole, rate = decode_all(path)
    pcm = decode_span(path, start_ms, end_ms)
    first = round(start_ms * rate / 1000)
    assert pcm.rate == rate
    assert pcm.samples.shape[1] == round((end_ms - start_ms) * rate / 1000)
    expected = whole[: pcm.channels, first : first + pcm.samples.shape[1]]
    # AAC decodes after a seek to within rounding of the decode from the start
    assert np.max(np.abs(expected - pcm.samples)) < 2e-3


def _container_ms(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base * 1000)


@pytest.mark.parametrize("fmt", ["mp3", "m4a"])
@pytest.mark.parametrize(
    ("source", "start_ms", "end_ms"),
    [(SONNET, 2_530, 14_110), (JFK, 300, 10_700), (OPUS, 2_000, 9_000), (PHONE, 1_000, 25_000)],
)
def test_renders_last_their_span_at_the_target_loudness(
    tmp_path: Path, fmt: str, source: Path, start_ms: int, end_ms: int
) -> None:
    out = tmp_path / f"clip.{fmt}"
    result = render_clip(source, start_ms, end_ms, out, RenderProfile(format=fmt))  # type: ignore[arg-type]
    span_ms = end_ms - start_ms
    assert abs(result.duration_ms - span_ms) < 1
    # what ffprobe reports (the same libavformat): exact, from the gapless metadata
    assert abs(_container_ms(out) - span_ms) < 1
    decoded, rate = decode_all(out)
    if fmt == "mp3":  # the LAME tag's delay and padding trim the decode to the sample
        assert decoded.shape[1] == result.samples
        frames, delay, padding = _lame_tag(out.read_bytes())
        assert frames * (1152 if rate >= 32000 else 576) - delay - padding == result.samples
    else:  # an edit list: skip the AAC priming, play the span's length
        media_time, segment_s = _edit_list(out.read_bytes())
        assert media_time == 1024 and abs(1000 * segment_s - span_ms) < 1
        assert abs(1000 * decoded.shape[1] / rate - span_ms) <= 30
    loudness, peak = ebur128(out)
    assert abs(loudness - -16) <= 1.0, (loudness, result)
    assert peak <= -0.5
    # faded in and out: the first and last milliseconds are close to silence
    edge = max(1, rate // 1000)
    assert np.max(np.abs(decoded[:, :edge])) < 0.02
    assert np.max(np.abs(decoded[:, -edge:])) < 0.05


def _lame_tag(data: bytes) -> tuple[int, int, int]:
    """(audio frames, encoder delay, padding) from an MP3's Info and LAME tags."""
    info = data.index(b"Info")
    frames = int.from_bytes(data[info + 8 : info + 12], "big")
    delay_padding = int.from_bytes(data[info + 120 + 21 : info + 120 + 24], "big")
    return frames, delay_padding >> 12, delay_padding & 0xFFF


def _edit_list(data: bytes) -> tuple[int, float]:
    """(media time of the first edit, its duration in seconds) from an MP4's elst and mvhd."""
    mvhd = data.index(b"mvhd")
    timescale = int.from_bytes(data[mvhd + 16 : mvhd + 20], "big")  # version 0 mvhd
    elst = data.index(b"elst")
    assert data[elst + 4] == 0 and int.from_bytes(data[elst + 8 : elst + 12], "big") == 1
    duration = int.from_bytes(data[elst + 12 : elst + 16], "big")
    media_time = int.from_bytes(data[elst + 16 : elst + 20], "big")
    return media_time, duration / timescale


@pytest.mark.parametrize(
    ("rate", "channels", "kbps"),
    [
        (44100, 2, 128),
        (48000, 1, 128),
        (32000, 2, 96),
        (22050, 1, 64),
        (16000, 1, 128),
        (8000, 1, 128),
    ],
)
def test_the_mp3_announced_before_encoding_is_the_one_libmp3lame_writes(
    tmp_path: Path, rate: int, channels: int, kbps: int
) -> None:
    """Speech encoded by the ffmpeg binary with its own header (written after the fact) has the
    size, frame count and tag checksum our layout predicted from the length alone; our header
    in front of its audio frames decodes to exactly the samples encoded."""
    samples = 3 * rate + 777
    out = tmp_path / "speech.mp3"
    cmd = [str(find_ffmpeg()), "-nostdin", "-loglevel", "error", "-y", "-i", str(JFK)]
    cmd += ["-ac", str(channels), "-af", f"aresample={rate},atrim=end_sample={samples}"]
    cmd += ["-c:a", "libmp3lame", "-b:a", f"{lame_kbps(kbps, rate)}k", "-id3v2_version", "0"]
    subprocess.run([*cmd, str(out)], check=True)
    theirs = out.read_bytes()
    layout = Mp3Layout(samples, rate, channels, lame_kbps(kbps, rate))
    header = layout.header
    assert layout.size == len(theirs)
    assert mp3_header_frame_length(theirs[:64]) == len(header) == layout.header_size
    assert header[:4] == theirs[:4]
    assert _lame_tag(header)[0] == _lame_tag(theirs)[0] == layout.frames
    assert _lame_tag(header)[1] == ENCODER_DELAY
    tag_crc = header.index(b"Info") + 120 + 34
    assert int.from_bytes(header[tag_crc : tag_crc + 2], "big") == crc16(header[:tag_crc])
    if tag_crc == 190:  # where LAME's checksum (the bytes before it) and FFmpeg's (190) agree
        assert theirs[tag_crc : tag_crc + 2] == crc16(theirs[:tag_crc]).to_bytes(2, "big")
    ours = tmp_path / "ours.mp3"
    ours.write_bytes(header + theirs[len(header) :])
    assert decode_all(ours)[0].shape[1] == samples
    assert _container_ms(ours) == pytest.approx(1000 * samples / rate, abs=0.05)


@pytest.mark.parametrize("path", [GERMAN, SONNET, PHONE, JFK, SPANISH])
def test_span_loudness_from_the_episode_blocks_matches_measuring_the_span(path: Path) -> None:
    """A clip's loudness from blocks measured once per episode, against measuring the cut."""
    peaks, blocks = analyse_audio(path)
    assert blocks is not None
    seconds = peaks.length * peaks.samples_per_pixel / peaks.sample_rate
    assert abs(len(blocks) - (seconds - 0.4) * 10) <= 2  # one block per 100 ms
    rng = np.random.default_rng(7)
    for _ in range(8):
        length = rng.uniform(10, min(40, seconds - 0.5))
        start = rng.uniform(0, seconds - length)
        start_ms, end_ms = round(start * 1000), round((start + length) * 1000)
        pcm = decode_span(path, start_ms, end_ms)
        direct = integrated_loudness(pcm.samples, pcm.rate)
        first, stop = blocks_within(start_ms, end_ms)
        assert abs(gated_loudness(blocks[first:stop]) - direct) <= 0.5, (start_ms, end_ms)


def test_a_render_with_its_loudness_known_lands_on_target(tmp_path: Path) -> None:
    _, blocks = analyse_audio(GERMAN)
    assert blocks is not None
    first, stop = blocks_within(21_000, 47_500)
    out = tmp_path / "clip.mp3"
    known = gated_loudness(blocks[first:stop])
    result = render_clip(GERMAN, 21_000, 47_500, out, RenderProfile(), loudness=known)
    assert result.loudness_in == known
    assert abs(ebur128(out)[0] - -16) <= 1.0


@pytest.mark.parametrize("path", [PHONE, GERMAN, JFK])
def test_normalising_a_stream_equals_one_pass_over_the_span(path: Path) -> None:
    """Pieces of any size through StreamNormaliser: the same samples as gain, limiter and fades
    over the whole span at once, peaks under the ceiling (the phone call needs +16 dB)."""
    pcm = decode_span(path, 1_000, 10_500)
    target = Target()
    loudness = integrated_loudness(pcm.samples, pcm.rate)
    stream = StreamNormaliser(pcm.rate, pcm.samples.shape[1], loudness, target)
    rng, pos, out = np.random.default_rng(3), 0, []
    while pos < pcm.samples.shape[1]:
        size = int(rng.integers(1, 6000))
        out.append(stream.push(pcm.samples[:, pos : pos + size]))
        pos += size
    streamed = np.concatenate([*out, stream.finish()], axis=1)
    one_pass, limited = _gain_and_limit(pcm.samples, pcm.rate, stream.gain_db, target)
    _fade(one_pass, round(pcm.rate * target.fade_ms / 1000))
    assert streamed.shape == pcm.samples.shape and stream.limited == limited
    np.testing.assert_allclose(streamed, one_pass, atol=1e-6)
    assert np.max(np.abs(streamed)) <= 10 ** (target.ceiling_dbfs / 20) + 1e-6


def test_the_limiter_keeps_peaks_under_the_ceiling() -> None:
    rate = 48_000
    t = np.arange(rate * 4) / rate
    speech = (0.02 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    speech[rate :: rate // 3] = 0.9  # sharp spikes far above the rest
    samples = np.stack([speech, speech])
    loudness = integrated_loudness(samples, rate)
    target = Target()
    out, gain, limited = normalise(samples, rate, loudness, target)
    assert limited and gain > 10
    assert np.max(np.abs(out)) <= 10 ** (target.ceiling_dbfs / 20) + 1e-6
    assert abs(integrated_loudness(out, rate) - target.lufs) < 0.5


def test_silence_is_left_alone() -> None:
    rate = 16_000
    hiss = (np.random.default_rng(1).standard_normal((1, rate * 2)) * 1e-5).astype(np.float32)
    out, gain, limited = normalise(hiss, rate, integrated_loudness(hiss, rate), Target())
    assert gain == 0 and not limited and np.max(np.abs(out)) < 1e-3


def test_the_mp3_header_frame_is_recognised(tmp_path: Path) -> None:
    out = tmp_path / "clip.mp3"
    render_clip(JFK, 1000, 3000, out, RenderProfile())
    data = out.read_bytes()
    length = mp3_header_frame_length(data[:64])
    assert length == 417  # 128 kbit/s at 44.1 kHz, no padding
    assert data[length] == 0xFF and data[length + 1] & 0xE0 == 0xE0  # the first audio frame
    assert mp3_header_frame_length(data[length : length + 64]) is None
    assert mp3_header_frame_length(b"ID3\x04") is None


def test_bad_spans_and_media_fail_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="past the end"):
        render_clip(JFK, 20_000, 25_000, tmp_path / "x.mp3", RenderProfile())
    with pytest.raises(MediaError):
        render_clip(MEDIA / "emptyfile.mp3", 0, 1000, tmp_path / "y.mp3", RenderProfile())


def test_audio_whose_blocks_would_drift_gets_none_and_renders_measure_it(tmp_path: Path) -> None:
    """At 11.025 kHz 100 ms is not a whole number of samples: no blocks, an empty blob, and
    the render's loudness comes from measuring the span."""
    slow = tmp_path / "jfk-11k.flac"
    cmd = [str(find_ffmpeg()), "-nostdin", "-loglevel", "error", "-i", str(JFK), "-ar", "11025"]
    subprocess.run([*cmd, str(slow)], check=True)
    peaks, blocks = analyse_audio(slow)
    assert blocks is None and peaks.length > 0
    storage, sha = LocalStorage(tmp_path / "store"), "ab" * 32
    storage.put_bytes(loudness_blocks_key(sha), b"")
    assert load_span_loudness(storage, sha, 0, 10_500) is None
