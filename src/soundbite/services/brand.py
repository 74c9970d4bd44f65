"""A podcast's brand for its clip videos: read and changed by its creators and admins.

The colours and caption style are checked by ``domain/brand.py``, the logo by
``media/logo.py``; the logo is stored content-addressed (``brand/<sha256>``), so changing it
makes new video render keys and never rewrites a file a render may be reading.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.domain.brand import Brand, BrandError, check_colour
from soundbite.errors import InvalidInput, NotFound
from soundbite.media.logo import normalise_logo
from soundbite.services.access import editable_podcast
from soundbite.store.blobs.base import derived_key
from soundbite.store.brand import load_brand
from soundbite.store.models import Podcast

EDITABLE = ("background", "accent", "caption_style", "caption_size")


@dataclass(frozen=True, slots=True)
class BrandView:
    podcast_id: int
    brand: Brand
    has_logo: bool


def _view(ctx: Context, podcast_id: int) -> BrandView:
    with ctx.db.read() as s:
        found = load_brand(s, podcast_id)
    if found is None:
        raise NotFound(f"no podcast {podcast_id}")
    return BrandView(podcast_id, found[0], found[1] is not None)


def get_brand(ctx: Context, viewer: Account, podcast_id: int) -> BrandView:
    editable_podcast(ctx, viewer, podcast_id)
    return _view(ctx, podcast_id)


def update_brand(
    ctx: Context, viewer: Account, podcast_id: int, changes: dict[str, Any]
) -> BrandView:
    """Apply `changes` (any of ``EDITABLE``; a colour set to None goes back to the default)."""
    editable_podcast(ctx, viewer, podcast_id)
    current = _view(ctx, podcast_id).brand
    default = Brand()
    values = {k: v if v is not None else getattr(default, k) for k, v in changes.items()}
    try:
        for name in ("background", "accent"):
            if name in values:
                values[name] = check_colour(name, values[name])
        brand = dataclasses.replace(current, **{k: values[k] for k in EDITABLE if k in values})
    except BrandError as exc:
        raise InvalidInput(str(exc)) from exc
    with ctx.db.write() as s:
        row = s.get_one(Podcast, podcast_id)
        row.brand_background = None if brand.background == default.background else brand.background
        row.brand_accent = None if brand.accent == default.accent else brand.accent
        row.caption_style, row.caption_size = brand.caption_style, brand.caption_size
    return _view(ctx, podcast_id)


def set_logo(ctx: Context, viewer: Account, podcast_id: int, data: bytes) -> BrandView:
    """Check, normalise and store `data` as the podcast's logo."""
    editable_podcast(ctx, viewer, podcast_id)
    png = normalise_logo(data)
    key = derived_key("brand", hashlib.sha256(png).hexdigest(), "logo.png")
    if not ctx.storage.exists(key):
        ctx.storage.put_bytes(key, png)
    with ctx.db.write() as s:
        s.get_one(Podcast, podcast_id).brand_logo_key = key
    return _view(ctx, podcast_id)


def remove_logo(ctx: Context, viewer: Account, podcast_id: int) -> None:
    """The podcast's videos go back to having no logo (the blob stays: renders keyed by it
    remain valid, and another podcast may share it)."""
    editable_podcast(ctx, viewer, podcast_id)
    with ctx.db.write() as s:
        s.get_one(Podcast, podcast_id).brand_logo_key = None


def logo(ctx: Context, viewer: Account, podcast_id: int) -> bytes:
    editable_podcast(ctx, viewer, podcast_id)
    with ctx.db.read() as s:
        found = load_brand(s, podcast_id)
    if found is None or found[1] is None:
        raise NotFound(f"podcast {podcast_id} has no logo")
    return ctx.storage.get_bytes(found[1])
