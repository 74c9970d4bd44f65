"""Waveform peaks: real recordings, generated silence and tones, and the audiowaveform formats."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from soundbite.domain.media import Peaks
from soundbite.errors import MediaError
from soundbite.media.ffmpeg import run_ffmpeg
from soundbite.media.peaks import (
    compute_peaks,
    downsample,
    peaks_from_dat,
    peaks_to_dat,
    peaks_to_json,
)
from soundbite.media.probe import probe

MEDIA = Path(__file__).parent / "data" / "media"
RATE = 16000


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def quiet_loud_quiet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s of silence, 1 s of a 440 Hz tone at 90 % of full scale, 1 s of silence."""
    t = np.arange(RATE) / RATE
    tone = 0.9 * np.sin(2 * math.pi * 440 * t)
    silence = np.zeros(RATE)
    path = tmp_path_factory.mktemp("peaks") / "tone.wav"
    return write_wav(path, np.concatenate([silence, tone, silence]))


def pairs(p: Peaks) -> np.ndarray:
    return np.asarray(p.data).reshape(-1, 2)


@pytest.mark.parametrize(
    "name",
    [
        "jfk_ask_not.flac",  # 24-bit stereo
        "librivox_sonnet001_en.mp3",
        "mls_es_13697_11991_000000.opus",
        "pyannote_sample_2spk_phone.wav",
        "p001.mp4",
    ],
)
def test_one_pixel_per_10_ms_of_real_audio(name: str) -> None:
    p = compute_peaks(MEDIA / name)
    info = probe(MEDIA / name)
    assert p.bits == 8
    assert p.sample_rate == info.sample_rate
    assert p.pixels_per_second == pytest.approx(100, rel=0.01)
    # the same timeline as probe: one pixel per 10 ms of decoded audio, partial pixel included
    assert abs(p.length - info.duration_ms / 10) <= 3
    a = pairs(p)
    assert a.min() >= -128 and a.max() <= 127
    assert (a[:, 0] <= a[:, 1]).all()
    assert a[:, 1].max() > 20  # speech, not silence


def test_silence_is_flat_and_a_tone_is_tall(quiet_loud_quiet: Path) -> None:
    a = pairs(compute_peaks(quiet_loud_quiet))
    assert len(a) == 300
    silent = np.concatenate([a[:100], a[200:]])
    assert np.abs(silent).max() <= 1
    tone = a[100:200]
    # 0.9 of full scale in 8 bits is 115; every 10 ms holds 4.4 periods, so each pixel sees it
    assert tone[:, 1].min() >= 110
    assert tone[:, 0].max() <= -110


def test_peaks_match_a_plain_numpy_reduction_of_ffmpeg_pcm() -> None:
    # mono 16-bit source: audiowaveform's 8-bit value is sample >> 8, so they must agree exactly
    path = MEDIA / "librispeech_61-70968-0000.flac"
    p = compute_peaks(path)
    pcm = np.frombuffer(run_ffmpeg(["-i", path, "-f", "s16le", "pipe:1"]), "<i2")
    padded = np.concatenate([pcm, np.repeat(pcm[-1:], -len(pcm) % p.samples_per_pixel)])
    blocks = padded.reshape(-1, p.samples_per_pixel)
    expected = np.stack([blocks.min(axis=1) >> 8, blocks.max(axis=1) >> 8], axis=1)
    assert np.array_equal(pairs(p), expected)


def test_other_resolutions(quiet_loud_quiet: Path) -> None:
    p = compute_peaks(quiet_loud_quiet, pixels_per_second=20)
    assert (p.samples_per_pixel, p.length) == (800, 60)
    with pytest.raises(ValueError):
        compute_peaks(quiet_loud_quiet, pixels_per_second=0)


def test_progress_climbs_to_100() -> None:
    seen: list[tuple[float, str]] = []
    compute_peaks(MEDIA / "librivox_sonnet001_en.mp3", progress=lambda pc, m: seen.append((pc, m)))
    percents = [pc for pc, _ in seen]
    assert percents[0] == 0 and percents[-1] == 100
    assert percents == sorted(percents)
    assert len(seen) >= 20  # every 2 % of the file
    assert all(msg for _, msg in seen)


def test_undecodable_file_is_a_media_error() -> None:
    with pytest.raises(MediaError):
        compute_peaks(MEDIA / "truncated-64bit.mp4")
    with pytest.raises(MediaError):
        compute_peaks(MEDIA / "mono.invalid.wav")


def test_dat_round_trip_and_layout() -> None:
    p = compute_peaks(MEDIA / "mls_es_13697_11991_000000.opus")
    blob = peaks_to_dat(p)
    assert struct.unpack_from("<iIiiIi", blob) == (2, 1, 48000, 480, p.length, 1)
    assert len(blob) == 24 + 2 * p.length
    assert peaks_from_dat(blob) == p


def test_dat_16_bit_and_version_1() -> None:
    p = Peaks(sample_rate=8000, samples_per_pixel=80, bits=16, data=[-30000, 30000, -1, 2])
    assert peaks_from_dat(peaks_to_dat(p)) == p
    v1 = struct.pack("<iIiiI", 1, 1, 8000, 80, 2) + bytes([0xFF, 3, 0x80, 0x7F])
    assert peaks_from_dat(v1) == Peaks(8000, 80, 8, [-1, 3, -128, 127])


@pytest.mark.parametrize(
    "blob",
    [
        b"\x02\x00",
        struct.pack("<iIiiIi", 3, 1, 8000, 80, 0, 1),
        struct.pack("<iIiiIi", 2, 1, 8000, 80, 0, 2),  # stereo: we store mono
        struct.pack("<iIiiIi", 2, 1, 8000, 80, 5, 1) + b"\x00" * 4,  # truncated
    ],
)
def test_bad_dat_is_refused(blob: bytes) -> None:
    with pytest.raises(ValueError):
        peaks_from_dat(blob)


def test_json_is_audiowaveform_v2(quiet_loud_quiet: Path) -> None:
    p = compute_peaks(quiet_loud_quiet)
    j = peaks_to_json(p)
    assert j == {
        "version": 2,
        "channels": 1,
        "sample_rate": RATE,
        "samples_per_pixel": 160,
        "bits": 8,
        "length": 300,
        "data": p.data,
    }


def test_downsample_takes_min_and_max_of_each_group() -> None:
    p = compute_peaks(MEDIA / "librivox_sonnet001_en.mp3")
    overview = downsample(p, 1)
    assert overview.samples_per_pixel == p.sample_rate
    assert overview.length == math.ceil(p.length / 100)
    a, o = pairs(p), pairs(overview)
    for i in (0, 17, overview.length - 1):
        group = a[i * 100 : (i + 1) * 100]
        assert tuple(o[i]) == (group[:, 0].min(), group[:, 1].max())
    assert downsample(p, 100) == p
    with pytest.raises(ValueError):
        downsample(p, 200)


def test_downsample_to_an_uneven_ratio_keeps_the_extremes() -> None:
    p = Peaks(sample_rate=100, samples_per_pixel=1, bits=8, data=[-1, 1] * 9 + [-100, 100])
    d = downsample(p, 100 / 3)  # 3 samples per pixel, from 10 pixels
    assert d.length == 4
    assert pairs(d)[-1].tolist() == [-100, 100]
