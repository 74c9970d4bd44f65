"""The URLs of a clip, absolute, for the API, the pages and the CLI alike.

URLs that name bytes which can change carry a version (``?v=``): the audio's is a hash of its
render key (media, span, profile), the card's a hash of what is drawn on it. A clip whose span
or title is edited therefore gets new URLs, and the old responses, cached for a year by
browsers and CDNs, are simply never asked for again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote

from soundbite.clips.service import ClipView
from soundbite.derived import RenderJob
from soundbite.errors import Conflict
from soundbite.media.render import Format, RenderProfile
from soundbite.settings import Settings

FORMATS: tuple[Format, ...] = ("mp3", "m4a")
CARD_VERSION = 1


def profile(settings: Settings, fmt: Format) -> RenderProfile:
    return RenderProfile(
        format=fmt, kbps=settings.clip_audio_kbps, loudness_lufs=settings.clip_loudness_lufs
    )


def render_job(view: ClipView, settings: Settings, fmt: Format) -> RenderJob:
    if view.media_sha256 is None:
        raise Conflict("the episode's audio is not downloaded yet; try again once it is")
    return RenderJob(view.media_sha256, view.start_ms, view.end_ms, profile(settings, fmt))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def audio_version(view: ClipView, settings: Settings, fmt: Format) -> str:
    return _digest(render_job(view, settings, fmt).key) if view.media_sha256 else "pending"


def card_inputs(view: ClipView) -> dict[str, object]:
    return {
        "v": CARD_VERSION,
        "title": view.title,
        "text": view.text or "",
        "podcast": view.podcast_title,
        "episode": view.episode_title,
        "artwork": view.artwork_url or "",
        "media": view.media_sha256 or "",
    }


def card_version(view: ClipView) -> str:
    return _digest(json.dumps(card_inputs(view), sort_keys=True))


@dataclass(frozen=True, slots=True)
class ClipLinks:
    share: str
    embed: str
    audio: dict[str, str]
    captions: str
    card: str
    artwork: str
    episode: str
    oembed: str


def clip_links(base: str, view: ClipView, settings: Settings) -> ClipLinks:
    base = base.rstrip("/")
    page = f"{base}/c/{view.share_id}"
    return ClipLinks(
        share=page,
        embed=f"{base}/embed/{view.share_id}",
        audio={
            fmt: f"{page}/audio.{fmt}?v={audio_version(view, settings, fmt)}" for fmt in FORMATS
        },
        captions=f"{page}/captions.vtt",
        card=f"{page}/card.png?v={card_version(view)}",
        artwork=f"{page}/artwork.jpg?v={card_version(view)}",
        episode=f"{page}/episode",
        oembed=f"{base}/oembed?url={quote(page, safe='')}&format=json",
    )
