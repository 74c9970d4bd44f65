"""What dashboards and ``/api/analytics/...`` read: always the aggregates, never raw events.

Every query is a range of UTC days (inclusive) at one scope: the whole instance, a podcast,
an episode or a clip. The rollup writes one row per scope level, so each figure is a sum over
at most one row per bucket (and dimension value), whatever the traffic was.

Listeners are unique per day only: the hash that tells listeners apart is salted per day and
the salt deleted after 48 hours, by design, so no listener can be followed from one day to the
next. Over a range we report the average of the daily figures, not a sum that would count a
daily listener thirty times.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select

from soundbite.analytics.curves import BUCKET_MS, bucket_count
from soundbite.analytics.rollup import day_start
from soundbite.context import Context
from soundbite.errors import InvalidInput
from soundbite.store.analytics_models import AnalyticsCurve, AnalyticsRollup
from soundbite.store.base import as_utc
from soundbite.store.db import get_or_not_found
from soundbite.store.models import Episode

METRICS = (
    "downloads",
    "listeners",
    "anomalous_downloads",
    "bot_downloads",
    "views",
    "plays",
    "completes",
    "clickthroughs",
    "listens",
    "shares",
    "embeds",
)
FUNNEL = ("views", "plays", "completes", "clickthroughs", "listens")
DIMENSIONS = {
    "app": "downloads",
    "device": "downloads",
    "os": "downloads",
    "channel": "views",  # arrivals by the channel tag of the link
    "referrer": "views",
    "embed": "embeds",
}
MAX_DAYS = 731


@dataclass(frozen=True, slots=True)
class Scope:
    """Everything (all 0), a podcast, an episode or a clip; the narrowest given wins."""

    podcast_id: int = 0
    episode_id: int = 0
    clip_id: int = 0

    def where(self) -> list[ColumnElement[bool]]:
        r = AnalyticsRollup
        if self.clip_id and self.episode_id:  # the clip's episode lets the index be used whole
            return [r.clip_id == self.clip_id, r.episode_id == self.episode_id]
        if self.clip_id:
            return [r.clip_id == self.clip_id]
        if self.episode_id:
            return [r.clip_id == 0, r.episode_id == self.episode_id]
        return [r.podcast_id == self.podcast_id, r.clip_id == 0, r.episode_id == 0]


@dataclass(frozen=True, slots=True)
class DayRange:
    first: date
    last: date  # inclusive

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidInput("the range ends before it starts")
        if self.days > MAX_DAYS:
            raise InvalidInput(f"a range may cover at most {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> DayRange:
        """The period of the same length just before, for comparison."""
        return DayRange(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        return day_start(self.first), day_start(self.last + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Point:
    start: datetime
    count: int


@dataclass(frozen=True, slots=True)
class Summary:
    range: DayRange
    totals: dict[str, int]
    average_daily_listeners: float


def summary(ctx: Context, scope: Scope, days: DayRange) -> Summary:
    r = AnalyticsRollup
    first, end = days.bounds()
    with ctx.db.read() as s:
        sums = s.execute(
            select(r.metric, func.sum(r.count))
            .where(
                *scope.where(),
                r.period == "day",
                r.metric.in_(METRICS),
                r.dimension == "",
                r.start >= first,
                r.start < end,
            )
            .group_by(r.metric)
        ).all()
    totals = dict.fromkeys(METRICS, 0)
    for metric, count in sums:
        totals[metric] = int(count)
    listener_days = totals.pop("listeners")
    return Summary(days, totals, round(listener_days / days.days, 2))


def series(
    ctx: Context, scope: Scope, metric: str, days: DayRange, *, period: str = "day"
) -> list[Point]:
    """One point per day (or hour) of the range, zeros included, oldest first."""
    if metric not in METRICS:
        raise InvalidInput(f"unknown metric {metric!r}: one of {', '.join(METRICS)}")
    if period not in ("day", "hour"):
        raise InvalidInput("period is `day` or `hour`")
    r = AnalyticsRollup
    first, end = days.bounds()
    with ctx.db.read() as s:
        rows = s.execute(
            select(r.start, r.count).where(
                *scope.where(),
                r.period == period,
                r.metric == metric,
                r.dimension == "",
                r.start >= first,
                r.start < end,
            )
        ).all()
    counts: dict[datetime, int] = defaultdict(int)
    for start, count in rows:
        counts[as_utc(start)] += count
    step = timedelta(days=1) if period == "day" else timedelta(hours=1)
    points, t = [], first
    while t < end:
        points.append(Point(t, counts[t]))
        t += step
    return points


def breakdown(
    ctx: Context, scope: Scope, dimension: str, days: DayRange, *, metric: str | None = None
) -> list[tuple[str, int]]:
    """Counts by app, device, os, channel, referrer or embed host; largest first."""
    if dimension not in DIMENSIONS:
        raise InvalidInput(f"unknown dimension {dimension!r}: one of {', '.join(DIMENSIONS)}")
    metric = metric or DIMENSIONS[dimension]
    r = AnalyticsRollup
    first, end = days.bounds()
    with ctx.db.read() as s:
        rows = s.execute(
            select(r.value, func.sum(r.count))
            .where(
                *scope.where(),
                r.period == "day",
                r.metric == metric,
                r.dimension == dimension,
                r.start >= first,
                r.start < end,
            )
            .group_by(r.value)
        ).all()
    return sorted(((value, int(count)) for value, count in rows), key=lambda vc: (-vc[1], vc[0]))


def funnel(ctx: Context, scope: Scope, days: DayRange) -> list[tuple[str, int]]:
    """Share-page views → plays → completed plays → click-throughs → episode listens."""
    totals = summary(ctx, scope, days).totals
    return [(stage, totals[stage]) for stage in FUNNEL]


@dataclass(frozen=True, slots=True)
class CurvePoint:
    bucket: int
    start_ms: int
    listeners: int  # heard this bucket (listener-days)
    replays: int  # heard it more than once in a day
    retention: float  # listeners / started, 0..1 (0 when nobody started)


@dataclass(frozen=True, slots=True)
class Curve:
    episode_id: int
    duration_ms: int
    bucket_ms: int
    started: int  # listener-days that heard any of the episode
    points: list[CurvePoint]


def curve(ctx: Context, episode_id: int, days: DayRange) -> Curve:
    """An episode's retention and "most replayed" curves over the range, one point per 5 s
    bucket, zeros included. Listeners are counted per day (their hash changes at midnight),
    so over a range every figure is in listener-days, the denominator too."""
    first, end = days.bounds()
    c, r = AnalyticsCurve, AnalyticsRollup
    with ctx.db.read() as s:
        duration = get_or_not_found(s, Episode, episode_id, "episode").duration_ms or 0
        started = s.scalar(
            select(func.coalesce(func.sum(r.count), 0)).where(
                r.clip_id == 0,
                r.episode_id == episode_id,
                r.period == "day",
                r.metric == "starts",
                r.dimension == "",
                r.start >= first,
                r.start < end,
            )
        )
        rows = s.execute(
            select(c.bucket, func.sum(c.listeners), func.sum(c.replays))
            .where(c.episode_id == episode_id, c.start >= first, c.start < end)
            .group_by(c.bucket)
        ).all()
    started = int(started or 0)
    heard = {int(b): (int(n), int(again)) for b, n, again in rows}
    points = []
    for b in range(bucket_count(duration)):
        n, again = heard.get(b, (0, 0))
        retention = round(n / started, 4) if started else 0.0
        points.append(CurvePoint(b, b * BUCKET_MS, n, again, retention))
    return Curve(episode_id, duration, BUCKET_MS, started, points)
