"""What the listener routes accept and return: progress, history, subscriptions, settings
and Mark (``routes/listening.py``, ``routes/drafts.py``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from soundbite.services.listening import MARK_SECONDS_MAX, MARK_SECONDS_MIN
from soundbite.services.schemas import MAX_MS, Page, Public, RowIdField, Timestamp


class ProgressUpdate(BaseModel):
    position_ms: int = Field(
        ge=0,
        le=MAX_MS,
        description="Where the listener is. Past the episode's end it is taken as the end.",
    )
    ended: bool = Field(False, description="The player reached the end: the episode is done.")


class ProgressPublic(Public):
    episode_id: int
    position_ms: int
    done: bool = Field(description="Played to the end (or within its last 10 s).")
    duration_ms: int | None
    updated_at: Timestamp | None = Field(description="Null: never played.")


class HistoryItemPublic(Public):
    episode_id: int
    episode_title: str
    podcast_id: int
    podcast_title: str
    artwork_url: str | None
    duration_ms: int | None
    position_ms: int
    done: bool
    first_played_at: Timestamp
    last_played_at: Timestamp


class HistoryPage(Page[HistoryItemPublic]):
    pass


class SubscriptionPublic(Public):
    podcast_id: int
    title: str
    author: str | None
    artwork_url: str | None
    episode_count: int
    subscribed_at: Timestamp


class SubscribedPublic(BaseModel):
    podcast_id: int
    subscribed: bool


class ListenerSettingsPublic(Public):
    mark_seconds: int = Field(description="How much a Mark saves, ending at the playhead.")


class ListenerSettingsUpdate(BaseModel):
    mark_seconds: int = Field(ge=MARK_SECONDS_MIN, le=MARK_SECONDS_MAX)


class MarkCreate(BaseModel):
    episode_id: RowIdField
    at_ms: int = Field(ge=0, le=MAX_MS, description="The playhead when Mark was pressed.")
    seconds: int | None = Field(
        None,
        ge=MARK_SECONDS_MIN,
        le=MARK_SECONDS_MAX,
        description="How far back; default: your setting (GET /api/account/listening).",
    )
