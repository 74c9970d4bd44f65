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

The listening curves (analytics/curves.py) are rolled up in the same transaction: the day's
hearings become ``analytics_curves`` rows (per episode and 5 s bucket) and ``starts`` rows in
``analytics_rollups`` (per episode and podcast, day only). When a day's final rollup finds
replays of an episode that has been analysed, the episode's ``analyze`` stage is queued again,
so its highlight suggestions take the new "most replayed" signal in.

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

from soundbite.analytics import counting, curves
from soundbite.context import Context
from soundbite.domain.pipeline import ANALYZE, DONE
from soundbite.store.analytics_models import (
    AnalyticsCurve,
    AnalyticsEvent,
    AnalyticsHearing,
    AnalyticsRollup,
    AnalyticsRollupRun,
)
from soundbite.store.base import Base, as_utc, utcnow
from soundbite.store.models import Job

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
    replayed: tuple[int, ...] = ()  # episodes with a bucket someone heard twice that day


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


def hearings_of_day(s: Session, day: date) -> list[curves.Hearing]:
    start = day_start(day)
    h = AnalyticsHearing
    rows = s.execute(
        select(h.podcast_id, h.episode_id, h.listener, h.bucket, h.heard).where(
            h.at >= start, h.at < start + timedelta(days=1)
        )
    ).all()
    return [curves.Hearing(*row) for row in rows]


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
        hearings = hearings_of_day(s, day)
        rows = aggregate(day, counting.count_day(hits, anomaly_limit=limit))
        day_curves = curves.count_day(hearings)
        rows.update(_starts(start, day_curves))
        s.execute(delete(AnalyticsCurve).where(AnalyticsCurve.start == start))
        curve_rows = [
            {
                "start": start,
                "episode_id": episode,
                "bucket": bucket,
                "podcast_id": curve.podcast_id,
                "listeners": listeners,
                "replays": replays,
            }
            for episode, curve in day_curves.items()
            for bucket, (listeners, replays) in curve.buckets.items()
        ]
        if curve_rows:
            s.execute(insert(Base.metadata.tables[AnalyticsCurve.__tablename__]), curve_rows)
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
        events = len(hits) + len(hearings)
        s.add(AnalyticsRollupRun(period="day", start=start, finished_at=now, events=events))
    replayed = tuple(
        sorted(e for e, c in day_curves.items() if any(r for _, r in c.buckets.values()))
    )
    return RollupResult(day, events, len(rows) + len(curve_rows), replayed)


def _starts(day: datetime, day_curves: dict[int, curves.EpisodeCurve]) -> dict[_Key, int]:
    """Listeners who started each episode (the retention curve's 100 %), and per podcast."""
    out: dict[_Key, int] = defaultdict(int)
    for episode, curve in day_curves.items():
        out[("day", "starts", day, curve.podcast_id, episode, 0, "", "")] = curve.started
        # a podcast's figure sums its episodes': one listener of two episodes starts twice
        out[("day", "starts", day, curve.podcast_id, 0, 0, "", "")] += curve.started
    return out


def days_to_roll(ctx: Context, now: datetime) -> list[date]:
    """Days with raw events that are not final yet (never rolled up after their end + GRACE)."""
    with ctx.db.read() as s:
        firsts = [
            s.scalar(select(func.min(AnalyticsEvent.at))),
            s.scalar(select(func.min(AnalyticsHearing.at))),
        ]
        first = min((as_utc(f) for f in firsts if f is not None), default=None)
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
    day, today = first.date(), now.date()
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
    final = {
        e
        for r in results
        if now >= day_start(r.day) + timedelta(days=1) + GRACE
        for e in r.replayed
    }
    reanalyse(ctx, final)
    prune(ctx, now=now)
    return results


def reanalyse(ctx: Context, episodes: Iterable[int]) -> list[int]:
    """Queue ``analyze`` again for those of `episodes` it has already run for (highlights
    read the replay curve); an episode still on its way through the pipeline gets there."""
    wanted = sorted(set(episodes))
    if not wanted:
        return []
    with ctx.db.read() as s:
        found = s.scalars(
            select(Job.episode_id).where(
                Job.episode_id.in_(wanted), Job.stage == ANALYZE, Job.state == DONE
            )
        ).all()
    done = sorted(e for e in found if e is not None)
    for episode_id in done:
        ctx.enqueue(episode_id, [ANALYZE])
    return done


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
            s.execute(
                delete(AnalyticsHearing).where(
                    AnalyticsHearing.at >= start, AnalyticsHearing.at < start + timedelta(days=1)
                )
            )
    return deleted
