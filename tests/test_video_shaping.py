"""Arabic in titles, names and captions is shaped, checked against HarfBuzz itself.

Our text path is Pillow with libraqm (``media/text.py``), which shapes with HarfBuzz inside;
this test shapes the same string with the same font file through uharfbuzz and checks:

- HarfBuzz picks joined forms: most letters of each word are drawn with a glyph other than
  the letter's own (isolated) glyph in the font's cmap;
- our path lays each word out at HarfBuzz's advance (to a fraction of a pixel), and not at
  the sum of the isolated glyphs' advances, which is what an unshaped layout (Pillow's basic
  engine, or a missing libraqm) gives: so the glyphs we draw are the joined ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont

from soundbite.media.text import fonts_used, shaping_available, text_width

TITLE = "مرحبا بكم في البودكاست"
SIZE = 64


def _shaped(font_path: Path, text: str) -> tuple[list[int], float, int]:
    """(glyph ids, advance in font units, units per em) of `text` shaped by HarfBuzz."""
    blob = hb.Blob.from_file_path(str(font_path))
    face = hb.Face(blob)
    font = hb.Font(face)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    assert buf.direction == "rtl"
    hb.shape(font, buf)
    gids = [info.codepoint for info in buf.glyph_infos]
    return gids, sum(p.x_advance for p in buf.glyph_positions), face.upem


def _nominal(font_path: Path, text: str) -> tuple[list[int], float]:
    """The isolated glyphs of `text`'s characters from the cmap, and their summed advance."""
    tt = TTCollection(str(font_path)).fonts[0] if font_path.suffix == ".ttc" else TTFont(font_path)
    cmap, hmtx = tt.getBestCmap(), tt["hmtx"]
    names = [cmap[ord(c)] for c in text]
    order = tt.getGlyphOrder()
    return [order.index(n) for n in names], sum(hmtx[n][0] for n in names)


@pytest.mark.parametrize("word", TITLE.split())
def test_arabic_words_are_drawn_in_harfbuzz_joined_forms(word: str) -> None:
    assert shaping_available(), "Pillow without libraqm: Arabic would be drawn unjoined"
    fonts = set(fonts_used(word, "bold"))
    assert len(fonts) == 1 and None not in fonts, fonts
    (path,) = fonts
    assert path is not None and "Arabic" in path.name

    gids, advance, upem = _shaped(path, word)
    isolated, isolated_advance = _nominal(path, word)
    joined = sum(g not in isolated for g in gids)
    assert joined >= len(word) // 2, (word, gids, isolated)  # "في" has two letters, both joined

    ours = text_width(word, SIZE, "bold")
    harfbuzz_px = advance * SIZE / upem
    unshaped_px = isolated_advance * SIZE / upem
    assert abs(ours - harfbuzz_px) < 1.0, (word, ours, harfbuzz_px)
    assert abs(unshaped_px - harfbuzz_px) > 2.0  # the check can tell the two apart
    basic = ImageFont.truetype(str(path), SIZE, layout_engine=ImageFont.Layout.BASIC)
    assert abs(basic.getlength(word) - harfbuzz_px) > 2.0  # and unshaped drawing fails it
