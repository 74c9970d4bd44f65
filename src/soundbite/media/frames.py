"""The frames of a clip's video: what each shows and where, drawn as YUV 4:2:0 for the encoder.

Why this shape (measured on the shared 2-core machine, ``bench/video.py``; profiles of a 20 s
9:16 render): x264 (``ultrafast``, CAVLC) is most of the render, about 2.4 CPU s per 20 s of
1080×1920; drawing costs about 1.2 ms a frame (0.7 s per 20 s), because almost nothing changes
between frames. So the still parts (background, artwork, logo, names, title, share URL, the
progress bar's track) are drawn once with Pillow and converted to YUV once; per frame we only
repaint three boxes in the YUV planes with numpy: the waveform or bars (one ``np.where`` per
plane from per-column heights), the progress bar, and the captions, which are drawn with Pillow
only when the highlighted word changes (a few times a second; for plain captions, only when the
page turns). The planes go to x264 as they are (``media/h264.py``), so no pixel is converted
after drawing. An ffmpeg filter graph (``overlay`` + ``showwaves`` + ``drawtext``: the anchor
in ``bench/video.py``) costs more CPU (its filters convert and composite every frame) and takes
one font per ``drawtext`` (no per-script fallback within a line), and highlighting the spoken
word would take a filter per word or an ASS subtitle track; drawing ourselves keeps one text
engine (``media/text.py``) for the card, the frames and the captions.

Colours are converted with the BT.709 matrix in limited range, and the video is tagged so.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from soundbite.domain.brand import Brand, CaptionStyle, Rgb, is_light, rgb
from soundbite.media.text import draw_text, is_rtl, text_width, wrap

Aspect = Literal["9x16", "1x1", "16x9"]
Visual = Literal["waveform", "bars"]
ASPECTS: tuple[Aspect, ...] = ("9x16", "1x1", "16x9")
SIZES: dict[Aspect, tuple[int, int]] = {
    "9x16": (1080, 1920),
    "1x1": (1080, 1080),
    "16x9": (1920, 1080),
}

BACKGROUND = (24, 24, 27)
ACCENT = (194, 65, 12)
TEXT = (250, 250, 250)
MUTED = (170, 170, 178)
TRACK = (63, 63, 70)
ENVELOPE_HZ = 200  # amplitude values per second the waveform scrolls through
WINDOW_S = 3.0  # seconds of audio across the waveform's width
BARS = 40
UNPLAYED = (110, 110, 118)
INK = (24, 24, 27)  # text on light backgrounds and plates


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of one video, from its podcast's brand (the defaults: ours, above)."""

    background: Rgb = BACKGROUND
    accent: Rgb = ACCENT
    text: Rgb = TEXT
    muted: Rgb = MUTED
    track: Rgb = TRACK
    unplayed: Rgb = UNPLAYED
    on_accent: Rgb = TEXT  # text on an accent plate

    @classmethod
    def of(cls, brand: Brand) -> Palette:
        background, accent = rgb(brand.background), rgb(brand.accent)
        on_accent = INK if is_light(accent) else TEXT
        if not is_light(background):
            return cls(background, accent, on_accent=on_accent)
        # a light background: dark text, and greys mixed from the background itself
        return cls(
            background,
            accent,
            text=INK,
            muted=(82, 82, 91),
            track=_mix(background, INK, 0.15),
            unplayed=_mix(background, INK, 0.35),
            on_accent=on_accent,
        )


def _mix(a: Rgb, b: Rgb, t: float) -> Rgb:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


@dataclass(frozen=True, slots=True)
class Layout:
    art: Box
    names: tuple[int, int, int]  # x, y, width
    title: Box
    title_size: int
    visual: Box
    speaker: tuple[int, int]
    captions: Box
    caption_size: int
    progress: Box
    url_y: int


