"""Text in any script for the pictures we draw (share cards, video frames).

Fonts are Debian's Noto packages (``make fonts``: fonts-noto-core for Latin, Greek, Cyrillic,
Arabic, Hebrew and Devanagari; fonts-noto-cjk for Chinese, Japanese and Korean). No single font
covers every script, so a string is cut into runs, each drawn with the first font whose cmap
holds its characters (read once per font with fontTools). Spaces, digits and punctuation stay
in the run around them, so an Arabic phrase is one run and is shaped and ordered as one.

Shaping (Arabic joining forms, Devanagari conjuncts) and right-to-left order come from Pillow's
libraqm layout (HarfBuzz + FriBiDi), which Pillow's wheels bundle; we check it is there rather
than assume it (``shaping_available``). Without the Noto packages, Pillow's bundled Latin font
is used, as before; characters no font covers (emoji) are left out rather than drawn as boxes.

Line breaking: between words, and between any two CJK characters (no spaces in Japanese or
Chinese), except before closing punctuation, which stays with the character before it.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont, features

Weight = Literal["regular", "bold"]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

NOTO_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
# in the order a character is looked up: the first font holding it draws it
NOTO_FAMILIES = (
    "NotoSans-{w}.ttf",
    "NotoSansArabic-{w}.ttf",
    "NotoSansHebrew-{w}.ttf",
    "NotoSansDevanagari-{w}.ttf",
    "NotoSansCJK-{w}.ttc",
)
_RTL = ("R", "AL")
_NO_LINE_START = set("、。，．・：；？！）」』】〕〉》ー…‥,.!?:;)]}")


def shaping_available() -> bool:
    return bool(features.check("raqm"))


@functools.cache
def font_files(weight: Weight) -> tuple[Path, ...]:
    """The Noto files installed here, in lookup order (empty without the packages)."""
    name = "Regular" if weight == "regular" else "Bold"
    found = []
    for family in NOTO_FAMILIES:
        for folder in NOTO_DIRS:
            path = folder / family.format(w=name)
            if path.is_file():
                found.append(path)
                break
    return tuple(found)


@functools.cache
def covered(path: Path) -> frozenset[int]:
    """The code points `path`'s cmap maps to a glyph."""
    from fontTools.ttLib import TTCollection, TTFont

    # closed at once: a lazy font keeps its file open until the garbage collector finds it
    if path.suffix == ".ttc":
        with TTCollection(str(path), lazy=True) as collection:
            return frozenset(collection.fonts[0].getBestCmap() or {})
    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@functools.cache
def _font(path: Path | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size=size)
    engine = ImageFont.Layout.RAQM if shaping_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, layout_engine=engine)


def font_for(char: str, weight: Weight = "regular") -> Path | None:
    """The file that draws `char`, or None for Pillow's bundled font (no Noto installed)."""
    for path in font_files(weight):
        if ord(char) in covered(path):
            return path
    return None


@dataclass(frozen=True, slots=True)
class Run:
    text: str
    font: Path | None
    rtl: bool


def _neutral(char: str) -> bool:
    return unicodedata.category(char)[0] in "ZPNS" or char in "\u200c\u200d"


def runs(text: str, weight: Weight = "regular") -> list[Run]:
    """`text` cut where its font changes, in logical order; uncovered characters dropped."""
    files = font_files(weight)
    out: list[tuple[list[str], Path | None]] = []
    for char in text:
        current = out[-1][1] if out else None
        if out and _neutral(char) and (current is None or ord(char) in covered(current)):
            out[-1][0].append(char)
            continue
        path = font_for(char, weight)
        if path is None and files:
            continue  # no installed font has it (an emoji): leave it out, not a box
        if out and out[-1][1] == path:
            out[-1][0].append(char)
        else:
            out.append(([char], path))
    return [Run("".join(chars), path, is_rtl("".join(chars))) for chars, path in out]


