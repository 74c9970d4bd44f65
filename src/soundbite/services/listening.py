"""What one listener keeps for themself: subscriptions, listening progress, history, settings.

Every function takes the signed-in account and touches only that account's rows, so there is
no way to name another listener's progress or history: the key is always (caller, episode).
An episode or podcast that does not exist is NotFound (404), the same answer whether or not
anyone has played it.

Progress is what the player reports every few seconds and on pause: a position, clamped to
the episode's length (a position past the end, from a clock that ran on or a hostile client,
means the end), and ``done`` once the listener is within ``DONE_MARGIN_MS`` of the end or the
player says it ended. Two browsers of one listener write the same row; the latest report wins,
which is where the listener last was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from soundbite.context import Context
from soundbite.domain.access import read_scope
from soundbite.domain.accounts import Account
from soundbite.errors import InvalidInput, NotFound
from soundbite.services import access, signals
from soundbite.store.access import podcast_where
from soundbite.store.base import as_utc, utcnow
from soundbite.store.db import get_or_not_found
from soundbite.store.listener_models import ListenerSettings, Listening, Subscription
from soundbite.store.models import Episode, Podcast

# the last seconds of an episode are credits and goodbyes: stopping there is finishing it
DONE_MARGIN_MS = 10_000
MARK_SECONDS_DEFAULT = 30
MARK_SECONDS_MIN = 5
MARK_SECONDS_MAX = 120


@dataclass(frozen=True, slots=True)
class Progress:
    episode_id: int
    position_ms: int
    done: bool
    duration_ms: int | None
    updated_at: datetime | None  # None: never played


@dataclass(frozen=True, slots=True)
class HistoryItem:
    episode_id: int
    episode_title: str
    podcast_id: int
    podcast_title: str
    artwork_url: str | None
    duration_ms: int | None
    position_ms: int
    done: bool
    first_played_at: datetime
    last_played_at: datetime


@dataclass(frozen=True, slots=True)
class SubscriptionItem:
    podcast_id: int
    title: str
    author: str | None
    artwork_url: str | None
    episode_count: int
    subscribed_at: datetime


@dataclass(frozen=True, slots=True)
class ListenerPrefs:
    mark_seconds: int


def _episode(app: Context, user: Account, episode_id: int) -> None:
    # the one place that decides which episodes a listener may keep progress for: those they
    # may read (services/access.py), so one they may not read is 404, as if it did not exist.
    # Asked before the write opens, so the check's own read is not nested in it.
    access.readable_episode(app, user, episode_id)


def _podcast(app: Context, user: Account, podcast_id: int) -> None:
    access.readable_podcast(app, user, podcast_id)


# --- progress -----------------------------------------------------------------------------


def record_progress(
    app: Context, user: Account, episode_id: int, position_ms: int, *, ended: bool = False
) -> Progress:
    """Store where `user` is in the episode (upsert); returns what was stored."""
    if position_ms < 0:
        raise InvalidInput("position_ms cannot be negative")
    _episode(app, user, episode_id)
    now = utcnow()
    with app.db.write() as s:
        duration = get_or_not_found(s, Episode, episode_id, "episode").duration_ms
        if duration is not None:
            position_ms = min(position_ms, duration)
            ended = ended or position_ms >= max(0, duration - DONE_MARGIN_MS)
        if ended and duration is not None:
            position_ms = duration
        values = {"position_ms": position_ms, "done": ended, "last_played_at": now}
        insert = (postgresql if s.get_bind().dialect.name == "postgresql" else sqlite).insert
        s.execute(
            insert(Listening)
            .values(user_id=user.id, episode_id=episode_id, first_played_at=now, **values)
            .on_conflict_do_update(index_elements=["user_id", "episode_id"], set_=values)
        )
    signals.note_progress(app, user, episode_id, position_ms, done=ended)  # "For you"
    return Progress(episode_id, position_ms, ended, duration, now)


def get_progress(app: Context, user: Account, episode_id: int) -> Progress:
    _episode(app, user, episode_id)
    with app.db.read() as s:
        duration = get_or_not_found(s, Episode, episode_id, "episode").duration_ms
        row = s.get(Listening, (user.id, episode_id))
        if row is None:
            return Progress(episode_id, 0, False, duration, None)
        return Progress(episode_id, row.position_ms, row.done, duration, as_utc(row.last_played_at))


# --- history ------------------------------------------------------------------------------


def list_history(
    app: Context, user: Account, *, limit: int = 50, offset: int = 0
) -> tuple[list[HistoryItem], int]:
    """Episodes `user` played, the most recently played first; (page, total)."""
    # only what the listener may still read (a podcast made members-only since is left out)
    mine = and_(Listening.user_id == user.id, podcast_where(read_scope(user)))
    with app.db.read() as s:
        total = (
            s.scalar(
                select(func.count())
                .select_from(Listening)
                .join(Episode, Episode.id == Listening.episode_id)
                .join(Podcast, Podcast.id == Episode.podcast_id)
                .where(mine)
            )
            or 0
        )
        rows = s.execute(
            select(Listening, Episode, Podcast)
            .join(Episode, Episode.id == Listening.episode_id)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .where(mine)
            .order_by(Listening.last_played_at.desc(), Listening.episode_id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        items = [
            HistoryItem(
                episode_id=e.id,
                episode_title=e.title,
                podcast_id=p.id,
                podcast_title=p.title,
                artwork_url=e.artwork_url or p.artwork_url,
                duration_ms=e.duration_ms,
                position_ms=row.position_ms,
                done=row.done,
                first_played_at=as_utc(row.first_played_at),
                last_played_at=as_utc(row.last_played_at),
            )
            for row, e, p in rows
        ]
    return items, total


def forget_episode(app: Context, user: Account, episode_id: int) -> None:
    """Remove one episode from the history, and its position with it."""
    with app.db.write() as s:
        gone = s.execute(
            delete(Listening).where(
                Listening.user_id == user.id, Listening.episode_id == episode_id
            )
        )
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"episode {episode_id} is not in your history")
    signals.forget_episode(app, user, episode_id)  # its plays leave "For you" too


def clear_history(app: Context, user: Account) -> int:
    with app.db.write() as s:
        gone = s.execute(delete(Listening).where(Listening.user_id == user.id))
    signals.clear(app, user)  # every play and search leaves "For you" too
    return int(gone.rowcount)  # type: ignore[attr-defined]


# --- subscriptions ------------------------------------------------------------------------


def subscribe(app: Context, user: Account, podcast_id: int) -> None:
    """Follow a podcast; following it again changes nothing."""
    _podcast(app, user, podcast_id)
    with app.db.write() as s:
        if s.get(Subscription, (user.id, podcast_id)) is None:
            s.add(Subscription(user_id=user.id, podcast_id=podcast_id))
    signals.note_subscription(app, user, podcast_id, subscribed=True)


def unsubscribe(app: Context, user: Account, podcast_id: int) -> None:
    _podcast(app, user, podcast_id)
    with app.db.write() as s:
        s.execute(
            delete(Subscription).where(
                Subscription.user_id == user.id, Subscription.podcast_id == podcast_id
            )
        )
    signals.note_subscription(app, user, podcast_id, subscribed=False)


def is_subscribed(app: Context, user: Account, podcast_id: int) -> bool:
    _podcast(app, user, podcast_id)
    with app.db.read() as s:
        return s.get(Subscription, (user.id, podcast_id)) is not None


def list_subscriptions(app: Context, user: Account) -> list[SubscriptionItem]:
    """The podcasts `user` follows, by title."""
    counts = (
        select(Episode.podcast_id, func.count().label("n")).group_by(Episode.podcast_id).subquery()
    )
    with app.db.read() as s:
        rows = s.execute(
            select(Subscription.created_at, Podcast, func.coalesce(counts.c.n, 0))
            .join(Podcast, Podcast.id == Subscription.podcast_id)
            .outerjoin(counts, counts.c.podcast_id == Podcast.id)
            .where(Subscription.user_id == user.id, podcast_where(read_scope(user)))
            .order_by(Podcast.title, Podcast.id)
        ).all()
        return [
            SubscriptionItem(p.id, p.title, p.author, p.artwork_url, int(n), as_utc(at))
            for at, p, n in rows
        ]


# --- settings -----------------------------------------------------------------------------


def get_prefs(app: Context, user: Account) -> ListenerPrefs:
    with app.db.read() as s:
        row = s.get(ListenerSettings, user.id)
        return ListenerPrefs(row.mark_seconds if row else MARK_SECONDS_DEFAULT)


def set_prefs(app: Context, user: Account, *, mark_seconds: int) -> ListenerPrefs:
    if not MARK_SECONDS_MIN <= mark_seconds <= MARK_SECONDS_MAX:
        raise InvalidInput(
            f"a Mark is {MARK_SECONDS_MIN} to {MARK_SECONDS_MAX} seconds long, not {mark_seconds}"
        )
    with app.db.write() as s:
        row = s.get(ListenerSettings, user.id)
        if row is None:
            s.add(ListenerSettings(user_id=user.id, mark_seconds=mark_seconds))
        else:
            row.mark_seconds = mark_seconds
    return ListenerPrefs(mark_seconds)
