"""Rows of "For you" (issue 16): what listeners did, their privacy choices, the podcasts an
admin keeps out, and the trained models.

- ``signals``: one row per thing a listener did that says something about their taste: a
  play (with how long it lasted, so a short one becomes a skip), a completion, a replay, a clip
  made or played, a subscription, a search. Each is the listener's own, stored with a time;
  deleting a history item, a clip or the account deletes its signals. The id is random (it is
  in the reason links the app shows), never a row number.
- ``listener_privacy``: personalisation on or off, history paused or not, and when the
  listener's signals last changed (the training job refits those listeners incrementally).
- ``recommend_exclusions``: podcasts an admin keeps out of every feed.
- ``recommend_models``: one row per training run; the trained model itself is a blob, and the
  row holds its SHA-256, so a blob that was swapped in storage is refused, never unpickled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from soundbite.store.base import Base, utcnow

_USER = "users.id"


class Signal(Base):
    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_user_at", "user_id", "at"),
        Index("ix_signals_at", "at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"))
    # play | complete | skip | replay | clip_made | clip_played | subscribe | search
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    episode_id: Mapped[int | None] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), index=True
    )
    clip_id: Mapped[int | None] = mapped_column(
        ForeignKey("clips.id", ondelete="CASCADE"), index=True
    )
    podcast_id: Mapped[int | None] = mapped_column(ForeignKey("podcasts.id", ondelete="CASCADE"))
    query: Mapped[str | None] = mapped_column(Text)
    # plays: where the play started and how far the listener got from there
    start_ms: Mapped[int | None] = mapped_column(BigInteger)
    listened_ms: Mapped[int | None] = mapped_column(BigInteger)


class ListenerPrivacy(Base):
    __tablename__ = "listener_privacy"

    user_id: Mapped[int] = mapped_column(ForeignKey(_USER, ondelete="CASCADE"), primary_key=True)
    personalised: Mapped[bool] = mapped_column(Boolean, default=True)
    history_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    signals_changed_at: Mapped[datetime | None]


class RecommendExclusion(Base):
    __tablename__ = "recommend_exclusions"

    podcast_id: Mapped[int] = mapped_column(
        ForeignKey("podcasts.id", ondelete="CASCADE"), primary_key=True
    )
    excluded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecommendModel(Base):
    __tablename__ = "recommend_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # full | incremental
    blob_key: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    listeners: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    signals: Mapped[int] = mapped_column(Integer)  # signals read (full) or refit (incremental)
    seconds: Mapped[float] = mapped_column(Float)
    last_full_at: Mapped[datetime]
