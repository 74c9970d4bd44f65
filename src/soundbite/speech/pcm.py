"""Audio decoded to 16 kHz float32 PCM a block at a time, never the whole file at once.

faster-whisper's `decode_audio` keeps the whole file in memory, twice over (an s16 buffer, then
its float32 copy): 8 hours of audio is 460 MB of float32 plus the 230 MB buffer. We decode with
PyAV and resample with its AudioResampler (the same libswresample `decode_audio` uses) and hand
out each decoded frame's samples as they come, so the caller holds only what it is working on.

Two-channel files can be read as two channels (`channels=2`), so the caller can weigh or split
them (speech/channels.py); anything else is mixed to one channel by libswresample (5.1 keeps its
centre dialogue channel at full level).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.audio.resampler import AudioResampler

from soundbite.errors import MediaError

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class AudioInfo:
    channels: int
    duration_s: float | None  # as the container states it: good enough for progress only


def audio_info(path: Path) -> AudioInfo:
    """Channel count and stated duration; MediaError if the file holds no decodable audio."""
    with _open(path) as container:
        stream = _audio_stream(container, path)
        duration = None
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        return AudioInfo(channels=stream.codec_context.channels or 1, duration_s=duration)


def pcm_blocks(path: Path, *, channels: int = 1) -> Iterator[np.ndarray]:
    """Float32 samples at 16 kHz, shape (channels, n), one decoded frame (tens of ms) at a time.

    `channels` is 1 (mixed down) or 2 (left, right). Frames the decoder rejects (a damaged
    stretch of an MP3) are skipped, as `decode_audio` does.
    """
    layout = "stereo" if channels == 2 else "mono"
    with _open(path) as container:
        stream = _audio_stream(container, path)
        resampler = AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.error.InvalidDataError:
                continue
            except av.FFmpegError as exc:
                raise _media_error(path, exc) from exc
            for out in resampler.resample(frame):
                yield out.to_ndarray()
        for out in resampler.resample(None):
            yield out.to_ndarray()


def pcm_excerpts(
    path: Path, *, channels: int = 1, excerpts: int = 40, excerpt_s: float = 30.0
) -> Iterator[np.ndarray]:
    """Like `pcm_blocks`, but only `excerpts` stretches of `excerpt_s` seconds spread evenly over
    a long file (the whole of a short one): enough to describe it, at a fraction of the decoding.
    Seeking lands on the nearest packet the container knows, which is all a sample needs.
    """
    info = audio_info(path)
    layout = "stereo" if channels == 2 else "mono"
    wanted = int(excerpt_s * SAMPLE_RATE)
    with _open(path) as container:
        stream = _audio_stream(container, path)
        duration_s, time_base = info.duration_s, stream.time_base
        if not duration_s or not time_base or duration_s <= excerpts * excerpt_s * 2:
            yield from pcm_blocks(path, channels=channels)
            return
        sampled = 0
        for i in range(excerpts):
            at_s = duration_s * (i + 0.5) / excerpts
            try:
                container.seek(int(at_s / float(time_base)), stream=stream)
            except av.FFmpegError:
                continue
            resampler = AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
            got = 0
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError:
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        samples = out.to_ndarray()
                        got += samples.shape[1]
                        yield samples
                if got >= wanted:
                    break
            sampled += got
    if not sampled:  # a stream that cannot seek: read it all
        yield from pcm_blocks(path, channels=channels)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError) as exc:
        raise _media_error(path, exc) from exc


def _audio_stream(container: av.container.InputContainer, path: Path) -> av.AudioStream:
    if not container.streams.audio:
        raise MediaError(f"cannot decode audio from {path.name}: it has no audio stream")
    return container.streams.audio[0]


def _media_error(path: Path, exc: Exception) -> MediaError:
    # FFmpeg's own message ends with the full path, which is ours to keep.
    reason = getattr(exc, "strerror", None) or exc
    return MediaError(f"cannot decode audio from {path.name}: {reason}")
