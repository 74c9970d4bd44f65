"""What the JSON API accepts and returns, split by purpose (``…Create`` in, ``…Public`` out).

Rows never leave the server as they are: a schema names every field a client may see, so
adding a column (a password hash, a lease holder) cannot leak it, and /docs shows the shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from soundbite.domain.accounts import Role, TokenScope
from soundbite.domain.brand import COLOUR
from soundbite.domain.details import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS
from soundbite.domain.pipeline import EpisodeStatus
from soundbite.store.base import as_utc

ItemT = TypeVar("ItemT")

# SQLite hands back naive datetimes; clients always get an explicit UTC offset
Timestamp = Annotated[datetime, AfterValidator(as_utc)]

# The bounds below are checked where a request is read, and so stated in the OpenAPI document:
# a number past them would otherwise reach the database, which refuses it with an error of its
# own (SQLite: OverflowError past 64 bits; PostgreSQL: "integer out of range"), a 500 instead
# of a 422 that says why.
MAX_ROW_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
MAX_OFFSET = 2**63 - 1  # OFFSET takes a 64-bit integer on both databases
# Times are milliseconds (BIGINT columns); 2**53 - 1 (285,000 years) is the largest integer a
# JavaScript client holds exactly, and sums of such times stay far inside 64 bits.
MAX_MS = 2**53 - 1

RowIdField = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
# the sign is left to the span rules, whose message names the rule a span breaks
SpanMs = Annotated[int, Field(ge=-MAX_MS, le=MAX_MS)]


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: its items (service objects are read by attribute), how many there
    are in all, and where the page starts. Subclass it per item type, so the OpenAPI schema
    keeps a plain name (``EpisodePage``)."""

    items: list[ItemT]
    total: int
    limit: int
    offset: int


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class UserPublic(Public):
    id: int
    username: str
    role: Role
    is_owner: bool = Field(description="True for an admin (the name older clients read).")
    creates_for: list[int] = Field(
        default_factory=list,
        description="The podcasts this account is a creator of (their analytics are its).",
    )


class AccountPublic(Public):
    """An account as an admin sees it in the user list."""

    id: int
    username: str
    role: Role
    disabled: bool
    created_at: Timestamp


class AccountUpdate(BaseModel):
    role: Role | None = None
    disabled: bool | None = Field(None, description="true: signs the account out everywhere.")


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str | None = Field(
        None, description="Echo in `X-CSRF-Token` on writes; null when signed in by API token."
    )


class SignupRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    invite: str | None = Field(None, max_length=200, description="The invite link's token.")


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class PasswordConfirm(BaseModel):
    password: str = Field(max_length=1024, description="Your password, to confirm.")


class WebSessionPublic(Public):
    id: int
    user_agent: str | None
    created_at: Timestamp
    expires_at: Timestamp
    current: bool = Field(description="The session this request was made with.")


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scope: TokenScope = Field(
        TokenScope.WRITE, description="`read`: safe requests only (GET, HEAD); `write`: all."
    )


class TokenPublic(Public):
    id: int
    name: str
    scope: TokenScope
    created_at: Timestamp
    last_used_at: Timestamp | None


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once: only a hash is kept.")


class InviteCreate(BaseModel):
    max_uses: int = Field(1, ge=1, le=10_000, description="How many sign-ups the link allows.")
    days: int | None = Field(None, ge=1, le=365, description="Lifetime (default: invite_days).")


class InvitePublic(Public):
    id: int
    max_uses: int
    uses: int
    expires_at: Timestamp
    created_at: Timestamp


class InviteCreated(InvitePublic):
    token: str = Field(description="Shown once: only a hash is kept.")
    url: str = Field(description="The sign-up page with this invite filled in.")


class FeedProblemPublic(BaseModel):
    item: str | None = Field(
        description="The item's title (else its guid, else its position); None: the whole feed."
    )
    reason: str


class PodcastPublic(Public):
    id: int
    title: str
    description: str
    feed_url: str | None = Field(description="None for the podcast that holds uploads.")
    link: str | None
    artwork_url: str | None
    author: str | None
    language: str | None
    polled_at: Timestamp | None
    created_at: Timestamp
    episode_count: int
    feed_problems: list[FeedProblemPublic] = Field(
        default_factory=list,
        description="What reading the feed last repaired or skipped (it was not well-formed "
        "XML); empty when it read cleanly.",
    )
    visibility: Literal["public", "unlisted", "private"] = Field(
        description="public: anyone, and listed; unlisted: anyone with the link, never listed; "
        "private: signed-in accounts only (docs/accounts.md)."
    )
    may_edit: bool = Field(
        False, description="Whether the caller may change it (an admin or its creator)."
    )


