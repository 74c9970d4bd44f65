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

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.orm import Session

from soundbite.analytics import counting, curves
from soundbite.context import Context
from soundbite.domain.pipeline import ANALYZE, DONE
from soundbite.domain.progress import ProgressFn
from soundbite.store import analytics_partitions as partitions
from soundbite.store.analytics_models import (
    AnalyticsCurve,
    AnalyticsEvent,
    AnalyticsHearing,
    AnalyticsRollup,
    AnalyticsRollupRun,
)
from soundbite.store.base import as_utc, utcnow
from soundbite.store.models import Job

GRACE = timedelta(minutes=10)
ROLLUP_LOCK = 0x50D_B17E  # pg_advisory_xact_lock key
_Key = tuple[str, str, datetime, int, int, int, str, str]
# the columns of a raw event a Hit holds, in the Hit's own field order (built positionally)
_HIT_COLUMNS = [f.name for f in fields(counting.Hit)]
SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite
# in the order of _Key, then the count
_ROLLUP_COLUMNS = [
    "period",
    "metric",
    "start",
    "podcast_id",
    "episode_id",
    "clip_id",
    "dimension",
    "value",
    "count",
]
_CURVE_COLUMNS = ["start", "episode_id", "bucket", "podcast_id", "listeners", "replays"]


@dataclass(frozen=True, slots=True)
class RollupResult:
    day: date
    events: int
    rows: int
    replayed: tuple[int, ...] = ()  # episodes with a bucket someone heard twice that day


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _raw_rows(s: Session, table: str, columns: list[str], day: date) -> list[Any]:
    """One day's rows of a raw table, straight from the driver.

    A day holds a hundred thousand events and more: SQLAlchemy's row processing (an ORM load,
    then a regular-expression parse of every SQLite timestamp) took most of a rollup's time,
    so this reads through the DBAPI cursor and parses SQLite's timestamps with
    ``datetime.fromisoformat``. The first column must be ``at``; it comes back in UTC."""
    conn = s.connection()
    start = day_start(day)
    end = start + timedelta(days=1)
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE at >= {mark} AND at < {mark}"
    if sqlite:  # stored as text in SQLAlchemy's format, which sorts as time does
        bounds: tuple[object, ...] = tuple(t.strftime(SQLITE_FORMAT) for t in (start, end))
    else:
        bounds = (start, end)
    rows = conn.exec_driver_sql(sql, bounds).all()
    parse = datetime.fromisoformat
    if sqlite:
        return [(parse(r[0]).replace(tzinfo=UTC), *r[1:]) for r in rows]
    return [r if r[0].tzinfo is UTC else (r[0].astimezone(UTC), *r[1:]) for r in rows]


def hits_of_day(s: Session, day: date) -> list[counting.Hit]:
    rows = _raw_rows(s, AnalyticsEvent.__tablename__, _HIT_COLUMNS, day)
    return [counting.Hit(*row) for row in rows]


def hearings_of_day(s: Session, day: date) -> list[curves.Hearing]:
    columns = ["at", "podcast_id", "episode_id", "listener", "bucket", "heard"]
    rows = _raw_rows(s, AnalyticsHearing.__tablename__, columns, day)
    return [curves.Hearing(*row[1:]) for row in rows]


def _levels(podcast: int, episode: int, clip: int) -> tuple[tuple[int, int, int], ...]:
    """The aggregate levels one counted thing adds to: clip, episode, podcast, everything."""
    if clip:
        return (podcast, episode, clip), (podcast, episode, 0), (podcast, 0, 0), (0, 0, 0)
    return (podcast, episode, 0), (podcast, 0, 0), (0, 0, 0)


def aggregate(day: date, counted: Iterable[counting.Counted]) -> dict[_Key, int]:
    """Rows (period, metric, start, podcast, episode, clip, dimension, value) -> count.

    Counted things are first grouped by where they happened (metric, hour and clip or
    episode), and each group then adds to its four levels and two periods once: a day holds
    tens of thousands of counted things but far fewer groups."""
    whole_day = day_start(day)
    hours = [whole_day + timedelta(hours=h) for h in range(24)]
    per_hour: Counter[tuple[str, datetime, int, int, int]] = Counter()
    per_value: Counter[tuple[str, int, int, int, str, str]] = Counter()
    heard: dict[tuple[int, int, int], set[str]] = defaultdict(set)  # listeners per day
    for c in counted:
        hour = hours[c.at.hour]  # c.at is UTC, on `day`
        per_hour[(c.metric, hour, c.podcast_id, c.episode_id, c.clip_id)] += 1
        for dimension, value in c.dimensions:  # breakdowns by app, channel, ...: per day only
            per_value[
                (c.metric, c.podcast_id, c.episode_id, c.clip_id, dimension, value[:255])
            ] += 1
        if c.metric == "downloads":
            heard[(c.podcast_id, c.episode_id, c.clip_id)].add(c.listener)
    rows: dict[_Key, int] = defaultdict(int)
    for (metric, hour, podcast, episode, clip), n in per_hour.items():
        for level in _levels(podcast, episode, clip):
            rows[("hour", metric, hour, *level, "", "")] += n
            rows[("day", metric, whole_day, *level, "", "")] += n
    for (metric, podcast, episode, clip, dimension, value), n in per_value.items():
        for level in _levels(podcast, episode, clip):
            rows[("day", metric, whole_day, *level, dimension, value)] += n
    listeners: dict[_Key, set[str]] = defaultdict(set)
    for (podcast, episode, clip), hashes in heard.items():
        for level in _levels(podcast, episode, clip):
            listeners[("day", "listeners", whole_day, *level, "", "")] |= hashes
    for key, hashes in listeners.items():
        rows[key] = len(hashes)
    return rows


