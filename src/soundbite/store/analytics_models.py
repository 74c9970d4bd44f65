"""Rows for analytics: raw events as they arrive, and the aggregates dashboards read.

- ``analytics_events``: append-only, one row per request or beacon that might count, written in
  batches off the request path (analytics/sink.py) and pruned after the retention setting. No
  IP address and no User-Agent is stored: ``listener`` hashes (address, User-Agent) and
  ``address`` hashes the address alone (for the one-IP anomaly rule), both with the day's salt
  (``clip_event_salts``), which is deleted after 48 hours. The User-Agent survives only as the
  app, device and OS it names. ``tracked`` is false when the browser sent DNT or Sec-GPC: the
  event still counts, but is linked to nothing else (no referrer, no funnel follow-through).
- ``analytics_rollups``: counts per hour or day, metric, podcast / episode / clip (0 = all) and
  one dimension (app, device, os, channel, referrer, embed; '' for the total). A rollup run
  replaces every row of its period in one transaction, so running it twice, or again after
  it was killed, counts nothing twice.
- ``analytics_rollup_runs``: which periods have been rolled up, so a catch-up knows where to go.
- ``analytics_hearings``: the listening curves' raw rows (analytics/curves.py): which 5 s buckets
  of an episode a signed-in listener's player heard, and how often, one row per bucket per
  batch. The listener is a hash of the account id with the day's salt, so after the salt is
  deleted (48 hours) no row can be tied to an account; the rows are pruned with the events.
- ``analytics_curves``: per UTC day, episode and bucket, the listeners who heard it and those
  who heard it more than once (replays); replaced by each rollup of the day, like the rollups.
  The listeners who started the episode that day are ``analytics_rollups`` rows of metric
  ``starts`` (the curve's denominator).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from soundbite.store.base import Base


class AnalyticsEvent(Base):
    __tablename__ = "analytics_events"
    __table_args__ = (Index("ix_analytics_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    # media (a request for episode audio), view (share page), embed (embed page),
    # play (clip progress beacon), share, clickthrough
    kind: Mapped[str] = mapped_column(String(16))
    podcast_id: Mapped[int] = mapped_column(Integer, default=0)
    episode_id: Mapped[int] = mapped_column(Integer, default=0)
    clip_id: Mapped[int] = mapped_column(Integer, default=0)
    listener: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(32))
    tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    bot: Mapped[bool] = mapped_column(Boolean, default=False)
    app: Mapped[str] = mapped_column(String(64), default="")
    device: Mapped[str] = mapped_column(String(32), default="")
    os: Mapped[str] = mapped_column(String(32), default="")
    # media: the bytes asked for (inclusive), the file's size and its bytes per minute of audio
    method: Mapped[str] = mapped_column(String(8), default="GET")
    range_start: Mapped[int | None] = mapped_column(BigInteger)
    range_end: Mapped[int | None] = mapped_column(BigInteger)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    minute_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # play: how far the listener got, and the clip's length
    played_ms: Mapped[int | None] = mapped_column(Integer)
    clip_ms: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16), default="")
    referrer: Mapped[str] = mapped_column(String(255), default="")  # host only


class AnalyticsRollup(Base):
    __tablename__ = "analytics_rollups"
    __table_args__ = (
        # every dashboard read names its level (clip, episode, podcast or all: zeros below it),
        # the period, metric and dimension, and a range of starts. One index for clips and
        # episodes (an episode's podcast and a clip's episode go unnamed), one for podcasts
        # and the whole instance. The rollup's deletions by (period, start) use the primary key.
        Index(
            "ix_analytics_rollups_read",
            "clip_id",
            "episode_id",
            "period",
            "metric",
            "dimension",
            "start",
        ),
        Index(
            "ix_analytics_rollups_podcast",
            "podcast_id",
            "clip_id",
            "episode_id",
            "period",
            "metric",
            "dimension",
            "start",
        ),
    )

    period: Mapped[str] = mapped_column(String(4), primary_key=True)  # hour, day
    start: Mapped[datetime] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    podcast_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class AnalyticsRollupRun(Base):
    __tablename__ = "analytics_rollup_runs"

    period: Mapped[str] = mapped_column(String(4), primary_key=True)
    start: Mapped[datetime] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime]
    events: Mapped[int] = mapped_column(BigInteger)


class AnalyticsHearing(Base):
    __tablename__ = "analytics_hearings"
    __table_args__ = (Index("ix_analytics_hearings_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    podcast_id: Mapped[int] = mapped_column(Integer)
    episode_id: Mapped[int] = mapped_column(Integer)
    listener: Mapped[str] = mapped_column(String(32))  # the account, hashed with the day's salt
    bucket: Mapped[int] = mapped_column(Integer)  # 5 s of the episode: [5000 * bucket, +5000) ms
    heard: Mapped[int] = mapped_column(Integer)  # times heard in this batch (at least 1)


class AnalyticsCurve(Base):
    __tablename__ = "analytics_curves"
    __table_args__ = (Index("ix_analytics_curves_episode", "episode_id", "start"),)

    start: Mapped[datetime] = mapped_column(primary_key=True)  # the UTC day
    episode_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    podcast_id: Mapped[int] = mapped_column(Integer)
    listeners: Mapped[int] = mapped_column(BigInteger)  # heard it at least once that day
    replays: Mapped[int] = mapped_column(BigInteger)  # heard it more than once that day