LAYOUTS: dict[Aspect, Layout] = {
    "9x16": Layout(
        art=Box(220, 250, 640, 640),
        names=(80, 100, 920),
        title=Box(80, 940, 920, 150),
        title_size=56,
        visual=Box(80, 1130, 920, 220),
        speaker=(80, 1376),
        captions=Box(80, 1430, 920, 232),
        caption_size=64,
        progress=Box(80, 1720, 920, 10),
        url_y=1780,
    ),
    "1x1": Layout(
        art=Box(80, 80, 360, 360),
        names=(480, 80, 520),
        title=Box(480, 200, 520, 240),
        title_size=44,
        visual=Box(80, 480, 920, 160),
        speaker=(80, 656),
        captions=Box(80, 700, 920, 190),
        caption_size=54,
        progress=Box(80, 930, 920, 8),
        url_y=970,
    ),
    "16x9": Layout(
        art=Box(100, 100, 560, 560),
        names=(760, 100, 1060),
        title=Box(760, 220, 1060, 160),
        title_size=60,
        visual=Box(100, 730, 1720, 200),
        speaker=(760, 410),
        captions=Box(760, 460, 1060, 232),
        caption_size=64,
        progress=Box(100, 964, 1720, 10),
        url_y=1000,
    ),
}


@dataclass(frozen=True, slots=True)
class VideoStyle:
    """How a video looks; part of its render profile's name (so of the cache key)."""

    aspect: Aspect = "9x16"
    captions: bool = True
    visual: Visual = "waveform"
    fps: int = 30
    preset: str = "ultrafast"  # x264: it dominates the render time (see the module docstring)

    @property
    def name(self) -> str:
        captions = "captions" if self.captions else "nocaptions"
        return f"video-{self.aspect}-{captions}-{self.visual}-{self.fps}fps-{self.preset}"


@dataclass(frozen=True, slots=True)
class CaptionWord:
    start_ms: int  # from the clip's start
    end_ms: int
    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class FrameText:
    podcast: str
    episode: str
    title: str
    share_url: str


class Yuv:
    """A yuv420p picture in one buffer (what the encoder reads), with plane views."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.buffer = np.empty(width * height * 3 // 2, np.uint8)
        area = width * height
        self.y = self.buffer[:area].reshape(height, width)
        self.u = self.buffer[area : area * 5 // 4].reshape(height // 2, width // 2)
        self.v = self.buffer[area * 5 // 4 :].reshape(height // 2, width // 2)

    def paste(self, rgb: np.ndarray, box: Box) -> None:
        y, u, v = rgb_to_yuv420(rgb)
        self.y[box.y : box.y + box.h, box.x : box.x + box.w] = y
        sl = (slice(box.y // 2, (box.y + box.h) // 2), slice(box.x // 2, (box.x + box.w) // 2))
        self.u[sl], self.v[sl] = u, v

    def to_rgb(self) -> Image.Image:
        """For previews and tests: the picture as an RGB image."""
        y = self.y.astype(np.float32) - 16
        u = np.repeat(np.repeat(self.u, 2, 0), 2, 1).astype(np.float32) - 128
        v = np.repeat(np.repeat(self.v, 2, 0), 2, 1).astype(np.float32) - 128
        y *= 255 / 219
        u *= 255 / 224
        v *= 255 / 224
        r = y + 1.5748 * v
        g = y - 0.1873 * u - 0.4681 * v
        b = y + 1.8556 * u
        rgb = np.clip(np.stack([r, g, b], -1), 0, 255).round().astype(np.uint8)
        return Image.fromarray(rgb, "RGB")


def yuv_of(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    y, u, v = rgb_to_yuv420(np.array([[rgb, rgb], [rgb, rgb]], np.uint8))
    return int(y[0, 0]), int(u[0, 0]), int(v[0, 0])


def rgb_to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709, limited range; chroma from the mean of each 2×2 block."""
    f = rgb.astype(np.float32)
    luma = 0.2126 * f[..., 0] + 0.7152 * f[..., 1] + 0.0722 * f[..., 2]
    y = 16 + luma * (219 / 255)
    # the 2x2 means as four strided sums: numpy's mean over a 5-d reshape took 4 ms a caption
    quad = (f[0::2, 0::2] + f[1::2, 0::2] + f[0::2, 1::2] + f[1::2, 1::2]) * 0.25
    qluma = 0.2126 * quad[..., 0] + 0.7152 * quad[..., 1] + 0.0722 * quad[..., 2]
    u = 128 + (quad[..., 2] - qluma) / 1.8556 * (224 / 255)
    v = 128 + (quad[..., 0] - qluma) / 1.5748 * (224 / 255)
    return tuple(np.clip(p, 0, 255).round().astype(np.uint8) for p in (y, u, v))  # type: ignore[return-value]


