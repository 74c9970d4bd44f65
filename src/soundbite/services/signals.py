"""What a listener did, kept for their "For you" feed: recording it, seeing it, deleting it,
and the two switches that govern it (personalisation, pausing history).

Signals are recorded only for signed-in listeners, only for their own actions on this server,
and never while they paused their history. A play is one row per listening session of an
episode: the player's progress reports move its ``listened_ms`` on, a report at the end adds
a completion, and a session that stops in under 30 s is a skip (signals.SKIP_SECONDS in the
ranking library). Playing an episode again after finishing it is a replay.

Every change of a listener's signals stamps ``signals_changed_at``, which is how the training
job knows whose vector to refit between full trainings; it also queues that job for the
deletions and switches a listener expects to see take effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.domain.pipeline import RECOMMEND
from soundbite.domain.secrets import random_id
from soundbite.errors import NotFound
from soundbite.recommend.signals import SKIP_SECONDS
from soundbite.store.base import as_utc, utcnow
from soundbite.store.models import Episode, Podcast
from soundbite.store.recommend_models import ListenerPrivacy, Signal

# a report this long after the last one starts a new listening session (a new play)
SESSION_GAP = timedelta(minutes=30)
QUERY_MAX = 200  # characters of a search kept


@dataclass(frozen=True, slots=True)
class Privacy:
    personalised: bool
    history_paused: bool


@dataclass(frozen=True, slots=True)
class SignalView:
    id: str
    kind: str
    at: datetime
    episode_id: int | None
    episode_title: str | None
    podcast_id: int | None
    podcast_title: str | None
    clip_id: int | None
    query: str | None
    listened_ms: int | None


# --- the two switches ---------------------------------------------------------------------


def _privacy_row(s: Session, user_id: int) -> ListenerPrivacy:
    row = s.get(ListenerPrivacy, user_id)
    if row is None:
        # insert-or-nothing, not add(): two requests of one listener (a burst of clips) may
        # both find no row, and the second plain INSERT would fail on the primary key
        insert = (postgresql if s.get_bind().dialect.name == "postgresql" else sqlite).insert
        s.execute(
            insert(ListenerPrivacy)
            .values(user_id=user_id, personalised=True, history_paused=False)
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
        row = s.get_one(ListenerPrivacy, user_id, populate_existing=True)
    return row


def get_privacy(app: Context, user: Account) -> Privacy:
    with app.db.read() as s:
        row = s.get(ListenerPrivacy, user.id)
        return Privacy(row.personalised, row.history_paused) if row else Privacy(True, False)


def set_privacy(
    app: Context, user: Account, *, personalised: bool | None, history_paused: bool | None
) -> Privacy:
    with app.db.write() as s:
        row = _privacy_row(s, user.id)
        if personalised is not None and personalised != row.personalised:
            row.personalised = personalised
            row.signals_changed_at = utcnow()  # the next training drops (or takes) them in
        if history_paused is not None:
            row.history_paused = history_paused
        privacy = Privacy(row.personalised, row.history_paused)
    app.enqueue(None, [RECOMMEND])
    return privacy


def opted_out_ids(s: Session) -> set[int]:
    return set(s.scalars(select(ListenerPrivacy.user_id).where(~ListenerPrivacy.personalised)))


# --- recording ----------------------------------------------------------------------------


def _recording(s: Session, user: Account | None) -> bool:
    if user is None:
        return False
    row = s.get(ListenerPrivacy, user.id)
    return row is None or not row.history_paused


def _touch(s: Session, user_id: int) -> None:
    _privacy_row(s, user_id).signals_changed_at = utcnow()


def _add(s: Session, user_id: int, kind: str, **values: object) -> Signal:
    now = utcnow()
    row = Signal(id=random_id(96), user_id=user_id, kind=kind, at=now, updated_at=now, **values)
    s.add(row)
    _touch(s, user_id)
    return row


def note_progress(
    app: Context, user: Account, episode_id: int, position_ms: int, *, done: bool
) -> None:
    """Fold one progress report into the listener's play signals (after it was stored)."""
    now = utcnow()
    with app.db.write() as s:
        if not _recording(s, user):
            return
        current = s.scalars(
            select(Signal)
            .where(
                Signal.user_id == user.id,
                Signal.episode_id == episode_id,
                Signal.kind.in_(("play", "replay", "skip")),
            )
            .order_by(Signal.at.desc())
            .limit(1)
        ).first()
        fresh = current is not None and now - as_utc(current.updated_at) < SESSION_GAP
        if current is None or not fresh:
            _close_short_plays(s, user.id)
            kind = "replay" if _completions(s, user.id, episode_id) else "play"
            current = _add(
                s, user.id, kind, episode_id=episode_id, start_ms=position_ms, listened_ms=0
            )
        else:
            start = current.start_ms or 0
            current.listened_ms = max(current.listened_ms or 0, position_ms - start)
            if current.kind == "skip" and current.listened_ms >= SKIP_SECONDS * 1000:
                current.kind = "play"  # it was closed too early: the listener came back to it
                _touch(s, user.id)
            current.updated_at = now
        if done and not _completions(s, user.id, episode_id, since=current.at):
            _add(s, user.id, "complete", episode_id=episode_id)


