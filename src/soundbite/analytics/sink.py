"""Raw analytics events, appended in batches so that no request waits for an analytics write.

The request path calls :meth:`EventSink.add`, which appends the request's facts (address,
User-Agent, range, ...) to an in-memory list and returns. A background thread wakes every
``analytics_flush_seconds`` and does the work: drops what can never count (HEAD, probes, see
counting.py), hashes address and User-Agent with the day's salt, names the app, device and OS,
finds the episode behind a media hash and its bit rate, and inserts the batch in one
transaction. The address and User-Agent are gone once the batch is written.

A listening-curve beacon (``RawHearings``) goes the same way: the account id it carries is
replaced by a hash with the day's salt before it is written, so once the salt is deleted the
stored buckets cannot be tied to the account (analytics/curves.py).

If the database is down the batch is logged and dropped: analytics never breaks listening.
If writes fall far behind, the list is capped (``MAX_PENDING``) and the excess dropped and
counted in ``dropped``, so memory stays bounded under a flood.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import insert, select

from soundbite.analytics import counting
from soundbite.analytics.agents import classify
from soundbite.clips.events import address_hash, listener_hash, salt_for_day
from soundbite.context import Context
from soundbite.store.analytics_models import AnalyticsEvent, AnalyticsHearing
from soundbite.store.base import Base
from soundbite.store.models import Episode, MediaBlob

log = logging.getLogger("soundbite.analytics")

MAX_PENDING = 200_000


@dataclass(frozen=True, slots=True)
class RawEvent:
    """What the web layer knows about a request, taken as is (no work on the request path)."""

    at: datetime
    kind: str  # media, view, embed, play, share, clickthrough
    address: str
    user_agent: str
    do_not_track: bool = False
    sha256: str = ""  # media
    method: str = "GET"
    range_start: int | None = None
    range_end: int | None = None
    file_size: int | None = None
    podcast_id: int = 0
    episode_id: int = 0
    clip_id: int = 0
    played_ms: int | None = None
    clip_ms: int | None = None
    channel: str = ""
    referrer: str = ""  # a URL; only its host is kept


@dataclass(frozen=True, slots=True)
class RawHearings:
    """A listening-curve beacon, checked (analytics/curves.py): bucket -> times heard."""

    at: datetime
    account_id: int
    podcast_id: int
    episode_id: int
    heard: dict[int, int]


def account_hash(salt: str, account_id: int) -> str:
    """An account as the day's listener: a different input shape from ``listener_hash``, so a
    hearing can never be matched with a request's (address, User-Agent)."""
    return hashlib.sha256(f"{salt}\naccount\n{account_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Episode:
    podcast_id: int
    episode_id: int
    minute_bytes: int | None


def referrer_host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[:255]


class EventSink:
    def __init__(self, ctx: Context, *, flush_s: float = 1.0, enabled: bool = True) -> None:
        self.ctx = ctx
        self.enabled = enabled
        self.flush_s = flush_s
        self.dropped = 0
        self._pending: list[RawEvent | RawHearings] = []
        self._lock = threading.Lock()  # guards _pending only: held for an append or a swap
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._salts: dict[date, str] = {}
        self._episodes: dict[str, _Episode | None] = {}

    def add(self, event: RawEvent | RawHearings) -> None:
        if not self.enabled:
            return
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self.dropped += 1
                return
            self._pending.append(event)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="analytics-sink", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except Exception:  # never let analytics take the process down
                log.exception("analytics batch dropped")

    def flush(self) -> int:
        """Write what is pending now; the number of events stored."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            rows = [r for e in batch if isinstance(e, RawEvent) if (r := self._row(e)) is not None]
            heard = [r for e in batch if isinstance(e, RawHearings) for r in self._hearings(e)]
            if rows or heard:
                with self.ctx.db.write() as s:
                    if rows:
                        s.execute(insert(Base.metadata.tables[AnalyticsEvent.__tablename__]), rows)
                    if heard:
                        table = Base.metadata.tables[AnalyticsHearing.__tablename__]
                        s.execute(insert(table), heard)
            return len(rows) + len(heard)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception:
            log.exception("analytics batch dropped at shutdown")

    def _row(self, e: RawEvent) -> dict[str, object] | None:
        hit = counting.Hit(
            at=e.at,
            kind=e.kind,
            listener="",
            method=e.method,
            range_start=e.range_start,
            range_end=e.range_end,
        )
        if not counting.may_count(hit):
            return None
        podcast_id, episode_id, minute_bytes = e.podcast_id, e.episode_id, None
        if e.kind == "media":
            episode = self._episode(e.sha256, e.file_size)
            if episode is None:
                return None  # a file no episode plays (an upload still being processed)
            podcast_id, episode_id = episode.podcast_id, episode.episode_id
            minute_bytes = episode.minute_bytes
        salt = self._salt(e.at.date())
        agent = classify(e.user_agent)
        tracked = not e.do_not_track
        referrer = referrer_host(e.referrer)
        if not counting.referrer_kept(e.kind, tracked):
            referrer = ""
        return {
            "at": e.at,
            "kind": e.kind,
            "podcast_id": podcast_id,
            "episode_id": episode_id,
            "clip_id": e.clip_id,
            "listener": listener_hash(salt, e.address, e.user_agent),
            "address": address_hash(salt, e.address),
            "tracked": tracked,
            "bot": agent.bot,
            "app": agent.app[:64],
            "device": agent.device[:32],
            "os": agent.os[:32],
            "method": e.method.upper()[:8],
            "range_start": e.range_start,
            "range_end": e.range_end,
            "file_size": e.file_size,
            "minute_bytes": minute_bytes,
            "played_ms": e.played_ms,
            "clip_ms": e.clip_ms,
            "channel": e.channel[:16],
            "referrer": referrer,
        }

    def _hearings(self, e: RawHearings) -> list[dict[str, object]]:
        listener = account_hash(self._salt(e.at.date()), e.account_id)
        return [
            {
                "at": e.at,
                "podcast_id": e.podcast_id,
                "episode_id": e.episode_id,
                "listener": listener,
                "bucket": bucket,
                "heard": times,
            }
            for bucket, times in sorted(e.heard.items())
        ]

    def _salt(self, day: date) -> str:
        salt = self._salts.get(day)
        if salt is None:
            with self.ctx.db.write() as s:
                salt = salt_for_day(s, day)
            self._salts = {d: v for d, v in self._salts.items() if d >= day} | {day: salt}
        return salt

    def _episode(self, sha256: str, file_size: int | None) -> _Episode | None:
        if sha256 not in self._episodes:
            with self.ctx.db.read() as s:
                row = s.execute(
                    select(Episode.podcast_id, Episode.id, Episode.duration_ms, MediaBlob.size)
                    .join(MediaBlob, MediaBlob.sha256 == Episode.media_sha256)
                    .where(Episode.media_sha256 == sha256)
                    .order_by(Episode.id)
                    .limit(1)
                ).first()
            if row is None:
                self._episodes[sha256] = None
            else:
                podcast_id, episode_id, duration_ms, stored_size = row
                size = stored_size or file_size
                minute = size * 60_000 // duration_ms if size and duration_ms else None
                self._episodes[sha256] = _Episode(podcast_id, episode_id, minute)
        return self._episodes[sha256]
