"""Waveform peaks for wavesurfer.js, in the audiowaveform (BBC) v2 formats.

The browser never decodes a whole episode: the server decodes once and stores min/max pairs,
8-bit, mono, at 100 pixels per second by default (10 ms per pixel: the clip tool can zoom in
far enough to cut between words). A 60-minute episode is 720 KB as .dat, the compact form we
store; the JSON form is what wavesurfer (or peaks.js) loads, and `downsample` derives a coarse
overview for a 3-hour episode from the stored fine one without decoding again.

How we decode, measured with bench/peaks.py on this project's 2-core machine (shared with other
jobs at the time) for a 60-minute 64 kbps mono MP3, 137k MPEG frames:

- PyAV at the native sample rate, frames queued in an AudioFifo and read back as ~2.5 s blocks,
  min/max by numpy reshape: 2.0-2.3 s. This is what we do. Decoding itself is ~1.3 s of it.
- The same, converting each decoded frame to numpy: ~2.8 s; per-frame Python work dominates.
- PyAV through a resampler to 8 kHz s16 mono: ~3.6 s. Resampling costs more than it saves, and
  its low-pass filter shaves the very peaks we want to draw.
- The ffmpeg binary decoding to PCM on a pipe (native rate or `-ar 8000`) into numpy: ~5-6 s
  wall, of which ~3 s is system time in ffmpeg's threaded per-frame pipeline.
- Two threads decoding halves of the file (PyAV releases the GIL): rejected, because seeking in
  a VBR MP3 lands on estimated timestamps, so the second half could be drawn in the wrong place.
  `thread_type="AUTO"` changes nothing: audio decoders here are single-threaded.

Samples are counted as they are decoded, so peak i is at i * samples_per_pixel from the start of
the decoded audio, the same timeline `probe` reports. A packet that fails to decode is drawn
as silence of its duration instead of shifting everything after it earlier.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import av
import av.audio.fifo
import av.audio.frame
import av.audio.resampler
import av.error
import numpy as np
import numpy.typing as npt

from soundbite.domain.media import Peaks
from soundbite.domain.progress import ProgressFn, no_progress
from soundbite.errors import MediaError
from soundbite.media.loudness import BlockMeter
from soundbite.media.probe import audio_stream, open_media

BITS = 8
BLOCK_PIXELS = 256  # ~2.5 s at 100 px/s: big enough for numpy, small enough to stay in cache
PROGRESS_STEP = 2.0  # percent
MAX_GAP_S = 1.0  # audio packets last 20-120 ms; anything longer from a broken packet is a lie
_DAT_HEADER = struct.Struct("<iIiiI")  # version, flags, sample_rate, samples_per_pixel, length
_DAT_FLAG_8BIT = 1
_DTYPES: dict[str, type[np.generic]] = {
    "u8": np.uint8,
    "s16": np.int16,
    "s32": np.int32,
    "s64": np.int64,
    "flt": np.float32,
    "dbl": np.float64,
}
_INT_FULL_SCALE = {"s16": 2**15, "s32": 2**31, "s64": 2**63}


def compute_peaks(
    path: Path, *, pixels_per_second: int = 100, progress: ProgressFn = no_progress
) -> Peaks:
    """Decode `path` once and return 8-bit min/max peaks of its mono mix."""
    return analyse_audio(
        path, pixels_per_second=pixels_per_second, progress=progress, loudness=False
    )[0]


def analyse_audio(
    path: Path,
    *,
    pixels_per_second: int = 100,
    progress: ProgressFn = no_progress,
    loudness: bool = True,
) -> tuple[Peaks, npt.NDArray[np.float32] | None]:
    """Decode `path` once: its peaks, and its loudness blocks (``loudness.BlockMeter``).

    The blocks are None where a clip render would measure something else (more than two
    channels, which renders take the front pair of) or where 100 ms is not a whole number of
    samples (11.025 kHz), since a hop of 1102 samples would drift 1.8 s an hour from the clock.
    Metering (FFmpeg's ebur128 filter) adds 2-3 s per hour of stereo 44.1 kHz audio (the
    60-minute episode of ``bench/clips.py``: 3.3 s without, 6.3 s with; 7.2 s and 9.1 s in a
    busier moment of the shared machine), once per episode in the background; it saves the
    loudness pass (about 0.1 s per minute of clip) before every new clip's first byte.
    Progress is reported every 2 % of the file's bytes, which track duration more honestly
    than a container's announced duration.
    """
    if pixels_per_second <= 0:
        raise ValueError("pixels_per_second must be positive")
    size = max(path.stat().st_size, 1)
    step = size * PROGRESS_STEP / 100
    progress(0.0, "drawing the waveform")
    with open_media(path) as container:
        stream = audio_stream(container)
        decode = stream.codec_context.decode
        reducer: _Reducer | None = None
        next_report = step
        # The hot loop: ~140k packets an hour for MP3, so per-frame work stays minimal.
        for packet in container.demux(stream):
            try:
                frames = decode(packet)
            except av.error.FFmpegError:
                if reducer is not None and packet.duration and packet.time_base:
                    # a corrupt packet may also carry a corrupt duration: cap the gap we draw
                    gap = min(float(packet.duration * packet.time_base), MAX_GAP_S)
                    reducer.silence(gap)
                continue
            for frame in frames:
                if reducer is None:
                    reducer = _Reducer(frame, pixels_per_second, metered=loudness)
                reducer.add(frame)
            pos = packet.pos
            if pos is not None and pos >= next_report and reducer is not None:
                next_report = pos + step
                progress(pos * 100 / size, reducer.status())
    if reducer is None:
        raise MediaError("could not decode any audio: truncated or corrupt")
    peaks = reducer.finish()
    blocks = reducer.meter.finish() if reducer.meter is not None else None
    progress(100.0, "waveform ready")
    return peaks, blocks


class _Reducer:
    """Turns decoded frames into min/max pairs, a block of pixels at a time.

    Frames (1152 samples for MP3) are too small to hand to numpy one by one, so they queue in
    an AudioFifo (C) and come out as blocks of BLOCK_PIXELS whole pixels.
    """

    def __init__(
        self, first: av.audio.frame.AudioFrame, pixels_per_second: int, *, metered: bool = False
    ) -> None:
        self.sample_rate = first.sample_rate
        self.spp = max(1, round(self.sample_rate / pixels_per_second))
        self.format = first.format.name
        self.layout = first.layout.name
        self.channels = first.layout.nb_channels
        self.dtype = _DTYPES[self.format.removesuffix("p")]
        self.planar = first.format.is_planar
        self.fifo = av.audio.fifo.AudioFifo()
        self.resampler: av.audio.resampler.AudioResampler | None = None
        self.block = self.spp * BLOCK_PIXELS
        self.carry = np.zeros(0, np.float32)  # samples short of a whole pixel, for the next block
        self.parts: list[npt.NDArray[np.int8]] = []
        self.samples = 0
        meterable = metered and self.channels <= 2 and self.sample_rate % 10 == 0
        self.meter = BlockMeter(self.sample_rate, self.layout, self.format) if meterable else None

    def add(self, frame: av.audio.frame.AudioFrame) -> None:
        frame.pts = None  # the FIFO would check timestamp continuity; we count samples instead
        if frame.layout.nb_channels != self.channels:
            self._convert(frame)  # the FIFO does not check this one, and would read past planes
        else:
            try:
                self.fifo.write(frame)
            except ValueError:  # the format or rate changed midway
                self._convert(frame)
        if self.fifo.samples >= self.block:
            self._reduce(self._read(self.block))

    def silence(self, seconds: float) -> None:
        self._drain()
        samples = round(seconds * self.sample_rate)
        self._reduce(np.zeros(samples, np.float32))
        if self.meter is not None and samples:  # keep the loudness blocks on the same clock
            fmt = self.format
            shape = (self.channels, samples) if self.planar else (1, samples * self.channels)
            zeros = np.full(shape, 128 if fmt == "u8" else 0, self.dtype)
            self.meter.push(av.AudioFrame.from_ndarray(zeros, format=fmt, layout=self.layout))

    def status(self) -> str:
        seconds = (self.samples + self.fifo.samples) / self.sample_rate
        return f"drawing the waveform: {seconds:.0f} s of audio read"

    def finish(self) -> Peaks:
        self._drain()
        if self.carry.size:  # the last, partial pixel
            self._append(self.carry.min(keepdims=True), self.carry.max(keepdims=True))
        data = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int8)
        return Peaks(self.sample_rate, self.spp, BITS, data.tolist())

    def _convert(self, frame: av.audio.frame.AudioFrame) -> None:
        # rare (a stream that changes rate or channels midway): bring it to the first format
        if self.resampler is None:
            self.resampler = av.audio.resampler.AudioResampler(
                format=self.format, layout=self.layout, rate=self.sample_rate
            )
        for f in self.resampler.resample(frame):
            f.pts = None
            self.fifo.write(f)

    def _drain(self) -> None:
        while self.fifo.samples:
            self._reduce(self._read(min(self.fifo.samples, self.block)))

    def _read(self, samples: int) -> npt.NDArray[np.float32]:
        frame = self.fifo.read(samples)
        assert frame is not None
        if self.meter is not None:
            self.meter.push(frame)
        # frombuffer on the planes: to_ndarray() would vstack a copy first
        mixed: npt.NDArray[Any]
        if self.planar:
            planes = [np.frombuffer(memoryview(p), self.dtype, count=samples) for p in frame.planes]
            one = self.channels == 1
            mixed = planes[0] if one else np.stack(planes).mean(axis=0, dtype=np.float32)
        else:
            count = samples * self.channels
            packed = np.frombuffer(memoryview(frame.planes[0]), self.dtype, count=count)
            one = self.channels == 1
            mixed = (
                packed if one else packed.reshape(-1, self.channels).mean(axis=1, dtype=np.float32)
            )
        return _normalise(mixed, self.format.removesuffix("p"))

    def _reduce(self, mono: npt.NDArray[np.float32]) -> None:
        self.samples += mono.size
        if self.carry.size:
            mono = np.concatenate([self.carry, mono])
        whole = mono.size // self.spp * self.spp
        self.carry = mono[whole:].copy()
        if whole:
            pixels = mono[:whole].reshape(-1, self.spp)
            self._append(pixels.min(axis=1), pixels.max(axis=1))

    def _append(self, lo: npt.NDArray[np.float32], hi: npt.NDArray[np.float32]) -> None:
        pairs = np.empty(lo.size * 2, np.int8)
        pairs[0::2] = _to_8bit(lo)
        pairs[1::2] = _to_8bit(hi)
        self.parts.append(pairs)


def _normalise(x: npt.NDArray[Any], fmt: str) -> npt.NDArray[np.float32]:
    """Samples (or a mean of channels) as float32 in [-1, 1), whatever the sample format."""
    if fmt == "u8":
        return (x.astype(np.float32) - np.float32(128)) / np.float32(128)
    if fmt in _INT_FULL_SCALE:
        return x.astype(np.float32) / np.float32(_INT_FULL_SCALE[fmt])
    return x.astype(np.float32, copy=False)


def _to_8bit(x: npt.NDArray[np.float32]) -> npt.NDArray[np.int8]:
    # audiowaveform's 16 -> 8 bit is an arithmetic shift, i.e. floor(x * 128)
    return np.clip(np.floor(x * 128), -128, 127).astype(np.int8)


def downsample(p: Peaks, pixels_per_second: float) -> Peaks:
    """A coarser view of `p` (e.g. 1 px/s for a 3-hour overview) without decoding again.

    Each new pixel takes the min and max of the old pixels whose start falls inside it; when the
    new width is a whole multiple of the old one (100 -> 10 or 1 px/s), that is exact.
    """
    spp = round(p.sample_rate / pixels_per_second)
    if spp < p.samples_per_pixel:
        raise ValueError("downsample can only make peaks coarser")
    if spp == p.samples_per_pixel or not p.data:
        return Peaks(p.sample_rate, p.samples_per_pixel, p.bits, list(p.data))
    pairs = np.asarray(p.data, dtype=np.int16).reshape(-1, 2)
    out_len = -(-pairs.shape[0] * p.samples_per_pixel // spp)  # ceil
    starts = np.arange(out_len, dtype=np.int64) * spp // p.samples_per_pixel
    out = np.empty((out_len, 2), np.int16)
    out[:, 0] = np.minimum.reduceat(pairs[:, 0], starts)
    out[:, 1] = np.maximum.reduceat(pairs[:, 1], starts)
    return Peaks(p.sample_rate, spp, p.bits, out.ravel().tolist())


def peaks_to_json(p: Peaks) -> dict[str, Any]:
    """audiowaveform's JSON v2 (what wavesurfer.js and peaks.js load)."""
    return {
        "version": 2,
        "channels": 1,
        "sample_rate": p.sample_rate,
        "samples_per_pixel": p.samples_per_pixel,
        "bits": p.bits,
        "length": p.length,
        "data": p.data,
    }