def _completions(s: Session, user_id: int, episode_id: int, since: datetime | None = None) -> int:
    """How many times the listener finished the episode (since a play began, if given)."""
    query = (
        select(func.count())
        .select_from(Signal)
        .where(
            Signal.user_id == user_id,
            Signal.episode_id == episode_id,
            Signal.kind == "complete",
        )
    )
    if since is not None:
        query = query.where(Signal.at >= since)
    return s.scalar(query) or 0


def _close_short_plays(s: Session, user_id: int) -> None:
    """A new session started: the listener's earlier plays that lasted under 30 s are skips."""
    for row in s.scalars(
        select(Signal).where(
            Signal.user_id == user_id,
            Signal.kind == "play",
            Signal.listened_ms < SKIP_SECONDS * 1000,
        )
    ):
        done = s.scalar(
            select(func.count())
            .select_from(Signal)
            .where(
                Signal.user_id == user_id,
                Signal.episode_id == row.episode_id,
                Signal.kind == "complete",
                Signal.at >= row.at,
            )
        )
        if not done:
            row.kind = "skip"


def note_clip(
    app: Context, user: Account | None, clip_id: int, episode_id: int, *, made: bool
) -> None:
    """A clip this listener made, or someone's clip they played (once per clip)."""
    with app.db.write() as s:
        if user is None or not _recording(s, user):
            return
        kind = "clip_made" if made else "clip_played"
        seen = s.scalar(
            select(Signal.id).where(
                Signal.user_id == user.id, Signal.clip_id == clip_id, Signal.kind == kind
            )
        )
        if seen is None:
            _add(s, user.id, kind, clip_id=clip_id, episode_id=episode_id)


def note_subscription(app: Context, user: Account, podcast_id: int, *, subscribed: bool) -> None:
    with app.db.write() as s:
        mine = (Signal.user_id == user.id, Signal.podcast_id == podcast_id)
        if not subscribed:  # an unsubscription takes the signal with it
            s.execute(delete(Signal).where(*mine, Signal.kind == "subscribe"))
            _touch(s, user.id)
            return
        if not _recording(s, user):
            return
        if s.scalar(select(Signal.id).where(*mine, Signal.kind == "subscribe")) is None:
            _add(s, user.id, "subscribe", podcast_id=podcast_id)


def note_search(app: Context, user: Account | None, query: str) -> None:
    text = " ".join(query.split())[:QUERY_MAX]
    if user is None or not text:
        return
    with app.db.write() as s:
        if _recording(s, user):
            _add(s, user.id, "search", query=text)


# --- seeing and deleting ------------------------------------------------------------------


def list_signals(
    app: Context, user: Account, *, limit: int = 100, offset: int = 0
) -> tuple[list[SignalView], int]:
    mine = Signal.user_id == user.id
    with app.db.read() as s:
        total = s.scalar(select(func.count()).select_from(Signal).where(mine)) or 0
        rows = s.execute(
            select(Signal, Episode.title, Podcast.id, Podcast.title)
            .outerjoin(Episode, Episode.id == Signal.episode_id)
            .outerjoin(Podcast, Podcast.id == func.coalesce(Signal.podcast_id, Episode.podcast_id))
            .where(mine)
            .order_by(Signal.at.desc(), Signal.id)
            .limit(limit)
            .offset(offset)
        ).all()
        items = [
            SignalView(
                r.id,
                r.kind,
                as_utc(r.at),
                r.episode_id,
                episode_title,
                podcast_id,
                podcast_title,
                r.clip_id,
                r.query,
                r.listened_ms,
            )
            for r, episode_title, podcast_id, podcast_title in rows
        ]
    return items, int(total)


def delete_signal(app: Context, user: Account, signal_id: str) -> None:
    with app.db.write() as s:
        gone = s.execute(delete(Signal).where(Signal.id == signal_id, Signal.user_id == user.id))
        if not gone.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"no signal {signal_id} of yours")
        _touch(s, user.id)
    app.enqueue(None, [RECOMMEND])


def forget_episode(app: Context, user: Account, episode_id: int) -> None:
    """A history item deleted: the plays, completions, skips and replays of it go too."""
    with app.db.write() as s:
        s.execute(
            delete(Signal).where(
                Signal.user_id == user.id,
                Signal.episode_id == episode_id,
                Signal.kind.in_(("play", "complete", "skip", "replay")),
            )
        )
        _touch(s, user.id)
    app.enqueue(None, [RECOMMEND])


def clear(app: Context, user: Account, *, everything: bool = False) -> int:
    """History cleared: every listening signal and search (``everything``: all signals)."""
    where = [Signal.user_id == user.id]
    if not everything:
        where.append(Signal.kind.in_(("play", "complete", "skip", "replay", "search")))
    with app.db.write() as s:
        gone = int(s.execute(delete(Signal).where(*where)).rowcount)  # type: ignore[attr-defined]
        _touch(s, user.id)
    app.enqueue(None, [RECOMMEND])
    return gone


def changed_since(s: Session, since: datetime) -> list[int]:
    """Listeners whose signals or switches changed after ``since`` (for incremental refits)."""
    return list(
        s.scalars(select(ListenerPrivacy.user_id).where(ListenerPrivacy.signals_changed_at > since))
    )
