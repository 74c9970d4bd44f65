"""Rows derived from a transcript: chapters, topics, highlight suggestions, the episode summary
and search units.

Each row points at the transcript it was computed from, with ``ON DELETE CASCADE``. Replacing
a transcript (re-transcribing, importing the publisher's) deletes the old one, so everything
derived from it disappears in the same transaction: a search can never return a span of words
that no longer exists, and the analyze and index stages (re-queued after transcribe) rebuild
them. ``episode_id`` is kept beside it because every read is "for this episode".

Search index units are plain rows on both databases. The full-text index over them is
database-specific and lives in the migration (0003): an FTS5 external-content table kept in
step by triggers on SQLite, a GIN index over the unit's tokens on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from soundbite.store.base import Base

_EPISODE = "episodes.id"
_TRANSCRIPT = "transcripts.id"


class EpisodeChapter(Base):
    """A generated chapter: a few an hour, the topics nest inside (insight/outline.py)."""

    __tablename__ = "chapters"
    __table_args__ = (Index("ix_chapters_episode_position", "episode_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey(_EPISODE, ondelete="CASCADE"))
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey(_TRANSCRIPT, ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)


class EpisodeSummaryText(Base):
    """A paragraph about the episode (insight/summary.py): extractive, or written by the
    configured language model (``source`` "transcript" or "model")."""

    __tablename__ = "episode_summaries"
    __table_args__ = (Index("ix_episode_summaries_episode_id", "episode_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey(_EPISODE, ondelete="CASCADE"))
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey(_TRANSCRIPT, ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))


class EpisodeTopic(Base):
    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_episode_position", "episode_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey(_EPISODE, ondelete="CASCADE"))
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey(_TRANSCRIPT, ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON)


class EpisodeHighlight(Base):
    __tablename__ = "highlights"
    __table_args__ = (Index("ix_highlights_episode_rank", "episode_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey(_EPISODE, ondelete="CASCADE"))
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey(_TRANSCRIPT, ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class SearchUnit(Base):
    """About 30 s of whole sentences: what a search hit points into.

    ``words`` is the words as spoken, separated by single spaces; ``times`` their times
    relative to ``start_ms`` (see search/units.py); ``terms`` the search tokens of the words
    and ``context`` those of the unit's topic title and keywords: the two indexed columns.
    """

    __tablename__ = "search_units"
    __table_args__ = (Index("ix_search_units_episode_position", "episode_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey(_EPISODE, ondelete="CASCADE"))
    transcript_id: Mapped[int] = mapped_column(
        ForeignKey(_TRANSCRIPT, ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    words: Mapped[str] = mapped_column(Text)
    times: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text, default="")
    n_terms: Mapped[int] = mapped_column(Integer)
    n_context: Mapped[int] = mapped_column(Integer, default=0)


class UnitEmbedding(Base):
    """A sentence embedding of a search unit, for the optional semantic search."""

    __tablename__ = "search_unit_embeddings"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("search_units.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(100))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
