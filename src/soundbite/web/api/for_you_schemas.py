"""What the "For you" routes return (``routes/for_you.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from soundbite.services.schemas import Page, Public, Timestamp


class ReasonPublic(Public):
    text: str = Field(description="One line a listener can read.")
    signal_kind: Literal["interaction", "popularity", "recency", "budget"]
    signal_id: str = Field(description="The signal's id (a play, clip, search…) or a label.")
    link: str | None = Field(description="Where the app shows that signal; null for none.")


class ForYouItemPublic(Public):
    id: str
    kind: Literal["episode", "highlight", "clip"]
    title: str
    podcast_id: int
    podcast_title: str
    episode_id: int
    start_ms: int = Field(description="Where it starts in the episode (0 for an episode).")
    end_ms: int | None
    duration_ms: int
    audio_url: str | None = Field(description="Playable in place: the clip or the episode file.")
    share_id: str | None
    reason: ReasonPublic


class ForYouRowPublic(Public):
    key: str = Field(description="continue, for_you, new_from_shows, because_clipped, fits, …")
    title: str
    items: list[ForYouItemPublic]


class ForYouPublic(Public):
    personalised: bool = Field(
        description="False: only popular and newest (opted out, signed out, or no model yet)."
    )
    source: Literal["model", "cold_start"]
    trained_at: Timestamp | None
    rows: list[ForYouRowPublic]


class PrivacyPublic(Public):
    personalised: bool
    history_paused: bool


class PrivacyUpdate(BaseModel):
    personalised: bool | None = Field(None, description="Off: popular and newest only.")
    history_paused: bool | None = Field(None, description="On: nothing new is recorded.")


class SignalPublic(Public):
    id: str
    kind: str
    at: Timestamp
    episode_id: int | None
    episode_title: str | None
    podcast_id: int | None
    podcast_title: str | None
    clip_id: int | None
    query: str | None
    listened_ms: int | None


class SignalPage(Page[SignalPublic]):
    pass


class ExcludedPodcastPublic(BaseModel):
    podcast_id: int
    title: str
    excluded_at: Timestamp
