"""schema.org JSON-LD for the public site: ``PodcastSeries`` and ``PodcastEpisode``.

Search engines read these blocks to show a podcast and its episodes as such. Titles come
from feeds, so the JSON is made safe to sit inside ``<script>``: ``<``, ``>`` and ``&`` are
written as ``\\u003c``-style escapes (still the same JSON string), so no title can close the
element (``</script>``) or open a comment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from soundbite.domain.public_pages import podcast_path
from soundbite.services.public_site import PublicEpisode, PublicPodcast

_UNSAFE_IN_SCRIPT = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def script_block(data: dict[str, Any]) -> Markup:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = (
        text.translate(_UNSAFE_IN_SCRIPT).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )
    return Markup(f'<script type="application/ld+json">{text}</script>')  # escaped above


def iso_duration(ms: int) -> str:
    """ISO 8601, as schema.org's ``timeRequired`` wants it: 3723000 -> ``PT1H2M3S``."""
    s = max(ms, 0) // 1000
    hours, minutes, seconds = s // 3600, s // 60 % 60, s % 60
    parts = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return f"PT{parts}{seconds}S" if seconds or not parts else f"PT{parts}"


def _series(podcast: PublicPodcast, url: str) -> dict[str, Any]:
    return {"@type": "PodcastSeries", "name": podcast.title, "url": url}


def podcast_ld(
    podcast: PublicPodcast,
    url: str,
    description: str,
    episodes: Sequence[tuple[PublicEpisode, str]],
    base: str,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        **_series(podcast, url),
        "description": description,
    }
    if podcast.artwork_url:
        data["image"] = podcast.artwork_url
    if podcast.author:
        data["author"] = {"@type": "Person", "name": podcast.author}
    if podcast.language:
        data["inLanguage"] = podcast.language
    if episodes:
        data["episode"] = [
            {"@type": "PodcastEpisode", "name": e.title, "url": base + path} for e, path in episodes
        ]
    return data


def episode_ld(
    podcast: PublicPodcast,
    episode: PublicEpisode,
    base: str,
    url: str,
    description: str,
    audio_url: str | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": url,
        "description": description,
        "partOfSeries": _series(podcast, base + podcast_path(podcast.id, podcast.title)),
    }
    if episode.published_at:
        data["datePublished"] = episode.published_at.date().isoformat()
    if episode.duration_ms:
        data["timeRequired"] = iso_duration(episode.duration_ms)
    if episode.artwork_url:
        data["image"] = episode.artwork_url
    if audio_url:
        media: dict[str, Any] = {"@type": "AudioObject", "contentUrl": audio_url}
        if episode.media_type:
            media["encodingFormat"] = episode.media_type
        if episode.duration_ms:
            media["duration"] = iso_duration(episode.duration_ms)
        data["associatedMedia"] = media
    return data
