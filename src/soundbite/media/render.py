"""Render a clip: a sample-accurate cut of stored media, loudness-normalised, faded, encoded.

Why this shape (measured in ``bench/clips.py`` on a 60 s span of a 60-minute MP3):

- Decode only the span, in-process, with PyAV: from the MP3 seek point before it when the probe
  stage recorded them (in a local 60-minute file that spares the demuxer 50-75 ms of counting
  its way there), seek to half a second before it (the preroll that MP3, AAC and Opus decoders
  need to rebuild their state, thrown away), then trim to the exact sample using frame
  timestamps. The source may be a seekable stream as well as a file: on S3 that means ranged
  reads of the windows the demuxer seeks to, not a download of the episode. The ffmpeg binary's
  ``-ss`` would also work, but the gain is applied to the PCM in numpy, so we need it in hand.
- VBR MP3 is the format whose seeking could guess (its Xing table of contents places a time at
  a byte only roughly). FFmpeg does not use that table by default: it demuxes packets from the
  last known position and counts their timestamps, so the cut is exact there too, for about
  0.1 s per 30 minutes of demuxing (``tests/test_render.py`` checks both kinds sample by sample).
- Loudness (``media/loudness.py``): integrated loudness per ITU-R BS.1770-4 / EBU R128, gain to
  the target (−16 LUFS, the podcast norm), a peak limiter where the gain would clip, and 20 ms
  fades at both ends so the cut does not click. The caller passes the span's loudness when the
  episode's blocks give it (measured once, with the waveform). Then the render is a stream:
  each decoded piece gets the gain, the look-ahead limiter and the fades
  (``loudness.StreamNormaliser``) and goes to the encoder at once, so the first MP3 frame
  follows the first 8192 samples instead of the whole span's decode and loudness pass
  (``bench/clips.py``: POST to first audio frame 0.56 s before, now under bare ffmpeg's first
  byte on a pipe). Without blocks (episodes processed before them, spans under 10 s, sources
  at a rate MP3 lacks): decode the span, measure it, normalise in two passes, then encode.
- Exact length: the output holds exactly ``span_samples`` samples (resampled in-process when the
  source's rate is one MP3 lacks, padded with silence if the media ends a few ms early), so an
  MP3's whole layout is known before encoding. MP3: we write its Info/LAME header frame
  (``media/mp3_info.py``: frame count, byte count, encoder delay and padding, so decoders trim
  to the sample) and pass the final size to ``on_size``; ffmpeg/libmp3lame then writes frames
  only (``-write_xing 0``) to a pipe, appended to the file as they come, ``on_output`` after
  each piece so a caller can stream it (``clips/renders.py``). The file is byte for byte what
  a reader saw while it grew; a size other than the announced one is an error. M4A: AAC with
  ``+faststart`` (the index first, so players start before the end arrives) into the file;
  FFmpeg's edit list skips the AAC priming and ends at the span's last sample.
- The encoder is started before decoding so its start-up overlaps our work; PCM reaches it as
  a float WAV on stdin.
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Literal, cast

import av
import av.error
import av.filter
import numpy as np

from soundbite.domain.media import MediaSource
from soundbite.errors import MediaError
from soundbite.media.ffmpeg import close_pipes, ffmpeg_command, last_error_line
from soundbite.media.frames import VideoStyle
from soundbite.media.loudness import StreamNormaliser, Target, integrated_loudness, normalise
from soundbite.media.mp3_info import MP3_RATES, Mp3Layout, lame_kbps
from soundbite.media.probe import audio_stream, open_media
from soundbite.media.seeking import ByteView, SeekIndex

PREROLL_S = 0.5
FEED_SAMPLES = 1 << 15  # PCM handed to the encoder per write: ~0.7 s, so output grows steadily
COPY_CHUNK = 64 * 1024
WAV_PACKET_BYTES = 64 * 1024
NOTIFY_BYTES = 16 * 1024  # about 1 s of 128 kbit/s audio, written in ~30 ms
ENCODE_TIMEOUT_S = 600.0

Format = Literal["mp3", "m4a", "mp4"]


@dataclass(frozen=True, slots=True)
class RenderProfile:
    """How a clip is rendered. Its ``name`` is part of the cache key: change any field (or bump
    ``version`` when the code changes what comes out) and old renders are simply not found."""

    format: Format = "mp3"
    kbps: int = 128
    loudness_lufs: float = -16.0
    fade_ms: int = 20
    ceiling_dbfs: float = -1.5
    version: int = 2  # 2: our own Info frame, sent first (byte-identical stream and file)
    video: VideoStyle | None = None  # format "mp4": the picture (``media/video.py``)

    @property
    def name(self) -> str:
        lufs = f"{-self.loudness_lufs:g}".replace(".", "_")
        sound = f"{self.kbps}k-lufs{lufs}-fade{self.fade_ms}-v{self.version}"
        if self.video is not None:
            return f"{self.video.name}-{sound}.{self.format}"
        return f"{sound}.{self.format}"

    @property
    def media_type(self) -> str:
        return {"mp3": "audio/mpeg", "m4a": "audio/mp4", "mp4": "video/mp4"}[self.format]


@dataclass(frozen=True, slots=True)
class Pcm:
    samples: np.ndarray  # float32, shape (channels, n)
    rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.rate


@dataclass(frozen=True, slots=True)
class RenderResult:
    samples: int
    rate: int
    channels: int
    loudness_in: float  # LUFS of the cut before the gain
    gain_db: float
    limited: bool

    @property
    def duration_ms(self) -> float:
        return 1000 * self.samples / self.rate


def render_clip(
    src: MediaSource,
    start_ms: int,
    end_ms: int,
    out: Path,
    profile: RenderProfile,
    *,
    on_output: Callable[[], None] = lambda: None,
    on_size: Callable[[int], None] = lambda size: None,
    seek_index: SeekIndex | None = None,
    loudness: float | None = None,
    on_pcm: Callable[[np.ndarray], None] = lambda chunk: None,
    on_decoded: Callable[[int], None] | None = None,
) -> RenderResult:
    """Cut start_ms..end_ms of `src` into `out`; raises MediaError if it cannot be decoded.

    With the media's `seek_index` (MP3), decoding starts at the last seek point before the
    span instead of the demuxer finding its way from the start (a ranged stream on S3: instead
    of reading everything before it). `loudness` is the span's integrated loudness when it is
    already known (from the episode's loudness blocks, ``media/loudness.py``): the render then
    streams; otherwise the decoded span is measured first. An MP3's final size is passed to
    `on_size` before its first byte is written. `on_pcm` sees every piece of the samples fed
    to the encoder (channels × samples, float32), gain and fades applied, in order. With
    `on_decoded`, the whole span is decoded and handed to `on_pcm` before the encoder is fed,
    then `on_decoded(rate)` is called: a video draws its waveform from the samples while the
    audio is still encoding (the encoder, not the decoder, is most of a render's time).
    """
    source_rate, rate, channels = _output_format(src)
    samples = span_samples(start_ms, end_ms, rate)
    layout: Mp3Layout | None = None
    if profile.format == "mp3":
        layout = Mp3Layout(samples, rate, channels, lame_kbps(profile.kbps, rate))
        on_size(layout.size)
        out.write_bytes(layout.header)
        on_output()
    encoder = subprocess.Popen(
        ffmpeg_command(_encoder_args(profile, layout, out)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE if layout else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    copier = _Copier(encoder, out, on_output) if layout else None
    target = Target(profile.loudness_lufs, profile.ceiling_dbfs, profile.fade_ms)
    try:
        pieces = _iter_span_from(src, start_ms, end_ms, channels, seek_index)
        if loudness is not None and source_rate == rate:
            # the gain is known: each piece is encoded as soon as it is decoded
            stream = StreamNormaliser(rate, samples, loudness, target)
            chunks = _normalised(pieces, stream, samples, channels)
            _feed(encoder, chunks, rate, channels, samples, on_pcm, on_decoded)
            measured, gain, limited = loudness, stream.gain_db, stream.limited
        else:
            pcm = _fit(_joined(pieces), rate, samples)
            measured = loudness if loudness is not None else integrated_loudness(pcm.samples, rate)
            normalised, gain, limited = normalise(pcm.samples, rate, measured, target)
            _feed(encoder, iter([normalised]), rate, channels, samples, on_pcm, on_decoded)
        _finish(encoder, copier)
    except BaseException:
        encoder.kill()
        encoder.wait()
        if copier is not None:
            copier.join(report=False)  # the error being raised says more
        raise
    finally:
        close_pipes(encoder)
    if layout is not None and out.stat().st_size != layout.size:
        raise MediaError(
            f"the encoder wrote a {out.stat().st_size}-byte MP3 where {layout.size} bytes "
            "were announced: this libmp3lame frames CBR differently"
        )
    on_output()
    return RenderResult(samples, rate, channels, measured, gain, limited)


def _normalised(
    pieces: Iterator[Pcm], stream: StreamNormaliser, samples: int, channels: int
) -> Iterator[np.ndarray]:
    """The span's pieces through `stream`, exactly `samples` long (silence after an early end)."""
    fed = 0
    for piece in pieces:
        take = piece.samples[:, : samples - fed]
        fed += take.shape[1]
        if (ready := stream.push(take)).shape[1]:
            yield ready
    if fed < samples:
        yield stream.push(np.zeros((channels, samples - fed), np.float32))
    yield stream.finish()


def _joined(pieces: Iterator[Pcm]) -> Pcm:
    parts = list(pieces)
    samples = np.concatenate([p.samples for p in parts], axis=1)
    return Pcm(np.ascontiguousarray(samples), parts[0].rate)


def span_samples(start_ms: int, end_ms: int, rate: int) -> int:
    """Samples a render of start_ms..end_ms holds at `rate`: exactly, whatever the source."""
    return round((end_ms - start_ms) * rate / 1000)


class _Copier:
    """Appends the encoder's stdout to `out` (after the header frame already there), calling
    `on_output` as it grows, so whoever streams the file sees it: after the first frame, then
    every ``NOTIFY_BYTES``, not after each 417-byte frame (each call wakes every reader: 2,300
    wake-ups of the web process for a minute of audio, CPU taken from the encoder)."""

    def __init__(
        self, encoder: subprocess.Popen[bytes], out: Path, on_output: Callable[[], None]
    ) -> None:
        assert encoder.stdout is not None
        self._stdout, self._out, self._on_output = encoder.stdout, out, on_output
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mp3-copier", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self._out.open("ab") as f:
                unannounced = NOTIFY_BYTES  # the first frame is announced at once
                while chunk := os.read(self._stdout.fileno(), COPY_CHUNK):
                    f.write(chunk)
                    unannounced += len(chunk)
                    if unannounced >= NOTIFY_BYTES:
                        f.flush()
                        self._on_output()
                        unannounced = 0
                f.flush()
            self._on_output()
        except BaseException as e:  # reported by join(), in the render's thread
            self.error = e

    def join(self, *, report: bool = True) -> None:
        self._thread.join()
        if report and self.error is not None:
            raise MediaError(f"writing the clip failed: {self.error}") from self.error


def _iter_span_from(
    src: MediaSource, start_ms: int, end_ms: int, channels: int, seek_index: SeekIndex | None
) -> Iterator[Pcm]:
    """The span's pieces, decoded from the last seek point before it when the media has them
    (MP3): on S3 that spares reading the episode up to the span; in a local 60-minute file it
    spares the demuxer counting its way there (first piece in 1-4 ms instead of 50-76 ms)."""
    point = seek_index.before(start_ms / 1000 - 2 * PREROLL_S) if seek_index else None
    if point is None:
        yield from iter_span(src, start_ms, end_ms, channels=channels)
        return
    # a point before the decoder's preroll, so iter_span seeks (and flushes) within the view
    # exactly as it would within the whole file
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(src.open("rb")) if isinstance(src, Path) else src
        view = cast(BinaryIO, ByteView(stream, point.offset))
        yield from iter_span(view, start_ms, end_ms, channels=channels, offset_s=point.seconds)


def _fit(pcm: Pcm, rate: int, samples: int) -> Pcm:
    """`pcm` at `rate` and exactly `samples` long: the length announced before decoding.

    Resampled when the source's rate is one MP3 lacks; padded with silence when the media ends
    a little before the span does (a container's duration can be a few frames optimistic)."""
    data = pcm.samples
    if pcm.rate != rate:
        data = _resample(data, pcm.rate, rate)
    if data.shape[1] < samples:
        data = np.pad(data, ((0, 0), (0, samples - data.shape[1])))
    return Pcm(np.ascontiguousarray(data[:, :samples]), rate)


def _resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=to_rate)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=layout)
    frame.sample_rate = rate
    parts = [f.to_ndarray() for f in [*resampler.resample(frame), *resampler.resample(None)]]
    return np.concatenate(parts, axis=1) if parts else np.zeros((samples.shape[0], 0), np.float32)