def static_layer(
    aspect: Aspect,
    text: FrameText,
    artwork: Image.Image,
    palette: Palette = Palette(),
    logo: Image.Image | None = None,
) -> Image.Image:
    """Everything that does not move: background, artwork, names, title, URL, progress track,
    and the podcast's logo (top right, beside the names) when it has one."""
    width, height = SIZES[aspect]
    lay = LAYOUTS[aspect]
    img = Image.new("RGB", (width, height), palette.background)
    draw = ImageDraw.Draw(img)
    art = artwork.resize((lay.art.w, lay.art.h), Image.Resampling.LANCZOS)
    mask = Image.new("L", art.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, *art.size), lay.art.w // 24, fill=255)
    img.paste(art, (lay.art.x, lay.art.y), mask)
    x, y, w = lay.names
    name_size = lay.title_size * 2 // 3
    if logo is not None:
        w -= _paste_logo(img, logo, Box(x, y, w, name_size * 2 + 18)) + 24
    for line in wrap(text.podcast, name_size, w, 1, "bold"):
        draw_text(draw, (x, y), line, name_size, palette.accent, weight="bold")
    for line in wrap(text.episode, name_size - 6, w, 1):
        draw_text(draw, (x, y + name_size + 18), line, name_size - 6, palette.muted)
    title_box = lay.title
    step = round(lay.title_size * 1.3)
    lines = max(1, title_box.h // step)
    for i, line in enumerate(wrap(text.title, lay.title_size, title_box.w, lines, "bold")):
        draw_text(
            draw,
            (title_box.x, title_box.y + i * step),
            line,
            lay.title_size,
            palette.text,
            weight="bold",
        )
    p = lay.progress
    draw.rounded_rectangle((p.x, p.y, p.x + p.w - 1, p.y + p.h - 1), p.h // 2, fill=palette.track)
    url_size = lay.title_size * 5 // 8
    draw_text(
        draw, (width / 2, lay.url_y), text.share_url, url_size, palette.muted, anchor="centre"
    )
    return img


def _paste_logo(img: Image.Image, logo: Image.Image, names: Box) -> int:
    """The logo at the right end of the names' row, as tall as the two name lines and at
    most two and a half times as wide; returns the width it took."""
    scale = min(names.h / logo.height, names.h * 2.5 / logo.width)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    fitted = logo.convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    img.paste(fitted, (names.x + names.w - size[0], names.y + (names.h - size[1]) // 2), fitted)
    return size[0]


def placeholder_art(name: str, size: int = 640, palette: Palette = Palette()) -> Image.Image:
    """A generated tile for a podcast without artwork: its initials on the accent colour."""
    img = Image.new("RGB", (size, size), palette.accent)
    initials = "".join(w[0] for w in name.split()[:2] if w[0].isalnum()).upper() or "SB"
    font_size = size * 4 // 11
    top = size / 2 - font_size * 0.62
    draw_text(
        ImageDraw.Draw(img),
        (size / 2, top),
        initials,
        font_size,
        palette.on_accent,
        anchor="centre",
    )
    return img


def envelope(samples: np.ndarray, rate: int) -> np.ndarray:
    """Peak amplitude per 1/ENVELOPE_HZ s of mono `samples`, scaled so loud speech nears 1."""
    hop = max(1, rate // ENVELOPE_HZ)
    n = len(samples) // hop
    peaks = np.abs(samples[: n * hop]).reshape(n, hop).max(axis=1) if n else np.zeros(1)
    top = float(np.percentile(peaks, 99)) if peaks.size else 0.0
    return np.clip(peaks / top, 0, 1) if top > 1e-4 else np.zeros_like(peaks)


def spectrum_bars(samples: np.ndarray, rate: int, frames: int, fps: int) -> np.ndarray:
    """(frames, BARS) heights 0..1: log-spaced bands of a 2048-point FFT at each frame's time."""
    size = 2048
    starts = (np.arange(frames) * rate / fps).astype(np.int64) + size // 2
    # silence after the samples when they end before the last frame's window does
    padded = np.pad(samples, (size, max(size, int(starts[-1]) + size - len(samples) - size)))
    idx = starts[:, None] + np.arange(size)[None, :]
    spectra = np.abs(np.fft.rfft(padded[idx] * np.hanning(size), axis=1))
    freqs = np.fft.rfftfreq(size, 1 / rate)
    edges = np.geomspace(80, min(8000, rate / 2), BARS + 1)
    bands = np.stack(
        [
            spectra[:, (freqs >= lo) & (freqs < hi)].max(axis=1, initial=0)
            for lo, hi in itertools.pairwise(edges)
        ],
        axis=1,
    )
    db = 20 * np.log10(bands + 1e-9)
    top = np.percentile(db, 99) if db.size else 0.0
    return np.clip((db - (top - 50)) / 50, 0, 1)


def caption_pages(words: Sequence[CaptionWord], size: int, width: int) -> list[list[list[int]]]:
    """Word indexes grouped into pages of at most two lines that fit `width`."""
    pages: list[list[list[int]]] = []
    lines: list[list[int]] = []
    line: list[int] = []
    for i, _word in enumerate(words):
        candidate = " ".join(words[j].text for j in [*line, i])
        if line and text_width(candidate, size, "bold") > width:
            lines.append(line)
            line = []
            if len(lines) == 2:
                pages.append(lines)
                lines = []
        line.append(i)
    if line:
        lines.append(line)
    if lines:
        pages.append(lines)
    return pages


def draw_captions(
    words: Sequence[CaptionWord],
    page: list[list[int]],
    current: int,
    box: Box,
    size: int,
    palette: Palette = Palette(),
    style: CaptionStyle = "highlight",
) -> np.ndarray:
    """The caption box as RGB: the page's words in `style` (``domain/brand.py``), `current`
    being the word spoken."""
    img = Image.new("RGB", (box.w, box.h), palette.background)
    draw = ImageDraw.Draw(img)
    step = box.h // 2
    space = text_width(" ", size, "bold")
    for row, line in enumerate(page):
        widths = [text_width(words[i].text, size, "bold") for i in line]
        total = sum(widths) + space * (len(line) - 1)
        x = (box.w - total) / 2
        top = row * step + (step - size * 1.35) / 2
        order = list(zip(line, widths, strict=True))
        if is_rtl(words[line[0]].text):
            order.reverse()  # right-to-left speech reads from the right
        for i, w in order:
            if style == "highlight" and i == current:
                pad = size * 0.18
                plate = (x - pad, top, x + w + pad, top + size * 1.4)
                draw.rounded_rectangle(plate, size // 6, fill=palette.accent)
            colour = _word_colour(style, i, current, palette)
            draw_text(draw, (x, top), words[i].text, size, colour, weight="bold")
            x += w + space
    return np.asarray(img)


def _word_colour(style: CaptionStyle, i: int, current: int, palette: Palette) -> Rgb:
    if style == "plain":
        return palette.text
    if style == "karaoke":  # said: full colour; being said: the accent; to come: dimmed
        return palette.accent if i == current else palette.text if i < current else palette.muted
    return palette.on_accent if i == current else palette.muted
