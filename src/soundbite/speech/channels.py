"""How to use a two-channel file's channels: mix them, or transcribe each as its own speaker.

Why a channel got lost (issue 10, part 2): the file was mixed to mono (libswresample, in
faster-whisper's `decode_audio`, averages left and right) and the VAD then picked the windows
to transcribe from that mix. A voice that lives on one channel only reaches the mix at half its
level (-6 dB), on top of whatever the other channel carries; remote guests and phone lines are
also recorded quieter than the host. Silero's speech probability falls with level, so the quiet
voice's speech never became a window and was never decoded. Plain faster-whisper runs no VAD
(it decodes every 30 s of the file), which is why it kept both voices. Measured on a test file
(sonnet on the left for 25 s, then JFK on the right, MP3): with the right channel 18 dB
quieter the VAD on the mix lost 26.0-27.0 s ("And so my fellow Americans, ask"); 30 dB quieter,
26-32 s; the VAD on the right channel alone found all of 26.0-36.9 s in both cases.

So each two-channel file is measured first, over 0.5 s blocks where either channel carries
sound (above -50 dBFS). A file under 40 minutes is read whole; a longer one through 40 excerpts
of 30 s spread over it (speech/pcm.py `pcm_excerpts`): on an hour of stereo MP3 that took 9 s
instead of 37 s, with the same figures, and it stays 20 minutes of decoding for 8 hours.

- Correlation of left and right, energy-weighted over those blocks. The same voice on both
  channels (ordinary stereo, a mono recording stored as stereo, panned music) is near 1:
  1.00 for JFK (stereo FLAC), 0.998 for the sonnet (joint-stereo MP3). Two different
  recordings, one per channel, are near 0: 0.000 alternating (the test's LibriSpeech reader,
  then JFK 18 dB quieter on the other channel), 0.001 overlapping (a phone call with JFK
  talking over it), 0.003 for the phone call against the sonnet.
- Which channel leads: a block belongs to the channel that is 10 dB louder than the other.
  Separate voices take turns, each leading a good share of the sounding time (0.36 / 0.64
  alternating, 0.52 / 0.39 overlapping); ordinary stereo has no block led by one channel
  (0.00 / 0.00), and a voice on one channel with the other silent leads alone (1.00 / 0.00).

Uncorrelated (below 0.5) and each channel leading at least 5 % of the sounding blocks means
one voice per channel (5 %: a host who only asks short questions still counts): each channel is
transcribed on its own, labelled "Speaker 1" (left) and "Speaker 2" (right), and the two merged
by time. Each channel is first brought to speech level (its loudest tenth of blocks to -20 dBFS,
at most +30 dB), since Silero misses quiet speech: with JFK 30 dB down, the VAD on his channel
as recorded missed "And so my fellow Americans"; raised, it found all of it.

Otherwise the channels are mixed: averaged when correlated (the same signal twice must not
double), summed when not (so a voice on one channel alone keeps its full level instead of
losing 6 dB). Files with one or more than two channels are mixed by libswresample.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from soundbite.speech.pcm import SAMPLE_RATE

SPEAKERS = ("Speaker 1", "Speaker 2")
_BLOCK = SAMPLE_RATE // 2  # 0.5 s
_SOUND_DBFS = -50.0  # quieter blocks are silence or line noise
_LEAD_DB = 10.0
_MAX_CORRELATION = 0.5
_MIN_LEAD_SHARE = 0.05
_SPEECH_DBFS = -20.0  # a voice recorded at a sensible level
_MAX_GAIN_DB = 30.0


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    split: bool  # transcribe each channel on its own, one speaker per channel
    mix_gain: float  # per-channel gain when mixing: 0.5 averages, 1.0 sums
    correlation: float | None = None
    lead_shares: tuple[float, float] | None = None
    split_gains: tuple[float, float] = (1.0, 1.0)  # bring each channel's voice to speech level

    @property
    def tracks(self) -> int:
        return 2 if self.split else 1

    def apply(self, block: np.ndarray) -> np.ndarray:
        """The decoded block (channels, n) as the tracks to transcribe (tracks, n)."""
        if block.shape[0] == 1:
            return block
        if self.split:
            gains = np.array(self.split_gains, dtype=np.float32)[:, np.newaxis]
            return np.clip(block * gains, -1.0, 1.0) if self.split_gains != (1.0, 1.0) else block
        mixed = (block[0] + block[1]) * self.mix_gain
        return np.clip(mixed, -1.0, 1.0)[np.newaxis, :]


MONO = ChannelPlan(split=False, mix_gain=1.0)


def plan_channels(blocks: Iterable[np.ndarray]) -> ChannelPlan:
    """Decide from the whole file's stereo samples (blocks of shape (2, n)) how to use them."""
    energies: list[np.ndarray] = []  # per 0.5 s block: sum of L², R², L·R
    pending: list[np.ndarray] = []
    pending_samples = 0
    for block in blocks:
        pending.append(block)
        pending_samples += block.shape[1]
        if pending_samples >= 20 * _BLOCK:  # join decoded frames 10 s at a time, not each
            samples = np.concatenate(pending, axis=1)
            whole = samples.shape[1] // _BLOCK * _BLOCK
            energies.append(_block_energies(samples[:, :whole]))
            pending, pending_samples = [samples[:, whole:]], samples.shape[1] - whole
    if pending_samples >= _BLOCK:
        samples = np.concatenate(pending, axis=1)
        energies.append(_block_energies(samples[:, : samples.shape[1] // _BLOCK * _BLOCK]))
    if not energies:
        return ChannelPlan(split=False, mix_gain=0.5)
    e = np.concatenate(energies)
    ll, rr, lr = e[:, 0], e[:, 1], e[:, 2]
    level_db = 10 * np.log10(np.maximum(np.maximum(ll, rr) / _BLOCK, 1e-12))
    sounding = level_db > _SOUND_DBFS
    if not sounding.any():
        return ChannelPlan(split=False, mix_gain=0.5)
    ll, rr, lr = ll[sounding], rr[sounding], lr[sounding]
    correlation = float(lr.sum() / max(np.sqrt(ll.sum() * rr.sum()), 1e-12))
    balance_db = 10 * np.log10(np.maximum(ll, 1e-12) / np.maximum(rr, 1e-12))
    shares = (float(np.mean(balance_db > _LEAD_DB)), float(np.mean(balance_db < -_LEAD_DB)))
    separate = correlation < _MAX_CORRELATION
    split = separate and min(shares) >= _MIN_LEAD_SHARE
    return ChannelPlan(
        split=split,
        mix_gain=1.0 if separate else 0.5,
        correlation=round(correlation, 3),
        lead_shares=(round(shares[0], 3), round(shares[1], 3)),
        split_gains=(_gain(ll), _gain(rr)) if split else (1.0, 1.0),
    )


def _gain(energies: np.ndarray) -> float:
    """Gain bringing a channel's loud blocks (its 90th percentile) to speech level, never down."""
    loud_db = 10 * np.log10(max(float(np.percentile(energies, 90)) / _BLOCK, 1e-12))
    return round(float(10 ** (np.clip(_SPEECH_DBFS - loud_db, 0.0, _MAX_GAIN_DB) / 20)), 3)


def _block_energies(samples: np.ndarray) -> np.ndarray:
    pairs = samples.astype(np.float64).reshape(2, -1, _BLOCK)
    left, right = pairs[0], pairs[1]
    return np.stack(
        [(left * left).sum(axis=1), (right * right).sum(axis=1), (left * right).sum(axis=1)],
        axis=1,
    )
