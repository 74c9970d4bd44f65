"""A podcast's brand as stored on its row (``domain/brand.py`` says what it is)."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from soundbite.domain.brand import Brand, CaptionSize, CaptionStyle
from soundbite.store.models import Podcast


def load_brand(s: Session, podcast_id: int) -> tuple[Brand, str | None] | None:
    """(brand, blob key of its logo) of the podcast, or None if there is no such podcast."""
    row = s.execute(
        select(
            Podcast.brand_background,
            Podcast.brand_accent,
            Podcast.caption_style,
            Podcast.caption_size,
            Podcast.brand_logo_key,
        ).where(Podcast.id == podcast_id)
    ).one_or_none()
    if row is None:
        return None
    background, accent, style, size, logo_key = row
    default = Brand()
    brand = Brand(
        background or default.background,
        accent or default.accent,
        cast(CaptionStyle, style or default.caption_style),  # Brand checks it
        cast(CaptionSize, size or default.caption_size),
    )
    return brand, logo_key
