"""Show notes from feeds, made safe to put on our pages.

Feed descriptions are HTML written by someone else. nh3 (the Rust ``ammonia`` sanitiser)
keeps a small set of text tags and plain links and drops everything else: scripts, styles,
event handlers, images (tracking pixels), iframes and ``javascript:`` URLs. A description
without any tag is plain text, whose blank lines are its paragraphs.
"""

from __future__ import annotations

import html
import re

import nh3
from markupsafe import Markup, escape

TAGS = {"p", "br", "a", "ul", "ol", "li", "b", "strong", "i", "em", "blockquote", "code", "pre"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
_TAG = re.compile(r"<[a-zA-Z/!]")
_BLANK_LINES = re.compile(r"\n\s*\n")
# where a block ends, words must not run together once the tags are gone
_BLOCK_EDGE = re.compile(r"<(?:br|/?(?:p|li|div|h[1-6]|blockquote|tr|td))\b[^>]*>", re.IGNORECASE)


def safe_html(text: str) -> Markup:
    if not _TAG.search(text):
        paragraphs = [p.strip() for p in _BLANK_LINES.split(text) if p.strip()]
        return Markup("").join(
            Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.split("\n")))
            for p in paragraphs
        )
    cleaned = nh3.clean(
        text,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
    )
    return Markup(cleaned)  # nh3 output: sanitised markup


def plain_text(text: str, limit: int) -> str:
    """The words of a description, for meta tags and JSON-LD (which are text, not markup)."""
    spaced = _BLOCK_EDGE.sub(" ", text)
    words = " ".join(html.unescape(nh3.clean(spaced, tags=set())).split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"