class PodcastUpdate(BaseModel):
    """What PATCH /api/podcasts/{id} changes; fields left out stay as they are."""

    visibility: Literal["public", "unlisted", "private"] | None = Field(
        None, description="Admins only."
    )
    title: str | None = Field(
        None,
        max_length=TITLE_MAX_CHARS,
        description="Admins and the podcast's creators; kept when the feed is read again.",
    )
    description: str | None = Field(
        None, max_length=DESCRIPTION_MAX_CHARS, description="As the title: plain text."
    )


class EpisodeUpdate(BaseModel):
    """What PATCH /api/episodes/{id} changes (admins and the podcast's creators); fields left
    out stay as they are, and changed ones are kept when the feed is read again."""

    title: str | None = Field(None, max_length=TITLE_MAX_CHARS)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX_CHARS)


class FeedCreate(BaseModel):
    url: str = Field(min_length=1, max_length=2000, examples=["https://example.org/feed.xml"])


class FeedAdded(BaseModel):
    podcast: PodcastPublic
    new_episode_ids: list[int]
    queued_episode_ids: list[int]
    not_modified: bool = Field(False, description="The server said the feed has not changed.")


class JobPublic(Public):
    id: int
    episode_id: int | None  # None: server-wide work (the recommender's training)
    stage: str
    state: Literal["queued", "running", "done", "failed"]
    attempts: int
    progress: float
    message: str
    error: str | None
    updated_at: Timestamp


class SoundbitePublic(Public):
    start_ms: int
    duration_ms: int
    title: str


class EpisodeSummary(BaseModel):
    id: int
    podcast_id: int
    title: str
    published_at: Timestamp | None
    duration_ms: int | None
    artwork_url: str | None = Field(description="The episode's own artwork, else the podcast's.")
    status: EpisodeStatus
    has_transcript: bool
    stages: list[JobPublic]


class PersonPublic(BaseModel):
    name: str
    role: str


class SpeakersPublic(BaseModel):
    speakers: list[str] = Field(description="The episode's speakers, in the order they speak.")


class EpisodeDetail(EpisodeSummary):
    podcast_title: str
    description: str
    may_edit: bool = Field(
        False,
        description="Whether the caller may change its title and description, name its "
        "speakers and process it (an admin or a creator of its podcast).",
    )
    link: str | None
    enclosure_url: str | None
    codec: str | None
    channels: int | None
    sample_rate: int | None
    chapters: list[dict[str, Any]]
    soundbites: list[SoundbitePublic]
    media_sha256: str | None
    audio_url: str | None
    has_peaks: bool
    peaks_url: str | None
    transcript_source: str | None
    transcript_complete: bool | None = Field(
        None,
        description="False while the episode is still being transcribed: the transcript holds "
        "the part done so far. None without a transcript.",
    )
    transcript_urls: dict[str, str] = Field(
        description="Download URL per format (json, vtt, srt, txt); empty until transcribed."
    )
    speakers: list[str] = Field(
        default_factory=list,
        description="The transcript's speakers in the order they first speak (none when it "
        "does not tell voices apart).",
    )
    persons: list[PersonPublic] = Field(
        default_factory=list,
        description="The people the feed names on this episode (podcast:person): names to give "
        "the speakers.",
    )
    summary: str | None = Field(
        None,
        description="One paragraph about the episode, made by the analyze stage from its "
        "transcript; None until then.",
    )
    summary_source: Literal["transcript", "model"] | None = Field(
        None,
        description='Who wrote the summary: "model" (the configured language model, '
        'SOUNDBITE_LLM_URL) or "transcript" (its key sentences, as said).',
    )


class EpisodePage(Page[EpisodeSummary]):
    pass


def _colour(value: str) -> str:
    # pydantic's own pattern message quotes the regular expression; a creator typing into the
    # brand page's colour field is better told what to write
    if not COLOUR.match(value):
        raise PydanticCustomError(
            "colour",
            "a colour is written #rrggbb (six hex digits), like #0f766e; got {given}",
            {"given": repr(value[:20])},
        )
    return value


Colour = Annotated[
    str,
    AfterValidator(_colour),
    Field(
        description="A colour written #rrggbb.",
        examples=["#0f766e"],
        json_schema_extra={"pattern": COLOUR.pattern},
    ),
]


class BrandPublic(BaseModel):
    """How the podcast's clip videos look (``domain/brand.py``)."""

    background: str
    accent: str
    caption_style: Literal["highlight", "karaoke", "plain"]
    caption_size: Literal["small", "medium", "large"]
    has_logo: bool


class BrandUpdate(BaseModel):
    """What PATCH /api/podcasts/{id}/brand changes; fields left out stay as they are, a colour
    set to null goes back to the default."""

    model_config = ConfigDict(extra="forbid")

    background: Colour | None = None
    accent: Colour | None = None
    caption_style: Literal["highlight", "karaoke", "plain"] | None = Field(
        None,
        description="highlight: the spoken word on an accent plate; karaoke: words light up "
        "as they are said; plain: no highlight.",
    )
    caption_size: Literal["small", "medium", "large"] | None = None
