"""Roll raw events up into hourly and daily aggregates, and prune raw events past retention.

A rollup works on one UTC day, the unit the counting rules de-duplicate over: it reads the
day's raw events, applies counting.count_day, and replaces every aggregate row of that day
(its hours and the day itself) in one transaction. So:

- running it twice counts nothing twice (the second run replaces the first's rows with the
  same rows);
- a run killed midway leaves the previous rows untouched (the transaction never commits);
- the current day is rolled up again on each pass, so its hours fill in as it goes, and a day
  is rolled up once more after it ends (``GRACE`` later, for batches still in flight), which
  makes it final.

Hour rows hold totals only; the breakdowns (app, device, OS, channel, referrer, embed host)
are kept per day. Aggregates are kept at four levels so that a dashboard reads one row per
bucket: the clip (podcast, episode, clip), the episode (clip 0), the podcast (episode 0,
clip 0) and the whole instance (all 0). Listeners are distinct hashes at each level, so they
are computed per level and period rather than summed.

On PostgreSQL concurrent rollups (several web processes) take a transaction-level advisory
lock; on SQLite the write transaction already serialises them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, insert, select, text
from sqlalchemy.orm import Session

from soundbite.analytics import counting
from soundbite.context import Context
from soundbite.store.analytics_models import AnalyticsEvent, AnalyticsRollup, AnalyticsRollupRun
from soundbite.store.base import Base, as_utc, utcnow

GRACE = timedelta(minutes=10)
ROLLUP_LOCK = 0x50D_B17E  # pg_advisory_xact_lock key
_Key = tuple[str, str, datetime, int, int, int, str, str]
_HIT_COLUMNS = [
    c.name for c in AnalyticsEvent.__table__.columns if c.name in counting.Hit.__slots__
]


@dataclass(frozen=True, slots=True)
class RollupResult:
    day: date
    events: int
    rows: int


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def hits_of_day(s: Session, day: date) -> list[counting.Hit]:
    start = day_start(day)
    columns = [getattr(AnalyticsEvent, name) for name in _HIT_COLUMNS]
    rows = s.execute(
        select(*columns).where(
            AnalyticsEvent.at >= start, AnalyticsEvent.at < start + timedelta(days=1)
        )
    ).all()
    out = []
    for row in rows:
        values = dict(zip(_HIT_COLUMNS, row, strict=True))
        values["at"] = as_utc(values["at"])
        out.append(counting.Hit(**values))
    return out


def _levels(c: counting.Counted) -> Iterator[tuple[int, int, int]]:
    """The aggregate levels one counted thing adds to: clip, episode, podcast, everything."""
    if c.clip_id:
        yield c.podcast_id, c.episode_id, c.clip_id
    yield c.podcast_id, c.episode_id, 0
    yield c.podcast_id, 0, 0
    yield 0, 0, 0


def aggregate(day: date, counted: Iterable[counting.Counted]) -> dict[_Key, int]:
    """Rows (period, metric, start, podcast, episode, clip, dimension, value) -> count."""
    rows: dict[_Key, int] = defaultdict(int)
    listeners: dict[_Key, set[str]] = defaultdict(set)
    whole_day = day_start(day)
    for c in counted:
        hour = c.at.replace(minute=0, second=0, microsecond=0)
        for period, start in (("hour", hour), ("day", whole_day)):
            for podcast, episode, clip in _levels(c):
                base = (period, c.metric, start, podcast, episode, clip)
                rows[(*base, "", "")] += 1
                if period == "hour":
                    continue  # breakdowns by app, channel, ... are kept per day only
                for dimension, value in c.dimensions:
                    rows[(*base, dimension, value[:255])] += 1
                if c.metric == "downloads":
                    listeners[(period, "listeners", start, podcast, episode, clip, "", "")].add(
                        c.listener
                    )
    for key, hashes in listeners.items():
        rows[key] = len(hashes)
    return rows


def rollup_day(ctx: Context, day: date, *, now: datetime | None = None) -> RollupResult:
    """Replace the aggregates of one UTC day with a fresh count of its raw events."""
    now = now or utcnow()
    start = day_start(day)
    end = start + timedelta(days=1)
    limit = ctx.settings.analytics_anomaly_downloads
    with ctx.db.write() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK})
        hits = hits_of_day(s, day)
        rows = aggregate(day, counting.count_day(hits, anomaly_limit=limit))
        s.execute(
            delete(AnalyticsRollup).where(
                AnalyticsRollup.start >= start,
                AnalyticsRollup.start < end,
            )
        )
        if rows:
            s.execute(  # Core executemany: the ORM's bulk path costs more than the database
                insert(Base.metadata.tables[AnalyticsRollup.__tablename__]),
                [
                    {
                        "period": period,
                        "metric": metric,
                        "start": bucket,
                        "podcast_id": podcast,
                        "episode_id": episode,
                        "clip_id": clip,
                        "dimension": dimension,
                        "value": value,
                        "count": count,
                    }
                    for (
                        period,
                        metric,
                        bucket,
                        podcast,
                        episode,
                        clip,
                        dimension,
                        value,
                    ), count in rows.items()
                ],
            )
        s.execute(
            delete(AnalyticsRollupRun).where(
                AnalyticsRollupRun.period == "day", AnalyticsRollupRun.start == start
            )
        )
        s.add(AnalyticsRollupRun(period="day", start=start, finished_at=now, events=len(hits)))
    return RollupResult(day, len(hits), len(rows))


def days_to_roll(ctx: Context, now: datetime) -> list[date]:
    """Days with raw events that are not final yet (never rolled up after their end + GRACE)."""
    with ctx.db.read() as s:
        first = s.scalar(select(func.min(AnalyticsEvent.at)))
        final = {
            as_utc(start).date()
            for start, finished in s.execute(
                select(AnalyticsRollupRun.start, AnalyticsRollupRun.finished_at).where(
                    AnalyticsRollupRun.period == "day"
                )
            )
            if as_utc(finished) >= as_utc(start) + timedelta(days=1) + GRACE
        }
    if first is None:
        return []
    day, today = as_utc(first).date(), now.date()
    out = []
    while day <= today:
        if day not in final:
            out.append(day)
        day += timedelta(days=1)
    return out


def catch_up(ctx: Context, *, now: datetime | None = None) -> list[RollupResult]:
    """Roll up every day that is not final, oldest first; then prune past retention."""
    now = now or utcnow()
    results = [rollup_day(ctx, day, now=now) for day in days_to_roll(ctx, now)]
    prune(ctx, now=now)
    return results


def prune(ctx: Context, *, now: datetime | None = None) -> int:
    """Delete raw events older than the retention, but only of days whose rollup is final."""
    now = now or utcnow()
    cutoff = day_start((now - timedelta(days=ctx.settings.analytics_retention_days)).date())
    with ctx.db.write() as s:
        final_days = select(AnalyticsRollupRun.start).where(
            AnalyticsRollupRun.period == "day",
            AnalyticsRollupRun.start < cutoff,
        )
        deleted = 0
        for (start,) in s.execute(final_days).all():
            start = as_utc(start)
            result = s.execute(
                delete(AnalyticsEvent).where(
                    and_(AnalyticsEvent.at >= start, AnalyticsEvent.at < start + timedelta(days=1))
                )
            )
            deleted += result.rowcount or 0  # type: ignore[attr-defined]
    return deleted
