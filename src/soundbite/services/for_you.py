"""The "For you" feed as a listener sees it, and the admin's exclusions.

A request only ranks: it reads the last trained model (services/for_you_model.py) and cuts its
rows for this caller, hiding every podcast the caller may not read and every podcast an admin
excluded since the training. Nobody signed in, and a listener who turned personalisation off,
get ``ranker.public_feed``: popular and newest, computed from the catalogue alone, so nothing
of theirs is read or computed. Before the first training there is no model: the cold-start
rows come straight from the database (newest episodes, most listened lately, the best
highlights of the shows the listener subscribes to).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain import access
from soundbite.domain.accounts import Account
from soundbite.domain.pipeline import RECOMMEND
from soundbite.errors import Forbidden, NotFound, SoundbiteError
from soundbite.recommend import ranker
from soundbite.recommend.data import Context as FeedContext
from soundbite.recommend.ranker import Feed, Pick
from soundbite.services.for_you_model import ItemMeta, Trained, excluded_podcasts, latest
from soundbite.services.signals import get_privacy
from soundbite.store import access as places
from soundbite.store.base import as_utc, utcnow
from soundbite.store.insight_models import EpisodeHighlight
from soundbite.store.listener_models import Listening, Subscription
from soundbite.store.models import Episode, Podcast
from soundbite.store.recommend_models import RecommendExclusion

log = logging.getLogger("soundbite.recommend")
ROW_SIZE = 10
POPULAR_DAYS = 30


@dataclass(frozen=True, slots=True)
class ReasonView:
    text: str
    signal_kind: str  # interaction | popularity | recency | budget
    signal_id: str
    link: str | None  # where the app shows that signal (and lets the listener delete it)


@dataclass(frozen=True, slots=True)
class ItemView:
    id: str
    kind: str  # episode | highlight | clip
    title: str
    podcast_id: int
    podcast_title: str
    episode_id: int
    start_ms: int
    end_ms: int | None
    duration_ms: int
    audio_url: str | None
    share_id: str | None
    reason: ReasonView


@dataclass(frozen=True, slots=True)
class RowView:
    key: str
    title: str
    items: list[ItemView]


@dataclass(frozen=True, slots=True)
class FeedView:
    personalised: bool
    source: str  # model | cold_start
    trained_at: datetime | None
    rows: list[RowView]


# --- who may read what --------------------------------------------------------------------


def _readable_podcast_ids(s: Session, account: Account | None) -> set[int]:
    """The podcasts a feed may suggest to this caller: those listed for them
    (domain/access.py), since a recommendation is a list; an unlisted podcast is never
    suggested to someone who was not given its link."""
    listed = places.podcast_ids(s, access.list_scope(account))
    if listed is None:  # everything
        return set(s.scalars(select(Podcast.id)))
    return set(listed)


# --- the feed -----------------------------------------------------------------------------


def feed(
    app: Context,
    account: Account | None,
    *,
    budget_minutes: int | None = None,
    hour: int | None = None,
    now: datetime | None = None,
) -> FeedView:
    ctx = FeedContext(now or utcnow(), hour=hour, budget_minutes=budget_minutes)
    personal = account is not None and get_privacy(app, account).personalised
    with app.db.read() as s:
        allowed = _readable_podcast_ids(s, account) - excluded_podcasts(s)
    try:
        loaded = latest(app)
    except SoundbiteError as exc:  # a broken model must not take the home page down
        log.error("the recommender's model cannot be loaded: %s", exc.message)
        loaded = None
    if loaded is None:
        return _cold_start(app, account if personal else None, allowed, ctx)
    row, trained = loaded
    hidden = [n for pid, items in trained.by_podcast.items() if pid not in allowed for n in items]
    model = trained.model
    if personal and account is not None:
        result = ranker.feed(model, f"u{account.id}", ctx, hidden)
    else:
        result = ranker.public_feed(model.catalogue, ctx, model.options, hidden)
    return FeedView(result.personalised, "model", as_utc(row.trained_at), _rows(result, trained))


def _rows(result: Feed, trained: Trained) -> list[RowView]:
    return [
        RowView(r.key, r.title, [_item(p, trained.meta[p.item.id]) for p in r.picks])
        for r in result.rows
    ]


def _link(kind: str, signal_id: str, meta: ItemMeta) -> str | None:
    if kind == "interaction":
        return f"/for-you/signals#signal-{signal_id}"
    if kind == "recency":
        return f"/podcasts/{meta.podcast_id}"
    return None


def _audio(meta: ItemMeta) -> str | None:
    if meta.share_id:
        return f"/c/{meta.share_id}/audio.mp3"
    return f"/media/{meta.media_sha256}" if meta.media_sha256 else None


def _item(pick: Pick, meta: ItemMeta) -> ItemView:
    reason = pick.reason
    return ItemView(
        id=pick.item.id,
        kind=meta.kind,
        title=pick.item.label,
        podcast_id=meta.podcast_id,
        podcast_title=pick.item.show_title,
        episode_id=meta.episode_id,
        start_ms=meta.start_ms,
        end_ms=meta.end_ms,
        duration_ms=pick.item.duration_ms,
        audio_url=_audio(meta),
        share_id=meta.share_id,
        reason=ReasonView(
            reason.text,
            reason.signal_kind,
            reason.signal_id,
            _link(reason.signal_kind, reason.signal_id, meta),
        ),
    )


# --- before the first training ------------------------------------------------------------


def _episode_item(e: Episode, podcast_title: str, reason: ReasonView) -> ItemView:
    return ItemView(
        f"e{e.id}",
        "episode",
        e.title,
        e.podcast_id,
        podcast_title,
        e.id,
        0,
        e.duration_ms,
        e.duration_ms or 0,
        f"/media/{e.media_sha256}" if e.media_sha256 else None,
        None,
        reason,
    )


def _two_per_show(rows: list[ItemView], seen: set[str]) -> list[ItemView]:
    per: dict[int, int] = {}
    out: list[ItemView] = []
    for item in rows:
        if item.id in seen or per.get(item.podcast_id, 0) >= 2:
            continue
        per[item.podcast_id] = per.get(item.podcast_id, 0) + 1
        seen.add(item.id)
        out.append(item)
        if len(out) == ROW_SIZE:
            break
    return out


def _cold_start(
    app: Context, account: Account | None, allowed: set[int], ctx: FeedContext
) -> FeedView:
    """No model yet: subscriptions' best highlights, most listened lately, newest. Only the
    listener's subscriptions are personal, and only when personalisation is on."""
    seen: set[str] = set()
    rows: list[RowView] = []
    base = select(Episode, Podcast.title).join(Podcast, Podcast.id == Episode.podcast_id)
    base = base.where(Episode.podcast_id.in_(allowed))
    since = ctx.now.astimezone(UTC) - timedelta(days=POPULAR_DAYS)
    with app.db.read() as s:
        if account is not None:
            shows = select(Subscription.podcast_id).where(Subscription.user_id == account.id)
            found = s.execute(
                select(EpisodeHighlight, Episode, Podcast.title)
                .join(Episode, Episode.id == EpisodeHighlight.episode_id)
                .join(Podcast, Podcast.id == Episode.podcast_id)
                .where(Episode.podcast_id.in_(shows), Episode.podcast_id.in_(allowed))
                .order_by(EpisodeHighlight.score.desc(), EpisodeHighlight.id)
                .limit(ROW_SIZE * 5)
            ).all()
            picks = [
                ItemView(
                    f"h{h.id}",
                    "highlight",
                    h.title,
                    e.podcast_id,
                    title,
                    e.id,
                    h.start_ms,
                    h.end_ms,
                    h.end_ms - h.start_ms,
                    f"/media/{e.media_sha256}" if e.media_sha256 else None,
                    None,
                    ReasonView(
                        f"New from {title}",
                        "recency",
                        f"p{e.podcast_id}",
                        f"/podcasts/{e.podcast_id}",
                    ),
                )
                for h, e, title in found
            ]
            rows.append(
                RowView("new_from_shows", "New from your shows", _two_per_show(picks, seen))
            )
        listeners = func.count(Listening.user_id)
        popular = s.execute(
            base.join(Listening, Listening.episode_id == Episode.id)
            .where(Listening.last_played_at >= since)
            .group_by(Episode.id, Podcast.title)
            .order_by(listeners.desc(), Episode.id.desc())
            .limit(ROW_SIZE * 5)
        ).all()
        why = ReasonView("Popular on this server", "popularity", "server", None)
        rows.append(
            RowView(
                "popular",
                "Popular on this server",
                _two_per_show([_episode_item(e, t, why) for e, t in popular], seen),
            )
        )
        newest = s.execute(
            base.order_by(func.coalesce(Episode.published_at, Episode.created_at).desc()).limit(
                ROW_SIZE * 5
            )
        ).all()
        rows.append(
            RowView(
                "newest",
                "New on this server",
                _two_per_show(
                    [
                        _episode_item(
                            e,
                            t,
                            ReasonView(
                                f"New from {t}",
                                "recency",
                                f"p{e.podcast_id}",
                                f"/podcasts/{e.podcast_id}",
                            ),
                        )
                        for e, t in newest
                    ],
                    seen,
                ),
            )
        )
    return FeedView(False, "cold_start", None, [r for r in rows if r.items])