def _output_format(src: MediaSource) -> tuple[int, int, int]:
    """(the source's rate, the render's rate, the render's channels)."""
    with open_media(src) as container:
        ctx = audio_stream(container).codec_context
        rate, channels = ctx.sample_rate, ctx.channels
    # MP3 knows nine rates; AAC more, but one rule for both keeps the profiles comparable
    return rate, (rate if rate in MP3_RATES else 48000), min(max(channels, 1), 2)


def _encoder_args(profile: RenderProfile, layout: Mp3Layout | None, out: Path) -> list[str | Path]:
    # PCM arrives as a float WAV: raw PCM would need a demuxer outside the allow-list
    # -max_size: the WAV demuxer's packets are 4 KB by default, and ffmpeg's per-packet
    # overhead then costs more than LAME (60 s of stereo: 1.13 s against 0.71 s with 64 KB,
    # medians of 6 on the shared machine); 64 KB is one StreamNormaliser batch of stereo
    pcm_in: list[str | Path] = ["-f", "wav", "-max_size", str(WAV_PACKET_BYTES), "-i", "pipe:0"]
    pcm_in += ["-map_metadata", "-1"]
    if layout is not None:
        # our header frame is already in `out`: the muxer writes none (-write_xing 0), and
        # the audio frames come on stdout, each at once (-flush_packets), to be appended
        codec = ["-c:a", "libmp3lame", "-b:a", f"{layout.kbps}k", "-id3v2_version", "0"]
        codec += ["-write_xing", "0", "-flush_packets", "1", "-f", "mp3", "pipe:1"]
        return [*pcm_in, *codec]
    m4a = ["-c:a", "aac", "-b:a", f"{profile.kbps}k", "-movflags", "+faststart", "-f", "mp4"]
    return [*pcm_in, *m4a, "-y", out]


