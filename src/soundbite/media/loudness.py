"""Loudness: measure it (ITU-R BS.1770-4 / EBU R128) and bring audio to a target without clipping.

- Measuring uses FFmpeg's ``ebur128`` filter in-process, through a PyAV filter graph: the
  reference implementation of the K-weighting and gating, already installed with PyAV; about
  0.1 s per minute of stereo 44.1 kHz audio (0.09 s measured for 60 s). (pyloudnorm would need
  SciPy for the same two biquads.)
- The gain is applied in numpy. Where it would push peaks over the ceiling, a look-ahead peak
  limiter brings them down (``_limiter_gain``); a limited result is measured again and the lost
  loudness added once more, so speech lands on target even when it needed a large boost.
- Short raised-cosine fades at both ends: a cut through a waveform that is not at zero clicks.
- Silence and near-silence (under ``SILENCE_LUFS``) are left alone: boosting them only makes
  noise loud. No boost exceeds ``MAX_BOOST_DB``, for the same reason.

Loudness of any span without decoding it first (``BlockMeter``, ``gated_loudness``). BS.1770
integrated loudness is a function of the 400 ms blocks inside the measured stretch, taken every
100 ms: each block's mean square, K-weighted and summed over channels, then gated (blocks under
−70 LUFS dropped, then blocks 10 LU under the mean of the rest). So the peaks stage, which
decodes the whole episode anyway, also runs FFmpeg's ``ebur128`` filter and keeps the energy of
the block starting at every 100 ms (the filter's momentary loudness, 4 bytes each: 144 KB an
hour). A clip's loudness is then the gating of the blocks lying wholly within its span: known
before its first sample is decoded, which is what lets its first byte go out without a
loudness pass. It differs from measuring the cut itself only at the span's edges (blocks on
the episode's 100 ms grid instead of the span's, and a K-weighting filter already settled):
``tests/test_render.py`` finds the two within 0.5 LU on real recordings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import av.filter
import numpy as np

BLOCK_MS = 400  # BS.1770 gating block
HOP_MS = 100  # blocks overlap by 75 %: one starts every 100 ms
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = 10.0
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


class BlockMeter:
    """Energies of the BS.1770 blocks of a stream fed in pieces: element k is the K-weighted,
    channel-summed mean square of the 400 ms starting at k * 100 ms (FFmpeg's ebur128 filter,
    whose momentary loudness after each 100 ms is the block ending there)."""

    def __init__(self, rate: int, layout: str, sample_format: str) -> None:
        self.rate = rate
        self._graph = av.filter.Graph()
        src = self._graph.add_abuffer(
            format=sample_format, sample_rate=rate, layout=layout, time_base=Fraction(1, rate)
        )
        meter = self._graph.add("ebur128", "metadata=1")
        sink = self._graph.add("abuffersink")
        src.link_to(meter)
        meter.link_to(sink)
        self._graph.configure()
        self._pts = 0
        self._momentary: list[float] = []

    def push(self, frame: av.AudioFrame | None) -> None:
        """The next samples (None: the end of the stream)."""
        if frame is not None:
            frame.pts, frame.time_base = self._pts, Fraction(1, self.rate)
            frame.sample_rate = self.rate
            self._pts += frame.samples
        self._graph.push(frame)
        while True:
            try:
                out = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            self._momentary.append(float(out.metadata.get("lavfi.r128.M", "-inf")))

    def finish(self) -> np.ndarray:
        """float32 block energies, one per 100 ms of the stream that a whole block covers."""
        self.push(None)
        # the first three values are blocks that start before the stream (zeros in front)
        momentary = np.asarray(self._momentary[3:], dtype=np.float64)
        return (10 ** ((momentary + 0.691) / 10)).astype(np.float32)


def blocks_within(start_ms: int, end_ms: int) -> tuple[int, int]:
    """(first, last + 1): the indices of the blocks lying wholly within start_ms..end_ms."""
    first = -(-start_ms // HOP_MS)
    return first, max(first, (end_ms - BLOCK_MS) // HOP_MS + 1)


def gated_loudness(energies: np.ndarray) -> float:
    """Integrated loudness (LUFS) of the stretch these block energies cover (BS.1770-4 gating).

    All blocks under the absolute gate (silence) give −70, as FFmpeg's meter does."""
    e = energies.astype(np.float64)
    kept = e[e > _energy(ABSOLUTE_GATE_LUFS)]
    if not kept.size:
        return ABSOLUTE_GATE_LUFS
    relative = _lufs(float(kept.mean())) - RELATIVE_GATE_LU
    kept = kept[kept > _energy(relative)]
    return _lufs(float(kept.mean()))


def _energy(lufs: float) -> float:
    return float(10 ** ((lufs + 0.691) / 10))


def _lufs(energy: float) -> float:
    return -0.691 + 10 * math.log10(energy)


