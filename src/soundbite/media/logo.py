"""Check an uploaded logo and keep it in one shape: a PNG of at most ``LOGO_SIDE`` pixels.

A logo is drawn into every video of its podcast, so it is checked once, on upload: a real
PNG, JPEG or WebP (by its content, never its name or declared type), of bounded bytes and
pixels (its size is read from the header before any pixel is decoded, so a small file that
would decode to gigabytes is refused, not decoded), then re-encoded: what is stored is our
PNG, never the uploaded bytes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from soundbite.errors import InvalidInput, TooLarge

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS_SIDE = 4096
LOGO_SIDE = 512
FORMATS = ("PNG", "JPEG", "WEBP")


def normalise_logo(data: bytes) -> bytes:
    """The logo as our PNG (transparency kept); raises InvalidInput or TooLarge with why."""
    if len(data) > MAX_LOGO_BYTES:
        raise TooLarge(
            f"the logo is {len(data) / 1e6:.1f} MB; a logo may be up to "
            f"{MAX_LOGO_BYTES // (1024 * 1024)} MB"
        )
    if not data:
        raise InvalidInput("the logo file is empty")
    try:
        img = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise InvalidInput("the logo is not an image: upload a PNG, JPEG or WebP") from exc
    if img.format not in FORMATS:
        raise InvalidInput(f"the logo is a {img.format} image: upload a PNG, JPEG or WebP")
    if max(img.width, img.height) > MAX_LOGO_PIXELS_SIDE:
        raise TooLarge(
            f"the logo is {img.width}x{img.height} pixels; a logo may be up to "
            f"{MAX_LOGO_PIXELS_SIDE} pixels on each side"
        )
    try:
        img.load()
        picture = ImageOps.exif_transpose(img).convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"the logo could not be read: {exc}") from exc
    picture.thumbnail((LOGO_SIDE, LOGO_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    picture.save(buf, "PNG", optimize=True)
    return buf.getvalue()
