"""A podcast's look in its clip videos: two colours and a caption style, set by its creators.

The logo is stored as a blob (``services/brand.py`` checks and normalises it); here is only what
the frames need to know to draw, and the rules for what a creator may set. A colour is
``#rrggbb`` (what a colour picker gives; no names, no alpha: the frames are opaque).

Caption styles (``media/frames.py`` draws them):

- ``highlight``: the page's words, the spoken one white on an accent plate;
- ``karaoke``: no plate: the spoken word in the accent colour, those said before it in full
  colour, those to come dimmed;
- ``plain``: the page's words, nothing highlighted (for creators who find motion distracting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

CaptionStyle = Literal["highlight", "karaoke", "plain"]
CaptionSize = Literal["small", "medium", "large"]
CAPTION_STYLES: tuple[str, ...] = get_args(CaptionStyle)
CAPTION_SIZES: tuple[str, ...] = get_args(CaptionSize)
SIZE_SCALE: dict[str, float] = {"small": 0.8, "medium": 1.0, "large": 1.2}
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
Rgb = tuple[int, int, int]


class BrandError(ValueError):
    """A value a creator may not set; its message says what is allowed (the services turn it
    into InvalidInput, a 422)."""


@dataclass(frozen=True, slots=True)
class Brand:
    background: str = "#18181b"
    accent: str = "#c2410c"
    caption_style: CaptionStyle = "highlight"
    caption_size: CaptionSize = "medium"

    def __post_init__(self) -> None:
        for name in ("background", "accent"):
            check_colour(name, getattr(self, name))
        if self.caption_style not in CAPTION_STYLES:
            raise BrandError(f"caption_style must be one of {', '.join(CAPTION_STYLES)}")
        if self.caption_size not in CAPTION_SIZES:
            raise BrandError(f"caption_size must be one of {', '.join(CAPTION_SIZES)}")


def check_colour(name: str, value: str) -> str:
    if not isinstance(value, str) or not COLOUR.match(value):
        raise BrandError(f"{name} must be a colour written #rrggbb, got {value!r}")
    return value.lower()


def rgb(colour: str) -> Rgb:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def is_light(colour: Rgb) -> bool:
    """Whether dark text reads better on `colour` than white (WCAG relative luminance)."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # the crossing point where black and white text have equal contrast
    return luminance > 0.179
