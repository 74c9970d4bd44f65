"""Rows for clips: the clip itself, what happened to it (events), and render claims.

- ``clips``: a pointer into an episode (span, title, owner, visibility). ``share_id`` is the
  random public id used in every URL; the integer id never leaves the API of its owner.
  ``text`` is the transcript text at creation (what was shared stays what it said), NULL while
  the episode had no transcript, filled on first read once it has one. Creator soundbites from
  feeds are materialised as clips with ``feed_soundbite_id`` set (unique, so materialising twice
  is harmless).
- ``clip_events``: one row per counted event. Plays, shares and click-throughs carry a listener
  hash made with a salt that exists for one day only (``clip_event_salts``), so the unique key
  (clip, kind, channel, day, listener) counts each listener once per day and, once the salt is
  deleted, nobody (us included) can tell which address a hash came from. No IP is stored.
- ``clip_renders``: one row per render cache key, claimed atomically by the process that
  encodes it, so several web processes on one database never encode the same clip twice.
- ``clip_reports``: what visitors reported about a clip (a reason from a fixed list and a
  short note), open until a moderator acts; a signed-out reporter is kept as NULL and no
  address is stored. ``clips.hidden_at`` is set when a moderator hides the clip.
- ``site_keys``: random keys the instance signs things with (the share page's report form),
  made on first use and shared by every process through the database.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from soundbite.store.base import Base, utcnow


class Clip(Base):
    __tablename__ = "clips"
    __table_args__ = (
        Index("ix_clips_episode_start", "episode_id", "start_ms"),
        Index("ix_clips_owner_created", "owner_id", "created_at"),
        Index("ix_clips_visibility_created", "visibility", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[str] = mapped_column(String(32), unique=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    source: Mapped[str] = mapped_column(String(16), default="listener")
    snap: Mapped[str] = mapped_column(String(16), default="word")
    # a Mark waiting in the listener's Drafts: private, never listed, until they share it
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str | None] = mapped_column(Text)
    feed_soundbite_id: Mapped[int | None] = mapped_column(
        ForeignKey("feed_soundbites.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # set by a moderator: the clip is gone for everyone (410), its reports are closed
    hidden_at: Mapped[datetime | None]


class ClipReport(Base):
    __tablename__ = "clip_reports"
    __table_args__ = (
        # the queue: open reports, grouped by clip
        Index("ix_clip_reports_open", "resolved_at", "clip_id"),
        Index("ix_clip_reports_clip", "clip_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(16))  # domain.moderation.Reason
    note: Mapped[str] = mapped_column(String(1000), default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(16))  # dismissed, hidden
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SiteKey(Base):
    __tablename__ = "site_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClipEvent(Base):
    __tablename__ = "clip_events"
    __table_args__ = (
        UniqueConstraint("clip_id", "kind", "channel", "day", "listener", name="uq_clip_events"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # created, shared, played, clickthrough
    channel: Mapped[str] = mapped_column(String(32), default="")
    day: Mapped[date] = mapped_column(Date)
    listener: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClipEventSalt(Base):
    __tablename__ = "clip_event_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


class ClipRender(Base):
    __tablename__ = "clip_renders"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # rendering, done
    holder: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    size: Mapped[int | None] = mapped_column(BigInteger)
    lease_expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
