"""The clip card: a 1200×630 PNG (the size Open Graph and X cards show best) with the artwork,
the clip's title, a quote of what is said, the podcast's name and the clip's length.

Drawn with Pillow; text goes through ``media/text.py`` (Debian's Noto fonts, a font per script,
shaped by libraqm), so a title in Japanese, Arabic, Hindi or Russian is drawn, not boxed.

Artwork comes from feeds and uploads, so it is untrusted input to an image decoder: anything
over ``MAX_ART_PIXELS`` is refused before it is decoded (a small PNG can declare a huge canvas),
and a picture that fails to decode is treated as no picture.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import av
import av.error
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from soundbite.domain.media import MediaSource
from soundbite.errors import MediaError
from soundbite.media.probe import open_media
from soundbite.media.text import draw_text, font_files, wrap

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
ART = 440
MARGIN = 60
MAX_ART_PIXELS = 40_000_000
BACKGROUND = (24, 24, 27)
ACCENT = (194, 65, 12)
TEXT = (250, 250, 250)
MUTED = (170, 170, 178)


@dataclass(frozen=True, slots=True)
class CardText:
    title: str
    quote: str
    podcast: str
    length: str  # "0:42"


def _drawable(text: str) -> str:
    """Without the Noto fonts, dashes the bundled font lacks become hyphens rather than boxes."""
    return text if font_files("regular") else text.translate(_SUBSTITUTES)


_SUBSTITUTES = str.maketrans({"—": "-", "–": "-", "‐": "-", "−": "-"})


def load_artwork(data: bytes | None, size: int) -> Image.Image | None:
    """A square RGB picture of `size` pixels, or None if `data` is not a usable image."""
    if not data:
        return None
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_ART_PIXELS:
            log.warning("artwork of %dx%d pixels refused", img.width, img.height)
            return None
        img.draft("RGB", (size, size))  # JPEG decodes at a fraction of its size: much faster
        return ImageOps.fit(img.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def load_logo(data: bytes) -> Image.Image | None:
    """A podcast's logo (stored as a checked PNG, ``media/logo.py``) with its transparency."""
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_ART_PIXELS:
            return None
        return img.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _placeholder(name: str, size: int) -> Image.Image:
    """The podcast's initials on the accent colour, for a podcast without artwork."""
    img = Image.new("RGB", (size, size), ACCENT)
    initials = "".join(w[0] for w in name.split()[:2] if w[0].isalnum()).upper() or "SB"
    font_size = size * 4 // 11
    top = size / 2 - font_size * 0.62
    draw_text(ImageDraw.Draw(img), (size / 2, top), initials, font_size, TEXT, anchor="centre")
    return img


def artwork_jpeg(data: bytes | None, name: str, size: int = 600) -> bytes:
    """The artwork as a square JPEG, or a placeholder made from `name` without usable art."""
    img = load_artwork(data, size) or _placeholder(name, size)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def embedded_artwork(src: MediaSource) -> bytes | None:
    """The cover picture inside a media file (an MP3's APIC frame, an M4A's covr), if any."""
    try:
        with open_media(src) as container:
            for stream in container.streams.video:
                if stream.disposition & av.stream.Disposition.attached_pic:
                    for packet in container.demux(stream):
                        return bytes(packet) if packet.size else None
    except (MediaError, av.error.FFmpegError):
        return None
    return None


def draw_card(text: CardText, artwork: bytes | None) -> bytes:
    """The card as PNG bytes."""
    text = CardText(*(_drawable(t) for t in (text.title, text.quote, text.podcast, text.length)))
    card = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, HEIGHT - 12, WIDTH, HEIGHT), fill=ACCENT)
    top = (HEIGHT - ART) // 2 - 6
    art = load_artwork(artwork, ART) or _placeholder(text.podcast, ART)
    mask = Image.new("L", (ART, ART), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, ART, ART), 24, fill=255)
    card.paste(art, (MARGIN, top), mask)
    x = MARGIN * 2 + ART
    width = WIDTH - x - MARGIN
    y = top
    for line in wrap(text.podcast, 30, width, 1):
        draw_text(draw, (x, y), line, 30, MUTED)
        y += 44
    for line in wrap(text.title, 50, width, 3, "bold"):
        draw_text(draw, (x, y), line, 50, TEXT, weight="bold")
        y += 66
    y += 14
    room = max(0, (top + ART - 50 - y) // 44)
    if text.quote and room:
        for line in wrap(f"“{text.quote}”", 32, width, room):
            draw_text(draw, (x, y), line, 32, MUTED)
            y += 44
    base = top + ART - 34
    draw.polygon([(x, base + 2), (x, base + 30), (x + 24, base + 16)], fill=ACCENT)  # ▶
    draw_text(draw, (x + 40, base - 4), text.length, 30, ACCENT)
    out = io.BytesIO()
    card.save(out, "PNG")
    return out.getvalue()
