"""What the clips API accepts and returns (``ClipCreate``/``ClipUpdate`` in, ``ClipPublic`` out).

A clip's ``id`` in the API is its share id (17 random base62 characters): the integer row id
is sequential and never leaves the server.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import JsonDict

from soundbite.clips.links import clip_links
from soundbite.clips.service import ClipView
from soundbite.domain.clips import NOTE_MAX_CHARS, TITLE_MAX_CHARS
from soundbite.services.schemas import RowIdField, SpanMs, Timestamp
from soundbite.settings import Settings

Snap = Literal["word", "sentence", "none"]
Visibility = Literal["public", "unlisted", "private"]
Source = Literal["listener", "suggested", "creator"]


class ClipSpanPublic(BaseModel):
    """Where a clip of the asked edges would start and end, and the words it would hold."""

    start_ms: int
    end_ms: int
    text: str | None = Field(description="Null: the episode has no transcript yet.")
    moved: bool = Field(description="The edges differ from the ones asked for.")


class ClipCreate(BaseModel):
    episode_id: RowIdField
    start_ms: SpanMs = Field(description="Where the clip starts, in ms from the episode's start.")
    end_ms: SpanMs = Field(description="Where it ends (exclusive). 1 s to the configured maximum.")
    snap: Snap = Field(
        "word",
        description="`word`: widen to whole words (default); `sentence`: to whole sentences; "
        "`none`: exactly these milliseconds.",
    )
    title: str | None = Field(
        None, max_length=TITLE_MAX_CHARS, description="Default: the clip's first words."
    )
    note: str | None = Field(None, max_length=NOTE_MAX_CHARS)
    visibility: Visibility = Field(
        "public",
        description="`public`: listed and shareable; `unlisted`: shareable by link, never "
        "listed; `private`: only you.",
    )
    source: Source = Field(
        "listener",
        description="`suggested` when made from a suggested highlight; `creator` only for "
        "the podcast's owner.",
    )


def _drop_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def _not_null() -> Any:
    """An optional field that may not be null. Its default of None only means "not sent"
    (defaults are never validated), so the schema leaves it out rather than state a null
    that the API refuses."""
    return Field(None, json_schema_extra=_drop_default)


class ClipUpdate(BaseModel):
    """Only the fields sent are changed. A new span is checked and snapped again.

    A null `note` clears the note and a null `title` keeps the title; the span, snap and
    visibility have no "nothing" to set, so null is refused there: leave the field out to
    keep its value.
    """

    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX_CHARS)
    note: str | None = Field(None, max_length=NOTE_MAX_CHARS)
    visibility: Visibility = _not_null()
    start_ms: SpanMs = _not_null()
    end_ms: SpanMs = _not_null()
    snap: Snap = _not_null()
    draft: Literal[False] = Field(
        False,
        description="`false` takes a draft out of Drafts as it is (still private); a "
        "visibility other than `private` shares it too. A shared clip cannot become a draft.",
    )


class ClipLinksPublic(BaseModel):
    share: str
    embed: str
    audio: dict[str, str] = Field(description="Rendered audio per format (mp3, m4a).")
    captions: str = Field(description="WebVTT, times relative to the clip.")
    card: str = Field(description="1200×630 PNG card.")
    artwork: str
    episode: str = Field(description="The full episode, playing from the clip's start.")
    oembed: str


class ClipPublic(BaseModel):
    id: str = Field(description="The share id.")
    episode_id: int
    episode_title: str
    podcast_id: int
    podcast_title: str
    start_ms: int
    end_ms: int
    duration_ms: int
    snap: Snap
    title: str
    note: str | None
    text: str | None = Field(description="What is said in the clip; null until transcribed.")
    visibility: Visibility
    draft: bool = Field(
        description="A Mark waiting in Drafts: private and unlisted until it is shared."
    )
    source: Source
    owner: str
    created_at: Timestamp
    updated_at: Timestamp
    share_url: str
    audio_url: str = Field(description="MP3; rendered on first request, then cached.")
    links: ClipLinksPublic


class ClipPagePublic(BaseModel):
    items: list[ClipPublic]
    total: int
    limit: int
    offset: int


class ClipEventCreate(BaseModel):
    kind: Literal["shared", "played", "clickthrough"]
    channel: str | None = Field(
        None,
        max_length=32,
        description="For `shared`: x, facebook, linkedin, reddit, whatsapp, telegram, "
        "email, copy, native (Web Share API) or embed.",
    )


class ClipEventCounted(BaseModel):
    counted: bool = Field(
        description="False for a repeat by the same listener today, or a known crawler."
    )


class DayStatsPublic(BaseModel):
    day: date
    plays: int
    shares: int
    clickthroughs: int


class ClipStatsPublic(BaseModel):
    plays: int = Field(description="Unique listeners per day, added up.")
    shares: int
    shares_by_channel: dict[str, int]
    clickthroughs: int
    days: list[DayStatsPublic] = Field(description="The last 30 days, oldest first.")


def clip_public(view: ClipView, base: str, settings: Settings) -> ClipPublic:
    links = clip_links(base, view, settings)
    return ClipPublic(
        id=view.share_id,
        episode_id=view.episode_id,
        episode_title=view.episode_title,
        podcast_id=view.podcast_id,
        podcast_title=view.podcast_title,
        start_ms=view.start_ms,
        end_ms=view.end_ms,
        duration_ms=view.duration_ms,
        snap=view.snap,  # type: ignore[arg-type]
        title=view.title,
        note=view.note,
        text=view.text,
        visibility=view.visibility,  # type: ignore[arg-type]
        draft=view.draft,
        source=view.source,  # type: ignore[arg-type]
        owner=view.owner_name,
        created_at=view.created_at,
        updated_at=view.updated_at,
        share_url=links.share,
        audio_url=links.audio["mp3"],
        links=ClipLinksPublic(**dataclasses.asdict(links)),
    )


class VideoRequest(BaseModel):
    aspect: Literal["9x16", "1x1", "16x9"] = Field(
        "9x16",
        description="9x16: 1080×1920 (Reels, TikTok, Shorts); 1x1: 1080×1080; 16x9: 1920×1080.",
    )
    captions: bool = Field(True, description="Word-by-word captions from the transcript.")
    visual: Literal["waveform", "bars"] = "waveform"


class VideoPublic(BaseModel):
    state: Literal["rendering", "ready"]
    progress: float = Field(description="0..1 while it renders in this process.")
    url: str = Field(description="The MP4 (waits for the render when fetched before it is ready).")
    width: int
    height: int
    captions: bool = Field(
        description="False when asked for but the transcript has no word timings."
    )
    note: str | None = None
