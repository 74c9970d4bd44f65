"""Loudness: measure it (ITU-R BS.1770-4 / EBU R128) and bring audio to a target without clipping.

- Measuring uses FFmpeg's ``ebur128`` filter in-process, through a PyAV filter graph: the
  reference implementation of the K-weighting and gating, already installed with PyAV, and a
  few tens of milliseconds per minute of audio. (pyloudnorm would need SciPy for the same
  two biquads.)
- The gain is applied in numpy. Where it would push peaks over the ceiling, a look-ahead peak
  limiter brings them down (``_limiter_gain``); a limited result is measured again and the lost
  loudness added once more, so speech lands on target even when it needed a large boost.
- Short raised-cosine fades at both ends: a cut through a waveform that is not at zero clicks.
- Silence and near-silence (under ``SILENCE_LUFS``) are left alone: boosting them only makes
  noise loud. No boost exceeds ``MAX_BOOST_DB``, for the same reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import av.filter
import numpy as np

SILENCE_LUFS = -50.0
MAX_BOOST_DB = 20.0
LIMITER_WINDOW_S = 0.005
LIMITER_BLOCK = 32  # samples: under 1 ms at 44.1 kHz, a sixth of the window


@dataclass(frozen=True, slots=True)
class Target:
    lufs: float = -16.0
    ceiling_dbfs: float = -1.5
    fade_ms: int = 20


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4 gating), by FFmpeg's ebur128 filter."""
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    graph = av.filter.Graph()
    src = graph.add_abuffer(
        format="fltp", sample_rate=rate, layout=layout, time_base=Fraction(1, rate)
    )
    meter = graph.add("ebur128", "metadata=1")
    sink = graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    value = "-70"
    step = rate  # one second per frame: the meter's output does not depend on it
    for i in range(0, samples.shape[1] + 1, step):
        if i < samples.shape[1]:
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, i : i + step]), format="fltp", layout=layout
            )
            frame.sample_rate, frame.pts, frame.time_base = rate, i, Fraction(1, rate)
            graph.push(frame)
        else:
            graph.push(None)
        while True:
            try:
                out = graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                break
            value = out.metadata.get("lavfi.r128.I", value)
    return float(value)


def normalise(
    samples: np.ndarray, rate: int, loudness: float, target: Target
) -> tuple[np.ndarray, float, bool]:
    """(samples with gain, limiting and fades applied, the gain in dB, whether it limited).

    Limiting takes loudness away with the peaks, so a limited result is measured again and the
    shortfall added once more (then limited again): two passes land within a few tenths of a LU
    even on a quiet phone recording that needs +16 dB.
    """
    gain_db = 0.0 if loudness < SILENCE_LUFS else min(target.lufs - loudness, MAX_BOOST_DB)
    out, limited = _gain_and_limit(samples, rate, gain_db, target)
    if limited:
        shortfall = target.lufs - integrated_loudness(out, rate)
        if shortfall > 0.2 and gain_db < MAX_BOOST_DB:
            gain_db = min(gain_db + shortfall, MAX_BOOST_DB)
            out, limited = _gain_and_limit(samples, rate, gain_db, target)
    _fade(out, max(1, round(rate * target.fade_ms / 1000)))
    return out, gain_db, limited


def _gain_and_limit(
    samples: np.ndarray, rate: int, gain_db: float, target: Target
) -> tuple[np.ndarray, bool]:
    samples = samples * np.float32(10 ** (gain_db / 20))
    ceiling = 10 ** (target.ceiling_dbfs / 20)
    limited = bool(samples.size) and float(np.max(np.abs(samples))) > ceiling
    if limited:
        samples *= _limiter_gain(samples, ceiling, max(1, round(rate * LIMITER_WINDOW_S)))
    return samples, limited


def _limiter_gain(samples: np.ndarray, ceiling: float, window: int) -> np.ndarray:
    """A gain curve that brings every peak down to `ceiling`, ramping over `window` samples.

    Worked out on blocks of LIMITER_BLOCK samples (their peak stands for all of them, so no
    sample gets less reduction than it needs): the gain each block needs is spread to `window`
    either side (a running minimum), then smoothed by a moving average `window` long, so the
    ramp starts before the peak (look-ahead) and never rises above what the peak needs.
    """
    n = samples.shape[1]
    blocks = -(-n // LIMITER_BLOCK)
    peak = np.zeros(blocks * LIMITER_BLOCK, dtype=np.float32)
    peak[:n] = np.max(np.abs(samples), axis=0)
    peak = peak.reshape(blocks, LIMITER_BLOCK).max(axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12)).astype(np.float32)
    reach = max(1, -(-window // LIMITER_BLOCK))
    spread = _running_min(need, 2 * reach + 1)
    sums = np.concatenate(([0.0], np.cumsum(spread, dtype=np.float64)))
    lo = np.clip(np.arange(blocks) - reach // 2, 0, blocks)
    hi = np.clip(lo + reach, 0, blocks)
    smooth = np.minimum((sums[hi] - sums[lo]) / np.maximum(hi - lo, 1), spread)
    return np.repeat(smooth.astype(np.float32), LIMITER_BLOCK)[:n]


def _running_min(x: np.ndarray, width: int) -> np.ndarray:
    """Minimum over a centred window of `width` samples (van Herk / Gil-Werman, O(n))."""
    half = width // 2
    n = x.shape[0]
    blocks = math.ceil((n + 2 * half) / width)
    padded = np.full(blocks * width, np.inf, dtype=x.dtype)
    padded[half : half + n] = x
    grid = padded.reshape(blocks, width)
    forward = np.minimum.accumulate(grid, axis=1).ravel()
    backward = np.minimum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    # the window starting at i spans [i, i + width): backward[i] covers up to its block's end,
    # forward[i + width - 1] from that block's start
    return np.minimum(backward[:n], forward[width - 1 : width - 1 + n])


def _fade(samples: np.ndarray, length: int) -> None:
    length = min(length, samples.shape[1] // 2)
    if length <= 0:
        return
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, length, dtype=np.float32))).astype(
        np.float32
    )
    samples[:, :length] *= ramp
    samples[:, -length:] *= ramp[::-1]
