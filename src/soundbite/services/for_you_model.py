"""The recommender's trained artefact: collecting signals and items, training, saving, loading.

``train`` is the body of the ``recommend`` job (jobs/stages.py SERVER_STAGES), in-process on
the embedded default and on a Celery worker in scale-out; nothing here runs on the request
path except ``latest``, which reads the last saved model. A run is either

- **full**: every item, every signal of every listener who has personalisation on; when there
  is no model yet, when the last full training is older than ``recommend_full_retrain_hours``,
  after ``recommend_full_retrain_signals`` new signals, when items were removed, or when a
  listener turned personalisation off (their evidence and their popularity votes must leave
  the model, which only a full training does); or
- **incremental**: new items join through their words (``add_items``) and every listener whose
  signals changed since the last run is refit alone (``update_listener``).

Listeners who turned personalisation off are left out of the query itself: their signals are
never read. The model is pickled into blob storage and its SHA-256 kept in the database row:
a blob that does not match is refused, never unpickled (a blob store is not trusted to run
code). A fresh process serves the newest row; each process keeps the one it loaded.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain.progress import ProgressFn
from soundbite.errors import SoundbiteError
from soundbite.recommend import model as rec
from soundbite.recommend.data import Interaction, Item
from soundbite.recommend.signals import SKIP_SECONDS
from soundbite.services.signals import SESSION_GAP, changed_since, opted_out_ids
from soundbite.store.base import as_utc, utcnow
from soundbite.store.clip_models import Clip
from soundbite.store.insight_models import EpisodeHighlight, SearchUnit
from soundbite.store.models import Episode, Podcast
from soundbite.store.recommend_models import RecommendExclusion, RecommendModel, Signal

HIGHLIGHTS_PER_EPISODE = 3
TEXT_CHARS = 20_000  # of an episode's transcript, for its content vector


@dataclass(frozen=True, slots=True)
class ItemMeta:
    """What the app needs to play an item in place and open its episode at that second."""

    kind: str  # episode | highlight | clip
    episode_id: int
    podcast_id: int
    start_ms: int
    end_ms: int | None
    media_sha256: str | None
    share_id: str | None = None


@dataclass
class Trained:
    model: rec.Model
    meta: dict[str, ItemMeta]
    signals_read: int = 0
    # podcast id -> item positions, for hiding what a caller may not read (built on load)
    by_podcast: dict[int, list[int]] = field(default_factory=dict)

    def index_podcasts(self) -> None:
        by: dict[int, list[int]] = defaultdict(list)
        for n, item in enumerate(self.model.catalogue.items):
            by[self.meta[item.id].podcast_id].append(n)
        self.by_podcast = dict(by)


def _user_key(user_id: int) -> str:
    return f"u{user_id}"


# --- items --------------------------------------------------------------------------------


def excluded_podcasts(s: Session) -> set[int]:
    return set(s.scalars(select(RecommendExclusion.podcast_id)))


def _items(s: Session, only: set[str] | None = None) -> tuple[list[Item], dict[str, ItemMeta]]:
    """Episodes, their best highlights and public clips of podcasts not excluded."""
    excluded = excluded_podcasts(s)
    items: list[Item] = []
    meta: dict[str, ItemMeta] = {}

    def wanted(key: str) -> bool:
        return only is None or key in only

    episodes = s.execute(
        select(Episode, Podcast.title).join(Podcast, Podcast.id == Episode.podcast_id)
    ).all()
    known: dict[int, tuple[Episode, str]] = {}
    words: dict[int, list[str]] = defaultdict(list)
    if only is None or any(k.startswith("e") for k in only):
        for episode_id, text in s.execute(
            select(SearchUnit.episode_id, SearchUnit.words).order_by(
                SearchUnit.episode_id, SearchUnit.position
            )
        ):
            if sum(map(len, words[episode_id])) < TEXT_CHARS:
                words[episode_id].append(text)
    for e, show_title in episodes:
        if e.podcast_id in excluded:
            continue
        known[e.id] = (e, show_title)
        key = f"e{e.id}"
        if not wanted(key):
            continue
        published = as_utc(e.published_at or e.created_at)
        text = " ".join([e.title, e.description or "", *words.get(e.id, [])])[:TEXT_CHARS]
        items.append(
            Item(key, f"p{e.podcast_id}", published, e.duration_ms or 0, e.title, show_title, text)
        )
        meta[key] = ItemMeta("episode", e.id, e.podcast_id, 0, e.duration_ms, e.media_sha256)
    for h in s.scalars(
        select(EpisodeHighlight).where(EpisodeHighlight.rank < HIGHLIGHTS_PER_EPISODE)
    ):
        key = f"h{h.id}"
        if h.episode_id not in known or not wanted(key):
            continue
        e, show_title = known[h.episode_id]
        items.append(
            Item(
                key,
                f"p{e.podcast_id}",
                as_utc(e.published_at or e.created_at),
                max(0, h.end_ms - h.start_ms),
                h.title,
                show_title,
                h.text,
                highlight=min(1.0, max(0.0, h.score)),
                kind="highlight",
            )
        )
        meta[key] = ItemMeta("highlight", e.id, e.podcast_id, h.start_ms, h.end_ms, e.media_sha256)
    for c in s.scalars(select(Clip).where(Clip.visibility == "public", ~Clip.draft)):
        key = f"c{c.share_id}"
        if c.episode_id not in known or not wanted(key):
            continue
        e, show_title = known[c.episode_id]
        items.append(
            Item(
                key,
                f"p{e.podcast_id}",
                as_utc(c.created_at),
                max(0, c.end_ms - c.start_ms),
                c.title,
                show_title,
                c.text or c.title,
                kind="clip",
            )
        )
        meta[key] = ItemMeta(
            "clip", e.id, e.podcast_id, c.start_ms, c.end_ms, e.media_sha256, c.share_id
        )
    return items, meta


def _item_keys(s: Session) -> set[str]:
    """The ids ``_items`` would give, without reading any text (for incremental runs)."""
    excluded = excluded_podcasts(s)
    live = {
        eid for eid, pid in s.execute(select(Episode.id, Episode.podcast_id)) if pid not in excluded
    }
    keys = {f"e{e}" for e in live}
    keys |= {
        f"h{hid}"
        for hid, eid in s.execute(
            select(EpisodeHighlight.id, EpisodeHighlight.episode_id).where(
                EpisodeHighlight.rank < HIGHLIGHTS_PER_EPISODE
            )
        )
        if eid in live
    }
    keys |= {
        f"c{share}"
        for share, eid in s.execute(
            select(Clip.share_id, Clip.episode_id).where(Clip.visibility == "public", ~Clip.draft)
        )
        if eid in live
    }
    return keys


# --- signals ------------------------------------------------------------------------------


def _interactions(
    s: Session, now: datetime, *, users: Iterable[int] | None, leave_out: set[int]
) -> Iterator[Interaction]:
    """Signals as the ranking library's interactions. Opted-out listeners are filtered in SQL:
    not one row of theirs is read."""
    query = (
        select(Signal, Clip.share_id, Clip.visibility, Clip.draft)
        .outerjoin(Clip, Clip.id == Signal.clip_id)
        .order_by(Signal.user_id, Signal.at)
    )
    if leave_out:
        query = query.where(Signal.user_id.not_in(leave_out))
    if users is not None:
        query = query.where(Signal.user_id.in_(list(users)))
    for row, share_id, visibility, draft in s.execute(query):
        yield from _interaction(row, share_id, visibility == "public" and not draft, now)


def _interaction(
    row: Signal, share_id: str | None, public_clip: bool, now: datetime
) -> Iterator[Interaction]:
    user, at = _user_key(row.user_id), as_utc(row.at)
    kind = row.kind
    if row.kind == "subscribe":
        yield Interaction(row.id, user, "subscribe", at, show=f"p{row.podcast_id}")
        return
    if row.kind == "search":
        if row.query and row.query.strip():
            yield Interaction(row.id, user, "search", at, query=row.query)
        return
    if row.kind in ("clip_made", "clip_played"):
        # a draft or private clip still says the listener cared about that episode
        item = f"c{share_id}" if public_clip else f"e{row.episode_id}"
    else:
        item = f"e{row.episode_id}"
        settled = now - as_utc(row.updated_at) >= SESSION_GAP
        if kind == "play" and settled and (row.listened_ms or 0) < SKIP_SECONDS * 1000:
            kind = "skip"  # a session that ended in under 30 s, not yet closed by a new one
    if row.episode_id is None:
        return
    yield Interaction(row.id, user, kind, at, item=item)  # type: ignore[arg-type]


# --- saving and loading -------------------------------------------------------------------

_lock = threading.Lock()
_loaded: dict[str, tuple[int, Trained]] = {}  # per database: (model row id, model)


def _save(
    app: Context, trained: Trained, kind: str, seconds: float, last_full: datetime
) -> RecommendModel:
    data = pickle.dumps(trained, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(data).hexdigest()
    key = f"recommend/model-{digest}.pickle"
    app.storage.put_bytes(key, data)
    with app.db.write() as s:
        row = RecommendModel(
            trained_at=trained.model.trained_at,
            kind=kind,
            blob_key=key,
            sha256=digest,
            listeners=len(trained.model.listeners),
            items=len(trained.model.catalogue),
            signals=trained.signals_read,
            seconds=seconds,
            last_full_at=last_full,
        )
        s.add(row)
        s.flush()
        # older models are kept one run back (a process may be loading it right now)
        old = s.scalars(
            select(RecommendModel).where(RecommendModel.id < row.id).order_by(RecommendModel.id)
        ).all()
        for stale in old[:-1]:
            app.storage.delete(stale.blob_key)
            s.delete(stale)
        s.expunge(row)
    return row


def _read(app: Context, row: RecommendModel) -> Trained:
    data = app.storage.get_bytes(row.blob_key)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise SoundbiteError(f"the stored model {row.blob_key} does not match its checksum")
    trained: Trained = pickle.loads(data)
    trained.index_podcasts()
    return trained


def latest_row(app: Context) -> RecommendModel | None:
    with app.db.read() as s:
        row = s.scalars(select(RecommendModel).order_by(RecommendModel.id.desc()).limit(1)).first()
        if row is not None:
            s.expunge(row)
        return row


def latest(app: Context) -> tuple[RecommendModel, Trained] | None:
    """The newest trained model, loaded once per process (shared read-only by requests)."""
    row = latest_row(app)
    if row is None:
        return None
    cache_key = app.db.url
    with _lock:
        held = _loaded.get(cache_key)
        if held is None or held[0] != row.id:
            held = (row.id, _read(app, row))
            _loaded[cache_key] = held
    return row, held[1]


# --- training -----------------------------------------------------------------------------


def _full_due(app: Context, s: Session, last: RecommendModel, model: rec.Model) -> str | None:
    settings, since_full = app.settings, as_utc(last.last_full_at)
    if utcnow() - since_full >= timedelta(hours=settings.recommend_full_retrain_hours):
        return "the last full training is old"
    new_signals = s.scalar(
        select(func.count()).select_from(Signal).where(Signal.updated_at > since_full)
    )
    if (new_signals or 0) >= settings.recommend_full_retrain_signals:
        return f"{new_signals} new signals"
    if any(_user_key(u) in model.listeners for u in opted_out_ids(s)):
        return "a listener turned personalisation off"
    if set(model.catalogue.index) - _item_keys(s):
        return "items were removed"
    return None


def train(app: Context, progress: ProgressFn, *, full: bool = False) -> str:
    """The ``recommend`` job: a full or incremental training, saved as the newest model."""
    started, now = time.perf_counter(), utcnow()
    last = latest_row(app)
    previous = _read(app, last) if last is not None and not full else None
    with app.db.read() as s:
        reason = "asked" if full else "no model yet"
        if previous is not None and last is not None:
            reason = _full_due(app, s, last, previous.model) or ""
        if reason:
            progress(5, "reading signals and items")
            leave_out = opted_out_ids(s)
            items, meta = _items(s)
            interactions = list(_interactions(s, now, users=None, leave_out=leave_out))
        else:
            assert previous is not None and last is not None
            return _incremental(app, s, previous, last, now, started, progress)
    progress(30, f"training on {len(interactions)} signals and {len(items)} items")
    model = rec.train(interactions, items, now, opted_out=[_user_key(u) for u in leave_out])
    trained = Trained(model, meta, len(interactions))
    seconds = time.perf_counter() - started
    _save(app, trained, "full", seconds, now)
    return (
        f"full training ({reason}): {len(model.listeners)} listeners, {len(items)} items, "
        f"{len(interactions)} signals in {seconds:.1f} s"
    )


def _incremental(
    app: Context,
    s: Session,
    trained: Trained,
    last: RecommendModel,
    now: datetime,
    started: float,
    progress: ProgressFn,
) -> str:
    model = trained.model
    fresh = _item_keys(s) - set(model.catalogue.index)
    if fresh:
        items, meta = _items(s, only=fresh)
        rec.add_items(model, items)
        trained.meta.update(meta)
    leave_out = opted_out_ids(s)
    changed = [u for u in changed_since(s, as_utc(last.trained_at)) if u not in leave_out]
    progress(30, f"refitting {len(changed)} listeners")
    rows: dict[str, list[Interaction]] = defaultdict(list)
    for i in _interactions(s, now, users=changed, leave_out=leave_out):
        rows[i.user].append(i)
    for user_id in changed:
        user = _user_key(user_id)
        model.opted_out = model.opted_out - {user}  # turned personalisation back on
        rec.update_listener(model, user, rows.get(user, []), now)
    model.trained_at = now
    trained.signals_read = sum(map(len, rows.values()))
    seconds = time.perf_counter() - started
    _save(app, trained, "incremental", seconds, as_utc(last.last_full_at))
    return f"incremental: {len(fresh)} new items, {len(changed)} listeners refit in {seconds:.2f} s"


def training_due(app: Context) -> bool:
    """For the timer in `soundbite serve`: no model yet, or signals changed since the last."""
    last = latest_row(app)
    if last is None:
        return True
    with app.db.read() as s:
        if changed_since(s, as_utc(last.trained_at)):
            return True
        latest_item = s.scalar(select(func.max(Episode.created_at)))
        if latest_item is not None and as_utc(latest_item) > as_utc(last.trained_at):
            return True
    return utcnow() - as_utc(last.last_full_at) >= timedelta(
        hours=app.settings.recommend_full_retrain_hours
    )
