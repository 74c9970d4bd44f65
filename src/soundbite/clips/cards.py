"""A clip's card image and artwork, made once and kept in blob storage.

Both are keyed by a hash of what they show (``links.card_inputs``): editing a clip's title makes
a new card under a new key, and every other request is a storage read. Social crawlers fetch
the card of a freshly shared link within seconds, so it must never depend on a slow remote
server for long: artwork is fetched once (SSRF-safe, ``ARTWORK_TIMEOUT_S``, size-capped) and a
failure means a card without it, not an error. Where the feed names no artwork, the picture
embedded in the media file (an MP3's cover) is used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging

from soundbite.clips.links import card_inputs
from soundbite.clips.service import ClipView
from soundbite.context import Context
from soundbite.domain.clips import clock
from soundbite.errors import SoundbiteError
from soundbite.ingest.fetch import fetch
from soundbite.media.card import CardText, artwork_jpeg, draw_card, embedded_artwork
from soundbite.store.blobs import media_key
from soundbite.store.blobs.base import derived_key

log = logging.getLogger(__name__)

ARTWORK_TIMEOUT_S = 5.0
MAX_ARTWORK_BYTES = 10 * 1024 * 1024
QUOTE_CHARS = 400


def _key(view: ClipView, variant: str) -> str:
    digest = hashlib.sha256(json.dumps(card_inputs(view), sort_keys=True).encode()).hexdigest()
    return derived_key("cards", digest, variant)


def _source_artwork(app: Context, view: ClipView) -> bytes | None:
    url = view.artwork_url
    if url and url.startswith(("http://", "https://")):
        policy = dataclasses.replace(
            app.fetch_policy(), timeout_s=ARTWORK_TIMEOUT_S, total_timeout_s=ARTWORK_TIMEOUT_S
        )
        try:
            return fetch(url, policy, max_bytes=MAX_ARTWORK_BYTES).content
        except SoundbiteError as exc:
            log.info("artwork %s not fetched for a card: %s", url, exc.message)
    if view.media_sha256 and app.storage.exists(media_key(view.media_sha256)):
        with app.storage.decodable(media_key(view.media_sha256)) as src:
            return embedded_artwork(src)
    return None


def artwork_key(view: ClipView) -> str:
    return _key(view, "artwork-600.jpg")


def artwork(app: Context, view: ClipView) -> bytes:
    """The clip's artwork as a 600 px JPEG (the podcast's initials if it has none)."""
    key = artwork_key(view)
    if app.storage.exists(key):
        return app.storage.get_bytes(key)
    return _store_artwork(app, view, key)


def store_artwork(app: Context, view: ClipView) -> None:
    """Make sure the artwork is stored (for whoever reads it by key), without reading it."""
    key = artwork_key(view)
    if not app.storage.exists(key):
        _store_artwork(app, view, key)


def _store_artwork(app: Context, view: ClipView, key: str) -> bytes:
    jpeg = artwork_jpeg(_source_artwork(app, view), view.podcast_title)
    app.storage.put_bytes(key, jpeg)
    return jpeg


def card(app: Context, view: ClipView) -> bytes:
    """The 1200×630 PNG card."""
    key = _key(view, "1200x630.png")
    if app.storage.exists(key):
        return app.storage.get_bytes(key)
    quote = (view.text or "")[:QUOTE_CHARS]
    text = CardText(view.title, quote, view.podcast_title, clock(view.duration_ms))
    png = draw_card(text, artwork(app, view))  # the JPEG: fetched and decoded once
    app.storage.put_bytes(key, png)
    return png