def _wav_header(frames: int, channels: int, rate: int) -> bytes:
    """RIFF/WAVE header for 32-bit float PCM (format 3) of a known length."""
    data = frames * channels * 4
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * channels * 4, channels * 4, 32)
    fact = struct.pack("<I", frames)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"fact" + struct.pack("<I", len(fact)) + fact + b"data" + struct.pack("<I", data)
    return b"RIFF" + struct.pack("<I", len(body) + data) + body


def _feed(
    encoder: subprocess.Popen[bytes],
    chunks: Iterator[np.ndarray],
    rate: int,
    channels: int,
    samples: int,
    on_pcm: Callable[[np.ndarray], None],
    on_decoded: Callable[[int], None] | None = None,
) -> None:
    assert encoder.stdin is not None
    if on_decoded is not None:
        held = list(chunks)  # at most the span: CLIP_MAX_SECONDS of float32
        for chunk in held:
            on_pcm(chunk)
        on_decoded(rate)
        chunks, on_pcm = iter(held), lambda chunk: None
    try:
        encoder.stdin.write(_wav_header(samples, channels, rate))
        for chunk in chunks:
            on_pcm(chunk)
            interleaved = np.ascontiguousarray(chunk.T)
            for i in range(0, interleaved.shape[0], FEED_SAMPLES):
                encoder.stdin.write(interleaved[i : i + FEED_SAMPLES].tobytes())
            encoder.stdin.flush()
        encoder.stdin.close()
    except BrokenPipeError:
        pass  # the encoder died; its exit status and stderr (in _finish) say why


