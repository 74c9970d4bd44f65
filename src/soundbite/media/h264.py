"""Encode drawn frames as H.264 into an MP4, beside an audio track that is already encoded.

The audio renders run the ffmpeg binary (``media/ffmpeg.py``); the video's picture is encoded
in this process with PyAV's libx264 instead, because of what a pipe to ffmpeg costs: a
1080×1920 yuv420p frame is 3 MB, 30 times a second, copied into the pipe by us, out of it by
ffmpeg, and once more by its rawvideo demuxer. Measured on the shared 2-core machine for 20 s
of 9:16 (``bench/video.py`` for the full figures): 3.1 CPU s in process against 3.7 through the
pipe, the same x264 and the same frames. The encoder runs in its own thread (PyAV lets go of
the GIL inside libavcodec) and x264 in its frame threads, so drawing the next frames overlaps
encoding these, as the two processes did.

The audio packets are copied, not re-encoded (they are the audio render's, with its loudness
and fades), and interleaved with the video by time, so a player streaming the file reads both
from one place; ``+faststart`` puts the index first, so a phone starts playing at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from soundbite.errors import MediaError

POOL = 3  # frames in flight: one drawn, one queued, one being encoded


@dataclass(frozen=True, slots=True)
class H264Options:
    width: int
    height: int
    fps: int
    preset: str = "ultrafast"

    @property
    def codec_options(self) -> dict[str, str]:
        # ultrafast turns off every High-profile tool, and x264 then writes Constrained
        # Baseline whatever the profile says; the 8x8 transform makes it High. CABAC stays
        # off: it made files 12% smaller but cost 13% of x264's time, and the networks
        # re-encode what they are sent anyway.
        return {
            "preset": self.preset,
            "profile": "high",
            "x264-params": "8x8dct=1",
            "g": str(self.fps * 2),
        }


Planes = tuple[np.ndarray, np.ndarray, np.ndarray]  # y, u, v of one yuv420p picture


def encode_mp4(
    pictures: Iterator[Planes],
    audio: Path,
    out: Path,
    options: H264Options,
    on_frame: Callable[[int], None] = lambda n: None,
    *,
    moving_rows: tuple[int, int] | None = None,
    audio_ready: Future[Any] | None = None,
) -> None:
    """Encode `pictures` (each valid until the next is asked for) with the first audio
    stream of `audio` copied beside them, as the MP4 `out`. With `moving_rows` (even first
    and end rows), the pictures differ only there: the rest is copied once per pooled frame.

    With `audio_ready`, the audio is still being rendered when encoding starts: `audio` is
    read once it is done (its error, if any, is raised here), and the video packets encoded
    before then wait in memory, so the file still interleaves both from its start."""
    try:
        with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as sink:
            _encode(pictures, audio, audio_ready, sink, options, on_frame, moving_rows)
    except av.FFmpegError as exc:
        raise MediaError(f"encoding the clip's video failed: {exc}") from exc


class _Interleaver:
    """Muxes video packets with the audio's, by time, once the audio exists; until then,
    holds them (a few seconds of ultrafast H.264: a few MB at most)."""

    def __init__(
        self, sink: av.container.OutputContainer, audio: Path, ready: Future[Any] | None
    ) -> None:
        self.sink, self.audio, self.ready = sink, audio, ready
        self.held: list[av.Packet] = []
        self.stream: av.audio.stream.AudioStream | None = None
        self.pending: list[av.Packet] = []

    def _attach(self) -> None:
        if self.ready is not None:
            self.ready.result()  # raises what the audio render raised
        with av.open(str(self.audio)) as source:
            sound = source.streams.audio[0]
            self.stream = self.sink.add_stream_from_template(sound)
            self.pending = [p for p in source.demux(sound) if p.dts is not None]
        self.pending.reverse()  # popped from the end, earliest first
        held, self.held = self.held, []
        self.video(held)

    def _audio_until(self, seconds: float | None) -> None:
        while self.pending and (seconds is None or _seconds(self.pending[-1]) <= seconds):
            packet = self.pending.pop()
            packet.stream = self.stream
            self.sink.mux(packet)

    def video(self, packets: list[av.Packet]) -> None:
        if self.stream is None:
            if self.ready is None or self.ready.done():
                self._attach()
            else:
                self.held.extend(packets)
                return
        for packet in packets:
            self._audio_until(_seconds(packet))
            self.sink.mux(packet)

    def finish(self) -> None:
        if self.stream is None:
            self._attach()
        self._audio_until(None)


def _encode(
    pictures: Iterator[Planes],
    audio: Path,
    audio_ready: Future[Any] | None,
    sink: av.container.OutputContainer,
    options: H264Options,
    on_frame: Callable[[int], None],
    moving_rows: tuple[int, int] | None,
) -> None:
    video = sink.add_stream("libx264", rate=options.fps, options=options.codec_options)
    video.width, video.height, video.pix_fmt = options.width, options.height, "yuv420p"
    context = video.codec_context
    # frame threads, as the ffmpeg binary gives x264: PyAV asks for slice threads, and an
    # ultrafast frame is too small to split well (20 s of 9:16: 2.4 s at 153% CPU against
    # 2.9-3.2 s at 112-130% with slices, run for run)
    context.thread_type = "FRAME"
    # the frames are drawn in BT.709, limited range (media/frames.py): say so to players
    context.color_range, context.colorspace = 1, 1  # MPEG (limited), BT.709
    context.color_primaries, context.color_trc = 1, 1  # BT.709
    muxer = _Interleaver(sink, audio, audio_ready)
    if audio_ready is None:
        muxer.video([])  # a broken audio file fails before any frame is drawn

    pool: queue.Queue[av.VideoFrame] = queue.Queue()
    for _ in range(POOL):
        pool.put(av.VideoFrame(options.width, options.height, "yuv420p"))
    work: queue.Queue[av.VideoFrame | None] = queue.Queue(maxsize=POOL - 1)
    failed: list[BaseException] = []
    filled: set[int] = set()  # pooled frames (by id) that hold a whole picture

    def encoder() -> None:
        try:
            while (frame := work.get()) is not None:
                muxer.video(video.encode(frame))
                pool.put(frame)  # x264 copied it: free to draw into again
            muxer.video(video.encode(None))
            muxer.finish()
        except BaseException as exc:  # handed to the drawing thread, which raises it
            failed.append(exc)
            pool.put(av.VideoFrame(options.width, options.height, "yuv420p"))

    thread = threading.Thread(target=encoder, name="h264-encoder", daemon=True)
    thread.start()
    try:
        for n, planes in enumerate(pictures):
            frame = pool.get()
            if failed:
                break
            # a pooled frame holds the still parts from its first use: later ones copy only
            # the moving rows (a third to a half of each 3 MB frame)
            rows = moving_rows if id(frame) in filled else None
            filled.add(id(frame))
            for k, (plane, picture) in enumerate(zip(frame.planes, planes, strict=True)):
                view = np.frombuffer(memoryview(plane), np.uint8).reshape(
                    plane.height, plane.line_size
                )[:, : plane.width]
                if rows is None:
                    view[...] = picture
                else:
                    top, end = (rows[0], rows[1]) if k == 0 else (rows[0] // 2, rows[1] // 2)
                    view[top:end] = picture[top:end]
            frame.pts, frame.time_base = n, Fraction(1, options.fps)
            if not _hand_over(work, frame, thread):
                break
            on_frame(n)
    finally:
        _hand_over(work, None, thread)
        thread.join()
    if failed:
        raise failed[0]


def _hand_over(
    work: queue.Queue[av.VideoFrame | None], item: av.VideoFrame | None, thread: threading.Thread
) -> bool:
    """Queue `item` for the encoder; False if it has stopped (it failed: it takes no more,
    and waiting on its full queue would never end)."""
    while thread.is_alive():
        try:
            work.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _seconds(packet: av.Packet) -> float:
    assert packet.dts is not None and packet.time_base is not None
    return float(packet.dts * packet.time_base)