def is_rtl(text: str) -> bool:
    """Whether `text`'s first strong character is right-to-left (Arabic, Hebrew)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in _RTL:
            return True
        if kind == "L":
            return False
    return False


def _direction(run: Run) -> str | None:
    if not shaping_available() or run.font is None:
        return None
    return "rtl" if run.rtl else "ltr"


@functools.lru_cache(maxsize=4096)  # captions measure the same words on every redraw
def text_width(text: str, size: int, weight: Weight = "regular") -> float:
    return sum(
        _font(r.font, size).getlength(r.text, direction=_direction(r)) for r in runs(text, weight)
    )


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: tuple[int, ...],
    *,
    weight: Weight = "regular",
    anchor: Literal["left", "centre", "right"] = "left",
) -> float:
    """One line of `text` with its top at xy[1]; returns its width. A line whose first strong
    character is right-to-left is laid out right to left (its runs in reverse order)."""
    line = _line(text, size, weight)
    x = xy[0] - {"left": 0.0, "centre": line.width / 2, "right": line.width}[anchor]
    if line.mask is not None:
        draw.bitmap((round(x) + line.left, round(xy[1]) + line.top), line.mask, fill=fill)
    return line.width


@dataclass(frozen=True, slots=True)
class _Line:
    width: float  # the advance, as text_width
    mask: Image.Image | None  # coverage (L), cropped to the ink; None for a blank line
    left: int  # where the mask's corner sits from the line's origin (its top left)
    top: int


@functools.lru_cache(maxsize=512)
def _line(text: str, size: int, weight: Weight) -> _Line:
    """A line drawn once as a coverage mask, then stamped in any colour: a video's captions
    redraw the same words frame after frame, and rasterising their glyphs anew was half of
    a caption's drawing time. Positions round to whole pixels (the mask is drawn at one)."""
    pieces = runs(text, weight)
    widths = [_font(r.font, size).getlength(r.text, direction=_direction(r)) for r in pieces]
    total = sum(widths)
    pad = size  # room for ink past the advance, above the top or below the descent
    mask = Image.new("L", (math.ceil(total) + 2 * pad, 2 * size + 2 * pad), 0)
    pen = ImageDraw.Draw(mask)
    order = list(zip(pieces, widths, strict=True))
    if is_rtl(text):
        order.reverse()
    x = float(pad)
    for run, width in order:
        font = _font(run.font, size)
        pen.text((x, pad), run.text, font=font, fill=255, direction=_direction(run))
        x += width
    box = mask.getbbox()
    if box is None:
        return _Line(total, None, 0, 0)
    return _Line(total, mask.crop(box), box[0] - pad, box[1] - pad)


def _is_cjk(char: str) -> bool:
    return (
        0x2E80 <= ord(char) <= 0x9FFF
        or 0xAC00 <= ord(char) <= 0xD7AF
        or 0xF900 <= ord(char) <= 0xFAFF
        or 0xFF00 <= ord(char) <= 0xFFEF
    )


def tokens(text: str) -> list[str]:
    """Pieces a line may break between: words (with the space before them), and single CJK
    characters (closing punctuation kept with the character before it)."""
    out: list[str] = []
    word = ""
    for char in text:
        if char.isspace():
            if word:
                out.append(word)
            word = " " if out else ""
        elif _is_cjk(char) or char in _NO_LINE_START:
            if char in _NO_LINE_START and (word.strip() or out):
                word += char
                continue
            if word.strip():
                out.append(word)
                word = ""
            word += char
            out.append(word)
            word = ""
        else:
            if word.strip() and _is_cjk(word[-1]):
                out.append(word)
                word = ""
            word += char
    if word.strip():
        out.append(word)
    return out


def wrap(text: str, size: int, width: int, lines: int, weight: Weight = "regular") -> list[str]:
    """Lines of `text` no wider than `width`; the last ends with … if text was left over."""
    out: list[str] = []
    line = ""
    for token in tokens(text):
        candidate = line + token
        if line and text_width(candidate, size, weight) > width:
            out.append(line)
            line = token.lstrip()
        else:
            line = candidate
    if line:
        out.append(line)
    if len(out) <= lines:
        return out
    last = out[lines - 1]
    while last and text_width(last + "…", size, weight) > width:
        last = last[:-1]
    return [*out[: lines - 1], last.rstrip(" ,;:、，") + "…"]


def fonts_used(text: str, weight: Weight = "regular") -> Sequence[Path | None]:
    """The font of each character drawn (for tests: every character has a font holding it)."""
    return [r.font for r in runs(text, weight) for _ in r.text]
