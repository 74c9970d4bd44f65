"""Render a clip as a video for social networks: an audiogram with word-by-word captions.

The sound is the audio render itself (``render_clip`` to an AAC M4A: the same span, loudness and
fades as the MP3), copied into the MP4 without re-encoding. The picture is drawn here
(``media/frames.py`` says why this way) and encoded in process as yuv420p (``media/h264.py``
says why): H.264 High, yuv420p, 30 fps, ``+faststart`` (the index first, so a phone starts
playing at once).

The waveform and bars are drawn from the rendered audio's samples (as fed to the AAC encoder), so
they move with what is heard, gain and fades included. Those samples are decoded ahead of the
encoder, so the frames are drawn and encoded while the AAC is: the audio is most of the first
seconds of a render, and x264 has the other core meanwhile.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from soundbite.domain.brand import SIZE_SCALE, Brand
from soundbite.domain.media import MediaSource
from soundbite.media.card import load_artwork, load_logo
from soundbite.media.frames import (
    ENVELOPE_HZ,
    LAYOUTS,
    SIZES,
    WINDOW_S,
    Box,
    CaptionWord,
    FrameText,
    Palette,
    VideoStyle,
    Yuv,
    caption_pages,
    draw_captions,
    envelope,
    placeholder_art,
    spectrum_bars,
    static_layer,
    yuv_of,
)
from soundbite.media.h264 import H264Options, encode_mp4
from soundbite.media.render import RenderProfile, RenderResult, render_clip
from soundbite.media.seeking import SeekIndex
from soundbite.media.text import draw_text

PROGRESS_EVERY = 15  # frames between progress reports


@dataclass(frozen=True, slots=True)
class VideoContent:
    """What a clip's video shows besides its audio; its digest is part of the render key."""

    text: FrameText
    words: tuple[CaptionWord, ...] = ()
    artwork_key: str | None = None  # blob key of the artwork picture (None: a generated tile)
    brand: Brand = field(default_factory=Brand)  # the podcast's colours and caption style
    logo_key: str | None = None  # blob key of the podcast's logo (a PNG), if it has one

    @property
    def digest(self) -> str:
        return _digest(self)

    def to_dict(self) -> dict[str, Any]:
        # what dataclasses.asdict gives, without its recursion over every word: the digest of
        # a cached video's render key is taken on each of its requests (was 11 ms of 150 words)
        return {
            "text": dataclasses.asdict(self.text),
            "words": tuple(
                {"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text, "speaker": w.speaker}
                for w in self.words
            ),
            "artwork_key": self.artwork_key,
            "brand": dataclasses.asdict(self.brand),
            "logo_key": self.logo_key,
        }

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> VideoContent:
        words = tuple(CaptionWord(**w) for w in body["words"])
        brand = Brand(**body["brand"]) if body.get("brand") else Brand()
        return cls(
            FrameText(**body["text"]), words, body.get("artwork_key"), brand, body.get("logo_key")
        )


@functools.lru_cache(maxsize=256)
def _digest(content: VideoContent) -> str:
    body = json.dumps(content.to_dict(), sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class FrameComposer:
    """Frames of one video: the still layer once, then only the boxes that move per frame.

    Built in two steps, so that the still layer and the caption pages are drawn while the
    audio is still being rendered: the constructor needs no sound, `hear` takes it."""

    def __init__(
        self,
        style: VideoStyle,
        content: VideoContent,
        artwork: bytes | None,
        frames: int,
        logo: bytes | None = None,
    ) -> None:
        self.style, self.frames = style, frames
        self.layout = LAYOUTS[style.aspect]
        self.palette = palette = Palette.of(content.brand)
        self.caption_style = content.brand.caption_style
        art = load_artwork(artwork, self.layout.art.w) or placeholder_art(
            content.text.podcast, palette=palette
        )
        mark = load_logo(logo) if logo else None
        still = static_layer(style.aspect, content.text, art, palette, mark)
        self.picture = Yuv(*SIZES[style.aspect])
        self.picture.paste(np.asarray(still), Box(0, 0, *SIZES[style.aspect]))
        self.words = content.words if style.captions else ()
        lay = self.layout
        self.caption_size = round(lay.caption_size * SIZE_SCALE[content.brand.caption_size])
        self.pages = caption_pages(self.words, self.caption_size, lay.captions.w)
        self._page_of = {i: n for n, page in enumerate(self.pages) for line in page for i in line}
        self._shown: tuple[int, int] | None = None
        self._speaker: str | None = None
        self._bars = self._envelope = np.zeros((1, 1), np.float32)
        self._accent, self._muted = yuv_of(palette.accent), yuv_of(palette.unplayed)
        box = lay.visual
        self._rows = np.abs(np.arange(box.h, dtype=np.float32) - box.h / 2 + 0.5)[:, None]
        luma = (slice(box.y, box.y + box.h), slice(box.x, box.x + box.w))
        chroma = (slice(box.y // 2, (box.y + box.h) // 2), slice(box.x // 2, (box.x + box.w) // 2))
        pic = self.picture
        self._visual_planes = (pic.y[luma], pic.u[chroma], pic.v[chroma])
        self._visual_base = tuple(plane.copy() for plane in self._visual_planes)

    def hear(self, samples: np.ndarray, rate: int) -> FrameComposer:
        """The clip's sound (mono, as rendered), which the waveform or bars are drawn from."""
        if self.style.visual == "bars":
            self._bars = spectrum_bars(samples, rate, self.frames, self.style.fps)
        else:
            self._envelope = envelope(samples, rate)
        return self

    @property
    def moving_rows(self) -> tuple[int, int]:
        """The rows any frame may differ in (sound, speaker, captions, progress), even-aligned:
        the rest of the picture is the still layer in every frame."""
        lay = self.layout
        boxes = (lay.visual, lay.captions, lay.progress)
        top = min([b.y for b in boxes] + [lay.speaker[1]])
        bottom = max(b.y + b.h for b in boxes)
        return top - top % 2, min(self.picture.height, bottom + 2 + bottom % 2)

    def planes(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame `n` as yuv420p planes (views of one picture: use them before the next call)."""
        t_ms = n * 1000 / self.style.fps
        self._visual(n)
        self._progress((n + 1) / self.frames)
        if self.words:
            self._captions(t_ms)
        return self.picture.y, self.picture.u, self.picture.v

    def _heights(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-column half-heights (0..1) and whether each column is already played."""
        w = self.layout.visual.w
        if self.style.visual == "bars":
            levels = self._bars[min(n, len(self._bars) - 1)]
            slot = w / len(levels)
            col = np.arange(w)
            which = np.minimum((col / slot).astype(int), len(levels) - 1)
            inside = (col - which * slot) < slot * 0.7
            return np.where(inside, 0.06 + 0.94 * levels[which], 0.0), np.ones(w, bool)
        centre = n / self.style.fps * ENVELOPE_HZ
        pos = centre + (np.arange(w) / w - 0.5) * WINDOW_S * ENVELOPE_HZ
        idx = np.clip(pos.astype(int), 0, len(self._envelope) - 1)
        heights = np.where((pos >= 0) & (pos < len(self._envelope)), self._envelope[idx], 0.0)
        heights = np.where(np.arange(w) % 6 < 4, np.maximum(heights, 0.03), 0.0)
        return heights, pos <= centre

    def _visual(self, n: int) -> None:
        # one np.where per plane over the box (the still's pixels where nothing is lit):
        # boolean-mask assignment was half of the drawing time
        heights, played = self._heights(n)
        mask = self._rows <= (heights * (self.layout.visual.h / 2)).astype(np.float32)[None, :]
        planes = zip(self._visual_planes, self._visual_base, strict=True)
        for k, (plane, base) in enumerate(planes):
            colours = np.where(played, self._accent[k], self._muted[k]).astype(np.uint8)
            step = 2 if k else 1  # chroma: every other row and column
            lit = mask[::step, ::step]
            np.copyto(plane, np.where(lit, colours[None, ::step], base))

    def _progress(self, done: float) -> None:
        box = self.layout.progress
        end = box.x + max(box.h, round(box.w * min(done, 1.0)))
        rows = slice(box.y + 2, box.y + box.h - 2)
        self.picture.y[rows, box.x : end] = self._accent[0]
        crows = slice((box.y + 2) // 2, (box.y + box.h - 2) // 2)
        self.picture.u[crows, box.x // 2 : end // 2] = self._accent[1]
        self.picture.v[crows, box.x // 2 : end // 2] = self._accent[2]

    def _captions(self, t_ms: float) -> None:
        current = self._current_word(t_ms)
        if current is None:
            return
        # plain captions change with the page only: no redraw for each word
        state = (self._page_of[current], -1 if self.caption_style == "plain" else current)
        if state == self._shown:
            return
        self._shown = state
        lay = self.layout
        rgb = draw_captions(
            self.words,
            self.pages[state[0]],
            current,
            lay.captions,
            self.caption_size,
            self.palette,
            self.caption_style,
        )
        self.picture.paste(rgb, lay.captions)
        speaker = self.words[current].speaker
        if speaker != self._speaker:
            self._speaker = speaker
            self._draw_speaker(speaker or "")

    def _current_word(self, t_ms: float) -> int | None:
        """The word being spoken at t_ms; between words, the last one said (so the plate does
        not flicker in pauses); before the first, the first."""
        current = None
        for i, word in enumerate(self.words):
            if word.start_ms <= t_ms:
                current = i
            else:
                break
        if current is None and self.words:
            return 0
        return current

    def _draw_speaker(self, name: str) -> None:
        lay = self.layout
        size = lay.caption_size * 9 // 16
        box = _even_box(lay.speaker[0], lay.speaker[1], lay.captions.w, round(size * 1.5))
        img = Image.new("RGB", (box.w, box.h), self.palette.background)
        if name:
            accent = self.palette.accent
            draw_text(ImageDraw.Draw(img), (0, 0), name, size, accent, weight="bold")
        self.picture.paste(np.asarray(img), box)


def _even_box(x: int, y: int, w: int, h: int) -> Box:
    """yuv420p halves the chroma: a box painted into it starts and ends on even pixels."""
    return Box(x - x % 2, y - y % 2, w - w % 2, h + h % 2)


def video_frames(span_ms: int, fps: int) -> int:
    return max(1, round(span_ms * fps / 1000))


def render_video(
    src: MediaSource,
    start_ms: int,
    end_ms: int,
    out: Path,
    profile: RenderProfile,
    content: VideoContent,
    artwork: bytes | None,
    *,
    logo: bytes | None = None,
    on_progress: Callable[[float], None] = lambda done: None,
    seek_index: SeekIndex | None = None,
    loudness: float | None = None,
) -> RenderResult:
    """The clip start_ms..end_ms of `src` as an MP4 in `out`, drawn in `profile.video`'s style."""
    style = profile.video
    if style is None:
        raise ValueError("render_video needs a video profile")
    audio = out.with_name(out.name + ".audio.m4a")
    frames = video_frames(end_ms - start_ms, style.fps)
    heard: list[np.ndarray] = []  # the rendered samples, mono: what the waveform shows
    decoded: Future[int] = Future()  # the samples' rate, once all of them are in `heard`
    sound = dataclasses.replace(profile, format="m4a", video=None)
    try:
        # the audio renders (decode, gain, AAC in ffmpeg) in a thread. Its samples come
        # first, decoded ahead of the AAC encoder; the still layer and the caption pages are
        # drawn meanwhile, then the frames are drawn and encoded while the AAC encodes: the
        # muxer holds the first video packets until the audio exists
        with ThreadPoolExecutor(1, thread_name_prefix="video-audio") as pool:
            rendering = pool.submit(
                render_clip,
                src,
                start_ms,
                end_ms,
                audio,
                sound,
                seek_index=seek_index,
                loudness=loudness,
                on_pcm=lambda chunk: heard.append(chunk.mean(axis=0)),
                on_decoded=decoded.set_result,
            )
            composer = FrameComposer(style, content, artwork, frames, logo)
            either: list[Future[Any]] = [decoded, rendering]
            wait(either, return_when=FIRST_COMPLETED)
            if not decoded.done():
                rendering.result()  # it failed before its samples were out: say why
            on_progress(0.05)
            samples = np.concatenate(heard) if heard else np.zeros(1, np.float32)
            composer.hear(samples, decoded.result())
            width, height = SIZES[style.aspect]
            pictures = (composer.planes(n) for n in range(frames))

            def progress(n: int) -> None:
                if n % PROGRESS_EVERY == 0:
                    on_progress(0.05 + 0.93 * n / frames)

            options = H264Options(width, height, style.fps, style.preset)
            encode_mp4(
                pictures,
                audio,
                out,
                options,
                progress,
                moving_rows=composer.moving_rows,
                audio_ready=rendering,
            )
            result = rendering.result()
        on_progress(1.0)
    finally:
        audio.unlink(missing_ok=True)
    return result


def still_frame(
    profile: RenderProfile,
    content: VideoContent,
    artwork: bytes | None,
    at_ms: int,
    span_ms: int,
    *,
    logo: bytes | None = None,
    sound: tuple[np.ndarray, int] | None = None,
    width: int | None = None,
    image_format: str = "JPEG",
) -> bytes:
    """One frame, as the video would show it at `at_ms` (the share dialog's preview): drawn
    from `sound` (mono samples from the clip's start, and their rate; a flat line without),
    scaled down to `width` pixels wide if given."""
    style = profile.video
    assert style is not None
    frames = video_frames(span_ms, style.fps)
    samples, rate = sound or (np.zeros(max(1, span_ms * 8 // 1000), np.float32), 8000)
    composer = FrameComposer(style, content, artwork, frames, logo).hear(samples, rate)
    n = min(frames - 1, at_ms * style.fps // 1000)
    composer.planes(n)
    picture = composer.picture.to_rgb()
    if width is not None and width < picture.width:
        height = round(picture.height * width / picture.width)
        picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    if image_format == "PNG":
        picture.save(buf, "PNG", optimize=False, compress_level=6)
    else:
        picture.save(buf, "JPEG", quality=80)
    return buf.getvalue()