def peaks_to_dat(p: Peaks) -> bytes:
    """audiowaveform's binary .dat v2: a 24-byte little-endian header, then int8/int16 pairs."""
    if p.bits not in (8, 16):
        raise ValueError(f"audiowaveform stores 8 or 16 bits, not {p.bits}")
    flags = _DAT_FLAG_8BIT if p.bits == 8 else 0
    dtype = "<i1" if p.bits == 8 else "<i2"
    header = _DAT_HEADER.pack(2, flags, p.sample_rate, p.samples_per_pixel, p.length)
    return header + struct.pack("<i", 1) + np.asarray(p.data, dtype=dtype).tobytes()


def peaks_from_dat(b: bytes) -> Peaks:
    """Read a mono audiowaveform .dat (v1 or v2) back into Peaks."""
    if len(b) < _DAT_HEADER.size:
        raise ValueError("not an audiowaveform .dat file: too short")
    version, flags, sample_rate, spp, length = _DAT_HEADER.unpack_from(b)
    offset, channels = _DAT_HEADER.size, 1
    if version == 2:
        (channels,) = struct.unpack_from("<i", b, offset)
        offset += 4
    elif version != 1:
        raise ValueError(f"unsupported audiowaveform .dat version {version}")
    if channels != 1:
        raise ValueError(f"expected mono peaks, got {channels} channels")
    bits = 8 if flags & _DAT_FLAG_8BIT else 16
    values = np.frombuffer(b, dtype="<i1" if bits == 8 else "<i2", offset=offset)
    if values.size != 2 * length:
        raise ValueError(
            f"truncated .dat: header says {length} pixels, data holds {values.size // 2}"
        )
    return Peaks(sample_rate, spp, bits, values.tolist())
