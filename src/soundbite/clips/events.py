"""What happens to clips: created, shared (by channel), played, clicked through to the episode.

Counting follows the IAB podcast measurement idea of a *unique listener per day*: a play is
counted once per listener, clip and UTC day, however often the page is reloaded or the audio
re-buffered. A listener is a hash of their IP address and user agent with a random salt that
belongs to that day only (``clip_event_salts``; a salt is deleted once it is 48 hours old, which
leaves a day for events still in flight at midnight and for the analytics rollup of the day to
finish). IPv6 addresses are cut to their /64 first, since one household or phone moves through
a whole /64. Nothing that identifies a person is stored: no address, and once the salt is gone
not even we can test a guessed address against the hashes. Analytics (soundbite/analytics)
uses the same salts and hashes.

Where plays come from matters more than how they are counted. An embedded player with
``preload="none"`` loads no audio until pressed, but link unfurlers (Slack, X, Facebook)
fetch ``og:audio`` to check it, players prefetch, and a CDN in front of us answers most
requests without us; so the byte-0 Range request is a poor signal. A play is counted from the
player's ``play`` event instead: a small beacon (``navigator.sendBeacon``) that needs a real
browser running our page and a person pressing play. Known crawlers are ignored anyway.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.errors import InvalidInput
from soundbite.store.base import utcnow
from soundbite.store.clip_models import ClipEvent, ClipEventSalt

Kind = Literal["shared", "played", "clickthrough"]
KINDS: tuple[Kind, ...] = ("shared", "played", "clickthrough")
SHARE_CHANNELS = (
    "x",
    "facebook",
    "linkedin",
    "reddit",
    "whatsapp",
    "telegram",
    "email",
    "copy",
    "native",  # the Web Share API: the system share sheet picked the app
    "embed",
)
STATS_DAYS = 30
_BOTS = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|embedly|preview|whatsapp|telegram|"
    r"curl|wget|python-|httpx|okhttp|headless",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    return not user_agent or bool(_BOTS.search(user_agent))


def _insert_ignoring_duplicates(s: Session, model: Any, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on either database; True if a row was added.

    On the table, not the ORM class: the ORM's bulk insert does not report skipped rows.
    """
    table = model.__table__
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    returning = statement.returning(*table.primary_key.columns)
    return s.connection().execute(returning).first() is not None


def salt_for_day(s: Session, day: date) -> str:
    """The day's salt, made on first use; salts of days before yesterday are deleted then."""
    salt = s.scalar(select(ClipEventSalt.salt).where(ClipEventSalt.day == day))
    if salt is None:
        _insert_ignoring_duplicates(s, ClipEventSalt, {"day": day, "salt": secrets.token_hex(32)})
        s.execute(delete(ClipEventSalt).where(ClipEventSalt.day < day - timedelta(days=1)))
        salt = s.scalars(select(ClipEventSalt.salt).where(ClipEventSalt.day == day)).one()
    return salt


def listener_address(address: str) -> str:
    """The part of an address that names a listener: all of IPv4, the /64 of IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def listener_hash(salt: str, address: str, user_agent: str) -> str:
    address = listener_address(address)
    return hashlib.sha256(f"{salt}\n{address}\n{user_agent}".encode()).hexdigest()[:32]


def address_hash(salt: str, address: str) -> str:
    """The address alone (for "too many downloads from one IP"), never linkable to a listener
    hash: a different input shape under the same salt."""
    address = listener_address(address)
    return hashlib.sha256(f"{salt}\naddress\n{address}".encode()).hexdigest()[:32]


def record(
    app: Context,
    clip_id: int,
    kind: Kind,
    *,
    address: str,
    user_agent: str,
    channel: str = "",
) -> bool:
    """Count one event; False if it was not counted (a crawler, or this listener today)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown event {kind!r}: one of {', '.join(KINDS)}")
    if kind == "shared" and channel not in SHARE_CHANNELS:
        raise InvalidInput(f"unknown share channel {channel!r}: one of {', '.join(SHARE_CHANNELS)}")
    if kind != "shared":
        channel = ""
    if is_bot(user_agent):
        return False
    today = utcnow().date()
    with app.db.write() as s:
        listener = listener_hash(salt_for_day(s, today), address, user_agent)
        values = {
            "clip_id": clip_id,
            "kind": kind,
            "channel": channel,
            "day": today,
            "listener": listener,
            "created_at": utcnow(),
        }
        return _insert_ignoring_duplicates(s, ClipEvent, values)


@dataclass(frozen=True, slots=True)
class DayStats:
    day: date
    plays: int = 0
    shares: int = 0
    clickthroughs: int = 0


@dataclass(frozen=True, slots=True)
class ClipStats:
    plays: int
    shares: int
    shares_by_channel: dict[str, int]
    clickthroughs: int
    days: list[DayStats] = field(default_factory=list)


def stats(app: Context, clip_id: int, *, days: int = STATS_DAYS) -> ClipStats:
    """Totals since the clip was made, and per day for the last `days` days (oldest first)."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    with app.db.read() as s:
        totals = s.execute(
            select(ClipEvent.kind, ClipEvent.channel, func.count())
            .where(ClipEvent.clip_id == clip_id)
            .group_by(ClipEvent.kind, ClipEvent.channel)
        ).all()
        daily = s.execute(
            select(ClipEvent.day, ClipEvent.kind, func.count())
            .where(ClipEvent.clip_id == clip_id, ClipEvent.day >= first)
            .group_by(ClipEvent.day, ClipEvent.kind)
        ).all()
    by_kind: dict[str, int] = defaultdict(int)
    channels: dict[str, int] = {}
    for kind, channel, count in totals:
        by_kind[kind] += count
        if kind == "shared":
            channels[channel] = count
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, kind, count in daily:
        per_day[day][kind] += count
    return ClipStats(
        plays=by_kind["played"],
        shares=by_kind["shared"],
        shares_by_channel=channels,
        clickthroughs=by_kind["clickthrough"],
        days=[
            DayStats(
                d,
                per_day[d]["played"],
                per_day[d]["shared"],
                per_day[d]["clickthrough"],
            )
            for d in (first + timedelta(days=i) for i in range(days))
        ],
    )
