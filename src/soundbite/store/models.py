"""The relational schema: one SQLAlchemy 2 model per table, shared by SQLite and PostgreSQL.

Times of media are integer milliseconds; wall-clock times are timezone-aware UTC.
Rows a user creates carry ``owner_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from soundbite.store.base import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # hash of the one-time link printed on first run when no password was configured
    setup_token_hash: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="listener")  # domain.accounts.Role
    # a disabled account cannot sign in, and its sessions and tokens stop working
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default="write")  # domain.accounts.TokenScope
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # shown in the session list, so a person can tell their devices apart (no IP is kept)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class Invite(Base):
    """A sign-up link: usable `max_uses` times until `expires_at` (signup_mode = invite)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MediaBlob(Base):
    """One stored media file, named by the SHA-256 of its bytes."""

    __tablename__ = "media_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Podcast(Base):
    __tablename__ = "podcasts"
    __table_args__ = (UniqueConstraint("owner_id", "feed_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    feed_url: Mapped[str | None] = mapped_column(Text)  # None: the owner's uploads
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text)
    artwork_url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    polled_at: Mapped[datetime | None]
    # what reading the feed last had to repair or skip: [{"item": str | None, "reason": str}]
    feed_problems: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    # domain.accounts.Visibility: who may read it and whether the public site lists it
    visibility: Mapped[str] = mapped_column(String(16), default="private", server_default="private")
    # details changed by hand ("title", "description"): reading the feed leaves them alone
    edited: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # domain.brand.Brand: the look of its clip videos (NULL colours: the defaults)
    brand_background: Mapped[str | None] = mapped_column(String(7))
    brand_accent: Mapped[str | None] = mapped_column(String(7))
    brand_logo_key: Mapped[str | None] = mapped_column(Text)  # a checked PNG in blob storage
    caption_style: Mapped[str] = mapped_column(
        String(16), default="highlight", server_default="highlight"
    )
    caption_size: Mapped[str] = mapped_column(String(8), default="medium", server_default="medium")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    episodes: Mapped[list[Episode]] = relationship(back_populates="podcast")


class PodcastCreator(Base):
    """An account that creates for one podcast: edits it and its episodes, sees its analytics."""

    __tablename__ = "podcast_creators"

    podcast_id: Mapped[int] = mapped_column(
        ForeignKey("podcasts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Episode(Base):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("podcast_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    podcast_id: Mapped[int] = mapped_column(ForeignKey("podcasts.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    # details changed by hand ("title", "description"): reading the feed leaves them alone
    edited: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    published_at: Mapped[datetime | None]
    link: Mapped[str | None] = mapped_column(Text)
    artwork_url: Mapped[str | None] = mapped_column(Text)
    enclosure_url: Mapped[str | None] = mapped_column(Text)
    enclosure_type: Mapped[str | None] = mapped_column(String(100))
    enclosure_length: Mapped[int | None] = mapped_column(BigInteger)
    # from the feed until probed, then the measured duration
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    media_sha256: Mapped[str | None] = mapped_column(ForeignKey("media_blobs.sha256"))
    codec: Mapped[str | None] = mapped_column(String(50))
    channels: Mapped[int | None]
    sample_rate: Mapped[int | None]
    # publisher material from Podcasting 2.0 tags or `add --transcript`
    transcript_url: Mapped[str | None] = mapped_column(Text)
    transcript_type: Mapped[str | None] = mapped_column(String(100))
    chapters_url: Mapped[str | None] = mapped_column(Text)
    chapters: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # podcast:person tags ({"name", "role"}), offered as names for the diarized speakers
    persons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    podcast: Mapped[Podcast] = relationship(back_populates="episodes")
    soundbites: Mapped[list[FeedSoundbite]] = relationship(
        cascade="all, delete-orphan", order_by="FeedSoundbite.start_ms"
    )
    jobs: Mapped[list[Job]] = relationship(cascade="all, delete-orphan", order_by="Job.id")


class FeedSoundbite(Base):
    """A creator-suggested moment from `<podcast:soundbite>`."""

    __tablename__ = "feed_soundbites"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text, default="")


class Transcript(Base):
    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # one transcript per episode: re-transcribing replaces it in one transaction
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), unique=True
    )
    language: Mapped[str | None] = mapped_column(String(35))
    source: Mapped[str] = mapped_column(String(100))
    media_sha256: Mapped[str | None] = mapped_column(String(64))
    # False while the transcribe stage is still appending segments (written chunk by chunk)
    complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    segments: Mapped[list[TranscriptSegment]] = relationship(
        cascade="all, delete-orphan", order_by="TranscriptSegment.position"
    )


class TranscriptSegment(Base):
    __tablename__ = "transcript_segments"
    __table_args__ = (Index("ix_segments_transcript_position", "transcript_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    speaker: Mapped[str | None] = mapped_column(String(100))

    words: Mapped[list[TranscriptWord]] = relationship(
        cascade="all, delete-orphan", order_by="TranscriptWord.position"
    )


class TranscriptWord(Base):
    __tablename__ = "transcript_words"
    __table_args__ = (Index("ix_words_segment_position", "segment_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(
        ForeignKey("transcript_segments.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    probability: Mapped[float | None] = mapped_column(Float)


class Job(Base):
    """One pipeline stage of one episode. This table, not any queue, is the truth."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("episode_id", "stage"),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for server-wide work (the recommender's training, domain/pipeline.py SERVER_STAGES)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(32))
    # order in the pipeline: a job runs once every job of its episode with a lower step is done
    step: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


# importing the other table modules registers their tables with Base's metadata
from soundbite.store import (  # noqa: E402, F401
    analytics_models,
    clip_models,
    insight_models,
    listener_models,
    recommend_models,
)