# --- the admin's exclusions ---------------------------------------------------------------


def _admin(user: Account) -> None:
    if not user.is_admin:
        raise Forbidden("only an admin can exclude podcasts from recommendations")


def set_excluded(app: Context, user: Account, podcast_id: int, *, excluded: bool) -> None:
    """Keep a podcast out of every feed (at once: requests hide it before the next training)."""
    _admin(user)
    with app.db.write() as s:
        if s.get(Podcast, podcast_id) is None:
            raise NotFound(f"no podcast {podcast_id}")
        row = s.get(RecommendExclusion, podcast_id)
        if excluded and row is None:
            s.add(RecommendExclusion(podcast_id=podcast_id))
        elif not excluded:
            s.execute(delete(RecommendExclusion).where(RecommendExclusion.podcast_id == podcast_id))
    app.enqueue(None, [RECOMMEND])


def list_excluded(app: Context, user: Account) -> list[tuple[int, str, datetime]]:
    _admin(user)
    with app.db.read() as s:
        rows = s.execute(
            select(Podcast.id, Podcast.title, RecommendExclusion.excluded_at)
            .join(RecommendExclusion, RecommendExclusion.podcast_id == Podcast.id)
            .order_by(Podcast.title, Podcast.id)
        ).all()
        return [(pid, title, as_utc(at)) for pid, title, at in rows]