def _finish(encoder: subprocess.Popen[bytes], copier: _Copier | None) -> None:
    assert encoder.stderr is not None
    try:
        stderr = encoder.stderr.read()
        code = encoder.wait(timeout=ENCODE_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        raise MediaError(f"encoding the clip took longer than {ENCODE_TIMEOUT_S:.0f} s") from e
    if copier is not None:
        copier.join()
    if code != 0:
        reason = last_error_line(stderr.decode("utf-8", "replace")) or f"exit status {code}"
        raise MediaError(f"encoding the clip failed: {reason}")


def decode_span(
    src: MediaSource, start_ms: int, end_ms: int, *, channels: int = 2, offset_s: float = 0.0
) -> Pcm:
    """Samples start_ms..end_ms of the first audio stream, as float32 (at most `channels`).

    Positions count from the first sample a decoder outputs, as every player and the
    transcriber do (an MP3's encoder delay is already gone). ``offset_s`` is where `src`
    begins in the media when it is a view from a seek point (``media/seeking.py``); positions
    stay those of the whole media.
    """
    return _joined(iter_span(src, start_ms, end_ms, channels=channels, offset_s=offset_s))


def iter_span(
    src: MediaSource, start_ms: int, end_ms: int, *, channels: int = 2, offset_s: float = 0.0
) -> Iterator[Pcm]:
    """``decode_span`` as it is decoded: pieces in order, a frame or so each (never empty)."""
    with open_media(src) as container:
        stream = audio_stream(container)
        rate = stream.codec_context.sample_rate
        tb = stream.time_base or Fraction(1, rate)
        origin = max(stream.start_time or 0, 0)
        start_s, end_s = start_ms / 1000, end_ms / 1000
        local_start = start_s - offset_s
        if local_start > PREROLL_S:
            container.seek(
                origin + int((local_start - PREROLL_S) / tb), stream=stream, backward=True
            )
        skip = want = 0
        first_s: float | None = None
        for frame in _frames(container, stream, origin + (local_start - PREROLL_S) / tb):
            if frame.pts is None:
                raise MediaError("the audio has no timestamps to cut at")
            t = offset_s + float((frame.pts - origin) * tb)
            if t + frame.samples / frame.sample_rate <= start_s:
                continue
            if t >= end_s:
                break
            if first_s is None:
                first_s, rate = t, frame.sample_rate
                if first_s > start_s + 0.001:  # the seek overshot: never cut late
                    yield _decode_from_start(src, start_s - offset_s, end_s - offset_s, channels)
                    return
                skip = round((start_s - first_s) * rate)
                want = round((end_s - start_s) * rate)
            piece = _planar(frame, channels)
            if skip:
                taken = min(skip, piece.shape[1])
                piece, skip = piece[:, taken:], skip - taken
            piece = piece[:, :want]
            if piece.shape[1]:
                want -= piece.shape[1]
                yield Pcm(piece, rate)
            if not want and not skip:
                return
    if first_s is None:
        raise MediaError("the clip's span holds no audio: it is past the end of the media")


def _decode_from_start(src: MediaSource, start_s: float, end_s: float, channels: int) -> Pcm:
    with open_media(src) as container:
        stream = audio_stream(container)
        parts, taken, rate = [], 0, stream.codec_context.sample_rate
        for frame in container.decode(stream):
            parts.append(_planar(frame, channels))
            taken += frame.samples
            rate = frame.sample_rate
            if taken / rate >= end_s:
                break
    pcm = np.concatenate(parts, axis=1)
    return Pcm(np.ascontiguousarray(pcm[:, round(start_s * rate) : round(end_s * rate)]), rate)


def _frames(
    container: av.container.InputContainer, stream: av.AudioStream, from_pts: float
) -> Iterator[av.AudioFrame]:
    """Decoded frames; packets that end before `from_pts` are skipped without decoding."""
    for packet in container.demux(stream):
        if packet.pts is not None and packet.duration and packet.pts + packet.duration < from_pts:
            continue
        try:
            yield from packet.decode()  # type: ignore[misc]
        except av.error.InvalidDataError:
            continue  # one damaged packet: the decoder conceals it, as players do


def _planar(frame: av.AudioFrame, channels: int) -> np.ndarray:
    """A frame as float32 (channels, n), whatever its sample format and layout."""
    data = frame.to_ndarray()
    fmt = frame.format
    if not fmt.is_planar:
        data = data.reshape(-1, len(frame.layout.channels)).T
    if data.dtype.kind == "i":
        data = data.astype(np.float32) / float(2 ** (8 * data.dtype.itemsize - 1))
    elif data.dtype.kind == "u":  # u8: centred on 128
        data = (data.astype(np.float32) - 128) / 128
    data = data.astype(np.float32, copy=False)
    if data.shape[0] > channels:
        # to mono: the mean; from surround: front left and right, which carry the dialogue
        data = data.mean(axis=0, keepdims=True) if channels == 1 else data[:2]
    return data