def gain_for(loudness: float, target: Target) -> float:
    """The gain (dB) that brings `loudness` to the target: none for silence, at most +20 dB."""
    return 0.0 if loudness < SILENCE_LUFS else min(target.lufs - loudness, MAX_BOOST_DB)


class StreamNormaliser:
    """``normalise`` for PCM that arrives in pieces, when the loudness is known beforehand
    (``gated_loudness`` of the episode's blocks): what comes out can be encoded at once.

    The gain is fixed; the limiter sees ``LOOKAHEAD_BLOCKS`` of its blocks beyond what it lets
    out (and as many before), more than its window reaches, so every sample gets the reduction
    its neighbours' peaks need, as in one pass over the whole span. One thing cannot be done in
    a stream: measuring the limited result and topping up the loudness it lost, so where the
    limiter works hard the clip lands under target. Measured (streamed / two passes, LUFS):
    the 16 kHz phone call that needs +16 dB, −17.1 / −16.3; a German reading needing +10.5 dB,
    −16.4 / −16.1; the sonnet (+2.8 dB), −16.2 / −16.0; JFK (turned down), −16.0 / −16.0.
    Within the ±1 LU podcast platforms allow, for a first byte that does not wait on the span.
    """

    LOOKAHEAD_BLOCKS = 32  # of LIMITER_BLOCK samples: 23 ms at 44.1 kHz, 3x the window's reach
    BATCH = 8192  # samples let out at a time: the encoder's first frame needs ~1700

    def __init__(self, rate: int, total: int, loudness: float, target: Target) -> None:
        self.gain_db = gain_for(loudness, target)
        self.limited = False
        self._scale = np.float32(10 ** (self.gain_db / 20))
        self._ceiling = 10 ** (target.ceiling_dbfs / 20)
        self._window = max(1, round(rate * LIMITER_WINDOW_S))
        self._fade = min(max(1, round(rate * target.fade_ms / 1000)), total // 2)
        self._ramp = _ramp(self._fade) if self._fade > 0 else np.ones(0, np.float32)
        self._total = total
        self._margin = self.LOOKAHEAD_BLOCKS * LIMITER_BLOCK
        self._pending: np.ndarray | None = None  # context already let out, then the rest
        self._context = 0  # samples at the front of _pending that were already let out
        self._emitted = 0  # samples let out so far (global position of the next one)

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Take the next samples; return those now ready (possibly none)."""
        gained = samples * self._scale
        self._pending = (
            gained if self._pending is None else np.concatenate([self._pending, gained], axis=1)
        )
        ready = self._pending.shape[1] - self._context - self._margin
        if ready < self.BATCH:
            return np.zeros((samples.shape[0], 0), np.float32)
        return self._let_out(ready // LIMITER_BLOCK * LIMITER_BLOCK)

    def finish(self) -> np.ndarray:
        if self._pending is None:
            return np.zeros((1, 0), np.float32)
        return self._let_out(self._pending.shape[1] - self._context)

    def _let_out(self, count: int) -> np.ndarray:
        assert self._pending is not None
        pending, part = self._pending, slice(self._context, self._context + count)
        if float(np.max(np.abs(pending))) > self._ceiling:
            self.limited = True
            out = pending[:, part] * _limiter_gain(pending, self._ceiling, self._window)[part]
        else:
            out = np.array(pending[:, part])
        self._fade_edges(out, self._emitted)
        self._emitted += count
        keep_from = max(0, self._context + count - self._margin)
        self._pending = self._pending[:, keep_from:]
        self._context = self._context + count - keep_from
        return out

    def _fade_edges(self, out: np.ndarray, at: int) -> None:
        length, ramp, n = self._fade, self._ramp, out.shape[1]
        if length <= 0:
            return
        if at < length:  # fade in: global positions 0..length
            k = min(length - at, n)
            out[:, :k] *= ramp[at : at + k]
        tail = self._total - length  # fade out: the last `length` samples
        if at + n > tail:
            first = max(at, tail)
            out[:, first - at :] *= ramp[::-1][first - tail : at + n - tail]


def normalise(
    samples: np.ndarray, rate: int, loudness: float, target: Target
) -> tuple[np.ndarray, float, bool]:
    """(samples with gain, limiting and fades applied, the gain in dB, whether it limited).

    Limiting takes loudness away with the peaks, so a limited result is measured again and the
    shortfall added once more (then limited again): two passes land within a few tenths of a LU
    even on a quiet phone recording that needs +16 dB.
    """
    gain_db = gain_for(loudness, target)
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
    ramp = _ramp(length)
    samples[:, :length] *= ramp
    samples[:, -length:] *= ramp[::-1]


def _ramp(length: int) -> np.ndarray:
    """A raised-cosine fade-in, `length` samples."""
    return (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, length, dtype=np.float32))).astype(
        np.float32
    )
