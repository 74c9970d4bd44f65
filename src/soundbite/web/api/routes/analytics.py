"""``/api/analytics/...``: the beacon players send, and every dashboard figure as JSON or CSV.

Figures are read from the hourly and daily aggregates only (analytics/queries.py), for the
whole instance, a podcast, an episode or a clip (by share id), over a range of UTC days with
the period of the same length before it for comparison. Admins see everything; a podcast's
creators see that podcast, its episodes and its clips (asking for the whole instance, a
creator of one podcast gets that podcast); listeners see none (403).

Listening curves: a signed-in listener's player reports the 5 s buckets of an episode it heard
(``POST /episodes/{id}/listening``, sent with ``navigator.sendBeacon``), and a creator reads the
episode's retention and "most replayed" curves (``GET /episodes/{id}/retention``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from soundbite.analytics import curves, hearings, queries
from soundbite.analytics.queries import DayRange, Scope
from soundbite.clips import service
from soundbite.clips.events import SHARE_CHANNELS
from soundbite.services import access
from soundbite.services.accounts import Account
from soundbite.web.api.params import RowIdPath, RowIdQuery
from soundbite.web.counting import count_clip, do_not_track
from soundbite.web.deps import BeaconUser, CurrentUser, OptionalAuth, SoundbiteDep

router = APIRouter(prefix="/analytics", tags=["analytics"])

DEFAULT_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
Format = Literal["json", "csv"]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with `format=csv`"}
}
Day = Annotated[date | None, Query(ge=EARLIEST, le=LATEST, description="UTC day, inclusive")]
ShareIdQuery = Annotated[str | None, Query(max_length=32, description="A clip's share id")]


class BeaconCreate(BaseModel):
    kind: Literal["view", "embed", "play"] = Field(
        description="`view`: the share page was opened; `embed`: the embed player was; "
        "`play`: how far the player got (`played_ms`, sent at 3 s or half the clip, and at "
        "the end)."
    )
    played_ms: int | None = Field(None, ge=0, le=24 * 3600 * 1000)
    channel: str | None = Field(
        None, max_length=16, description="The `ch` tag of the link the page was opened by."
    )
    referrer: str | None = Field(
        None, max_length=2048, description="`document.referrer`; only its host is kept."
    )


class BeaconAccepted(BaseModel):
    accepted: bool = True


class RangePublic(BaseModel):
    start: date
    end: date


class ListeningReport(BaseModel):
    heard: list[int] = Field(
        max_length=curves.MAX_HEARINGS,
        description="The 5 s buckets of the episode heard since the last report, a bucket once "
        "per hearing (bucket b is [5 b, 5 b + 5) s; heard = half of it played without seeking).",
        examples=[[0, 1, 2, 2]],
    )
    csrf_token: str | None = Field(
        None,
        max_length=128,
        description="For `navigator.sendBeacon`, which cannot send the X-CSRF-Token header.",
    )


class ListeningAccepted(BaseModel):
    kept: bool = Field(description="False when DNT / Sec-GPC or a paused history said not to.")
    hearings: int = Field(description="Bucket hearings kept.")
    reason: str | None = Field(None, description="Why nothing was kept.")


class CurvePointPublic(BaseModel):
    bucket: int
    start_ms: int
    listeners: int = Field(description="Listeners (per day) who heard this bucket.")
    retention: float = Field(description="`listeners` / `started`, 0 to 1.")
    replays: int = Field(description="Listeners who heard this bucket more than once a day.")


class CurvePublic(BaseModel):
    episode_id: int
    range: RangePublic
    duration_ms: int
    bucket_ms: int
    started: int = Field(description="Listeners (per day) who heard any of the episode.")
    points: list[CurvePointPublic]


class SummaryPublic(BaseModel):
    range: RangePublic
    totals: dict[str, int] = Field(description="Downloads, plays, ... over the range.")
    average_daily_listeners: float
    previous: dict[str, int] = Field(description="The same figures for the period before.")
    previous_average_daily_listeners: float


class PointPublic(BaseModel):
    start: datetime
    count: int


class SeriesPublic(BaseModel):
    metric: str
    period: str
    points: list[PointPublic]


class CountPublic(BaseModel):
    name: str
    count: int


class CountsPublic(BaseModel):
    items: list[CountPublic]


@router.post("/clips/{share_id}/beacon", response_model=BeaconAccepted, status_code=202)
def beacon(
    share_id: str, body: BeaconCreate, request: Request, sb: SoundbiteDep, auth: OptionalAuth
) -> BeaconAccepted:
    """From the share and embed pages: a view, an embed view, or play progress. Anyone may
    send it; what counts is decided later by the counting rules (docs/analytics.md)."""
    view = service.get_clip(sb, share_id, auth.account if auth else None)
    channel = body.channel if body.channel in SHARE_CHANNELS else ""
    count_clip(
        sb,
        request,
        body.kind,
        clip_id=view.id,
        episode_id=view.episode_id,
        podcast_id=view.podcast_id,
        clip_ms=view.duration_ms,
        played_ms=body.played_ms,
        channel=channel,
        referrer=body.referrer or "",
    )
    return BeaconAccepted()


def _scope(
    sb: SoundbiteDep,
    user: Account,
    podcast_id: int | None,
    episode_id: int | None,
    clip: str | None,
) -> Scope:
    if clip:
        view = service.get_clip(sb, clip, user)
        access.analytics_podcast(user, view.podcast_id)
        return Scope(podcast_id=view.podcast_id, episode_id=view.episode_id, clip_id=view.id)
    if episode_id:
        place = access.readable_episode(sb, user, episode_id)
        access.analytics_podcast(user, place.podcast_id)
        return Scope(podcast_id=place.podcast_id, episode_id=episode_id)
    if podcast_id:
        access.readable_podcast(sb, user, podcast_id)
    return Scope(podcast_id=access.analytics_podcast(user, podcast_id) or 0)


def _days(start: date | None, end: date | None) -> DayRange:
    last = end or datetime.now(UTC).date()
    return DayRange(start or max(EARLIEST, last - timedelta(days=DEFAULT_DAYS - 1)), last)


@dataclass(frozen=True, slots=True)
class Question:
    """What every figure is asked for: whose (the instance, a podcast, an episode or a clip),
    over which days, and in which format."""

    scope: Scope
    days: DayRange
    format: Format


def question(
    sb: SoundbiteDep,
    user: CurrentUser,
    podcast_id: RowIdQuery = None,
    episode_id: RowIdQuery = None,
    clip: ShareIdQuery = None,
    start: Day = None,
    end: Day = None,
    format: Format = "json",
) -> Question:
    return Question(_scope(sb, user, podcast_id, episode_id, clip), _days(start, end), format)


Asked = Annotated[Question, Depends(question)]


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/summary", response_model=SummaryPublic, responses=CSV)
def summary(sb: SoundbiteDep, asked: Asked) -> SummaryPublic | Response:
    """Totals over the range (downloads, listeners, plays, the funnel, bots and anomalies
    apart) and over the period of the same length before it."""
    scope, days = asked.scope, asked.days
    now = queries.summary(sb, scope, days)
    before = queries.summary(sb, scope, days.previous())
    if asked.format == "csv":
        rows = [(m, now.totals[m], before.totals[m]) for m in now.totals]
        rows.append(
            (
                "average_daily_listeners",
                now.average_daily_listeners,  # type: ignore[arg-type]
                before.average_daily_listeners,  # type: ignore[arg-type]
            )
        )
        return _csv("summary", ("metric", "count", "previous_period"), rows)
    return SummaryPublic(
        range=RangePublic(start=days.first, end=days.last),
        totals=now.totals,
        average_daily_listeners=now.average_daily_listeners,
        previous=before.totals,
        previous_average_daily_listeners=before.average_daily_listeners,
    )


@router.get("/series", response_model=SeriesPublic, responses=CSV)
def series(
    sb: SoundbiteDep,
    asked: Asked,
    metric: Annotated[Literal[queries.METRICS], Query()] = "downloads",  # type: ignore[valid-type]
    period: Literal["day", "hour"] = "day",
) -> SeriesPublic | Response:
    """One figure per day or hour of the range, zeros included, for charts."""
    scope = asked.scope
    points = queries.series(sb, scope, metric, asked.days, period=period)
    if asked.format == "csv":
        return _csv(metric, ("start", metric), ((p.start.isoformat(), p.count) for p in points))
    return SeriesPublic(
        metric=metric,
        period=period,
        points=[PointPublic(start=p.start, count=p.count) for p in points],
    )


@router.get("/breakdown", response_model=CountsPublic, responses=CSV)
def breakdown(
    sb: SoundbiteDep,
    asked: Asked,
    dimension: Literal["app", "device", "os", "channel", "referrer", "embed"],
    metric: Annotated[Literal[queries.METRICS] | None, Query()] = None,  # type: ignore[valid-type]
) -> CountsPublic | Response:
    """Downloads by app, device or OS; share-page arrivals by channel tag (or, with
    `metric=shares`, shares by channel) and by referrer host; embeds by host page."""
    scope = asked.scope
    rows = queries.breakdown(sb, scope, dimension, asked.days, metric=metric)
    if asked.format == "csv":
        return _csv(dimension, (dimension, "count"), rows)
    return CountsPublic(items=[CountPublic(name=n, count=c) for n, c in rows])


@router.get("/funnel", response_model=CountsPublic, responses=CSV)
def funnel(sb: SoundbiteDep, asked: Asked) -> CountsPublic | Response:
    """The clip funnel: share-page views, plays, completed plays, click-throughs to the full
    episode, and episode listens that followed the same day."""
    scope = asked.scope
    rows = queries.funnel(sb, scope, asked.days)
    if asked.format == "csv":
        return _csv("funnel", ("stage", "count"), rows)
    return CountsPublic(items=[CountPublic(name=n, count=c) for n, c in rows])


@router.post(
    "/episodes/{episode_id}/listening",
    response_model=ListeningAccepted,
    status_code=202,
    responses={
        401: {"description": "Not signed in"},
        404: {"description": "No such episode, or one you may not read"},
        422: {"description": "A bucket outside the episode, or too many hearings"},
    },
)
def listening(
    episode_id: RowIdPath,
    body: ListeningReport,
    request: Request,
    sb: SoundbiteDep,
    user: BeaconUser,
) -> ListeningAccepted:
    """A signed-in listener's player: which 5 s buckets of this episode it heard, batched
    (every 30 s and when the page is hidden or left). Kept for the episode's listening curves
    unless the browser sends DNT / Sec-GPC or the listener paused their history."""
    got = hearings.accept(
        sb, sb.analytics, user, episode_id, body.heard, do_not_track=do_not_track(request)
    )
    return ListeningAccepted(kept=got.kept, hearings=got.hearings, reason=got.reason)


@router.get("/episodes/{episode_id}/retention", response_model=CurvePublic, responses=CSV)
def retention(
    episode_id: RowIdPath,
    sb: SoundbiteDep,
    user: CurrentUser,
    start: Day = None,
    end: Day = None,
    format: Format = "json",
) -> CurvePublic | Response:
    """The episode's retention curve (the share of listeners who started it that heard each
    5 s) and its "most replayed" curve (listeners who heard each 5 s more than once a day),
    from signed-in listeners' players. Listeners are counted per day."""
    _scope(sb, user, None, episode_id, None)
    days = _days(start, end)
    found = queries.curve(sb, episode_id, days)
    if format == "csv":
        return _csv(
            f"retention-episode-{episode_id}",
            ("start_s", "listeners", "retention", "replays", "started"),
            (
                (p.start_ms / 1000, p.listeners, p.retention, p.replays, found.started)
                for p in found.points
            ),
        )
    return CurvePublic(
        episode_id=episode_id,
        range=RangePublic(start=days.first, end=days.last),
        duration_ms=found.duration_ms,
        bucket_ms=found.bucket_ms,
        started=found.started,
        points=[
            CurvePointPublic(
                bucket=p.bucket,
                start_ms=p.start_ms,
                listeners=p.listeners,
                retention=p.retention,
                replays=p.replays,
            )
            for p in found.points
        ],
    )