def _insert(s: Session, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """An executemany straight to the driver (SQLAlchemy's per-row parameter processing cost
    more than the database's insert); times go in as SQLite stores them there."""
    if not rows:
        return
    conn = s.connection()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        rows = [
            tuple(v.strftime(SQLITE_FORMAT) if isinstance(v, datetime) else v for v in row)
            for row in rows
        ]
    marks = ", ".join(["?" if sqlite else "%s"] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


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
            (start, episode, bucket, curve.podcast_id, listeners, replays)
            for episode, curve in day_curves.items()
            for bucket, (listeners, replays) in curve.buckets.items()
        ]
        _insert(s, AnalyticsCurve.__tablename__, _CURVE_COLUMNS, curve_rows)
        s.execute(
            delete(AnalyticsRollup).where(
                # naming the periods lets both databases seek the primary key (period, start,
                # ...) instead of scanning every aggregate row of every day
                AnalyticsRollup.period.in_(("hour", "day")),
                AnalyticsRollup.start >= start,
                AnalyticsRollup.start < end,
            )
        )
        _insert(
            s,
            AnalyticsRollup.__tablename__,
            _ROLLUP_COLUMNS,
            [(*key, count) for key, count in rows.items()],
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


def _final_days(s: Session) -> set[date]:
    """Days rolled up once more after their end (+ GRACE): their counts will not change."""
    return {
        as_utc(start).date()
        for start, finished in s.execute(
            select(AnalyticsRollupRun.start, AnalyticsRollupRun.finished_at).where(
                AnalyticsRollupRun.period == "day"
            )
        )
        if as_utc(finished) >= as_utc(start) + timedelta(days=1) + GRACE
    }


def days_to_roll(ctx: Context, now: datetime) -> list[date]:
    """Days with raw events that are not final yet (never rolled up after their end + GRACE)."""
    with ctx.db.read() as s:
        firsts = [
            s.scalar(select(func.min(AnalyticsEvent.at))),
            s.scalar(select(func.min(AnalyticsHearing.at))),
        ]
        first = min((as_utc(f) for f in firsts if f is not None), default=None)
        final = _final_days(s)
    if first is None:
        return []
    day, today = first.date(), now.date()
    out = []
    while day <= today:
        if day not in final:
            out.append(day)
        day += timedelta(days=1)
    return out


def catch_up(
    ctx: Context, *, now: datetime | None = None, progress: ProgressFn | None = None
) -> list[RollupResult]:
    """Roll up every day that is not final, oldest first; then prune past retention.

    On PostgreSQL it first makes sure this month's and the next months' partitions exist, so
    the sink's rows land in their month rather than the DEFAULT partition."""
    now = now or utcnow()
    with ctx.db.write() as s:
        partitions.ensure_months(s.connection(), now.date())
    days = days_to_roll(ctx, now)
    results = []
    for i, day in enumerate(days):
        if progress is not None:
            progress(100 * i / (len(days) + 1), f"rolling up {day} ({i + 1} of {len(days)})")
        results.append(rollup_day(ctx, day, now=now))
    final = {
        e
        for r in results
        if now >= day_start(r.day) + timedelta(days=1) + GRACE
        for e in r.replayed
    }
    reanalyse(ctx, final)
    if progress is not None:
        progress(100 * len(days) / (len(days) + 1), "pruning raw events past the retention")
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
    """Delete raw events older than the retention, but only of days whose rollup is final.

    On PostgreSQL a month's partition wholly past the retention, all its days final, is
    dropped (no row-by-row delete, nothing left for VACUUM); the rest goes day by day."""
    now = now or utcnow()
    cutoff = day_start((now - timedelta(days=ctx.settings.analytics_retention_days)).date())
    with ctx.db.write() as s:
        final = _final_days(s)

        def all_final(first: date, end: date) -> bool:
            return all(first + timedelta(days=d) in final for d in range((end - first).days))

        dropped = partitions.drop_months_before(s.connection(), cutoff.date(), final=all_final)
        deleted = sum(dropped.values())
        for day in sorted(d for d in final if day_start(d) < cutoff):
            start = day_start(day)
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
