"""Rows one listener keeps for themself: subscriptions, where they are in each episode, and
their settings (issue 12, part 4).

- ``subscriptions``: (user, podcast), the podcasts a listener follows.
- ``listening``: one row per (user, episode) the listener has played. It is both the
  progress synced across their browsers (``position_ms``, ``done``) and their history
  (``last_played_at``, newest first). Removing an episode from the history deletes the row,
  so the position is forgotten with it: a history item one asked to forget should not keep
  resuming.
- ``listener_settings``: per-user preferences; today the length of a Mark.

Drafts are not here: a draft is a clip (``clips.draft``), private until it is shared.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from soundbite.store.base import Base, utcnow


class Subscription(Base):
    __tablename__ = "subscriptions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    podcast_id: Mapped[int] = mapped_column(
        ForeignKey("podcasts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Listening(Base):
    __tablename__ = "listening"
    __table_args__ = (Index("ix_listening_user_played", "user_id", "last_played_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), primary_key=True
    )
    position_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    first_played_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_played_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListenerSettings(Base):
    __tablename__ = "listener_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mark_seconds: Mapped[int] = mapped_column(Integer, default=30)
