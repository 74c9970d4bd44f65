"""The counting rules, as code: which raw hits become downloads, listeners, plays and the funnel.

Pure: a list of hits of one UTC day in, a list of counted things out. The rollup jobs
(rollup.py) apply it to the stored events, the golden test (tests/test_analytics_golden.py)
to a hand-written log, and docs/analytics.md says the same rules in prose. Change one, change
all three.

The rules (after the IAB Podcast Measurement Technical Guidelines v2.2):

- **Downloads** come from requests for episode audio at our own ``/media/<sha256>`` URLs. One
  listener (a hash of IP address and User-Agent; IPv6 cut to its /64) counts once per episode
  per UTC day, as soon as the bytes it asked for that day, ranges summed without counting a
  byte twice, cover one minute of audio at the file's bit rate, or the whole file if that is
  shorter. HEAD requests and probes of at most two bytes (``Range: bytes=0-1``) never count.
  The IAB allows a calendar day or a rolling 24 h; a calendar day lets the salt behind the
  listener hash change at midnight, so no hash links a listener across days.
- **Bots** (analytics/agents.py) never count; their would-be downloads are reported apart.
- **Anomalies**: when more than ``anomaly_limit`` downloads of one episode come from one IP
  address (any User-Agent) in one clock hour, all of them are reported as anomalous, apart
  from the downloads, rather than silently dropped.
- **Listeners**: unique listener hashes among counted downloads per hour or day.
- **Clip plays**: once per listener, clip and day, as soon as the player reports 3 s or half
  the clip played, whichever is less; a **completed play** once it reports 95 %.
- **The clip funnel**: share-page views, plays, completed plays and click-throughs each count
  once per listener, clip and day; an **episode listen** counts when a listener who clicked
  through later the same day requests a minute of the episode (as a download would). Events
  sent with DNT or Sec-GPC are counted but never linked, so they give no listens.
- **Shares** count once per listener, clip, channel and day; arrivals carry the channel tag of
  the link they came by (``?ch=x``); referrers are kept as the host only, and embeds by the
  host of the page that embeds them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

PLAY_THRESHOLD_MS = 3000
PLAY_THRESHOLD_FRACTION = 0.5
COMPLETE_FRACTION = 0.95
PROBE_MAX_BYTES = 2  # "bytes=0-1": the probe iOS and many players send first
DEFAULT_ANOMALY_LIMIT = 10  # downloads of one episode from one IP in one hour


@dataclass(frozen=True, slots=True)
class Hit:
    """One raw event as stored (no address, no User-Agent: hashes and the app they name)."""

    at: datetime
    kind: str  # media, view, embed, play, share, clickthrough
    listener: str
    address: str = ""
    podcast_id: int = 0
    episode_id: int = 0
    clip_id: int = 0
    tracked: bool = True
    bot: bool = False
    app: str = ""
    device: str = ""
    os: str = ""
    method: str = "GET"
    range_start: int | None = None
    range_end: int | None = None
    file_size: int | None = None
    minute_bytes: int | None = None
    played_ms: int | None = None
    clip_ms: int | None = None
    channel: str = ""
    referrer: str = ""


@dataclass(frozen=True, slots=True)
class Counted:
    """Something that counts once: ``metric`` at ``at``, with the dimensions it is broken by."""

    metric: str
    at: datetime
    listener: str
    podcast_id: int = 0
    episode_id: int = 0
    clip_id: int = 0
    dimensions: tuple[tuple[str, str], ...] = field(default=())


def is_probe(method: str, range_start: int | None, range_end: int | None) -> bool:
    """HEAD, or a range of at most two bytes: asked to learn about the file, not to hear it."""
    if method.upper() == "HEAD":
        return True
    if range_start is None or range_end is None:
        return False
    return range_end - range_start + 1 <= PROBE_MAX_BYTES


def may_count(hit: Hit) -> bool:
    """Worth storing at all: probes and HEAD requests are dropped before they are written."""
    return hit.kind != "media" or not is_probe(hit.method, hit.range_start, hit.range_end)


def download_threshold(file_size: int, minute_bytes: int | None) -> int:
    """Bytes that make a download: one minute at the file's bit rate, or the whole file."""
    if not minute_bytes or minute_bytes <= 0:
        return file_size
    return min(minute_bytes, file_size)


def play_threshold_ms(clip_ms: int) -> int:
    return min(PLAY_THRESHOLD_MS, int(clip_ms * PLAY_THRESHOLD_FRACTION))


def referrer_kept(kind: str, tracked: bool) -> bool:
    """Where a listener came from is theirs to withhold (DNT / Sec-GPC); the page that embeds
    a clip is the site's, not the listener's."""
    return kind == "embed" or tracked


class _Coverage:
    """The union of byte ranges asked for so far: a range asked for twice counts once."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def add(self, start: int, end: int) -> int:
        merged: list[tuple[int, int]] = []
        for s, e in sorted([*self.spans, (start, end)]):
            if merged and s <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self.spans = merged
        return sum(e - s + 1 for s, e in merged)


def _first_qualifying(hits: Iterable[Hit]) -> Hit | None:
    """The hit at which the bytes asked for reach the download threshold, if any does."""
    coverage = _Coverage()
    for hit in hits:
        if hit.file_size is None or is_probe(hit.method, hit.range_start, hit.range_end):
            continue
        start = hit.range_start if hit.range_start is not None else 0
        end = hit.range_end if hit.range_end is not None else hit.file_size - 1
        if coverage.add(start, end) >= download_threshold(hit.file_size, hit.minute_bytes):
            return hit
    return None


def _agent_dims(hit: Hit) -> tuple[tuple[str, str], ...]:
    return (("app", hit.app), ("device", hit.device), ("os", hit.os))


def count_day(hits: Iterable[Hit], *, anomaly_limit: int = DEFAULT_ANOMALY_LIMIT) -> list[Counted]:
    """Everything that counts among one UTC day's hits (any order)."""
    ordered = sorted(hits, key=lambda h: h.at)
    out = _downloads(ordered, anomaly_limit)
    out += _clip_funnel(ordered)
    return sorted(out, key=lambda c: (c.at, c.metric))


def _downloads(hits: list[Hit], anomaly_limit: int) -> list[Counted]:
    by_client: dict[tuple[int, str], list[Hit]] = defaultdict(list)
    for hit in hits:
        if hit.kind == "media":
            by_client[(hit.episode_id, hit.listener)].append(hit)
    qualifying = [q for q in map(_first_qualifying, by_client.values()) if q is not None]
    out: list[Counted] = []
    humans: list[Hit] = []
    for hit in qualifying:
        if hit.bot:
            out.append(_counted("bot_downloads", hit, _agent_dims(hit)))
        else:
            humans.append(hit)
    per_address_hour: dict[tuple[int, str, datetime], int] = defaultdict(int)
    for hit in humans:
        per_address_hour[(hit.episode_id, hit.address, _hour(hit.at))] += 1
    for hit in humans:
        anomalous = per_address_hour[(hit.episode_id, hit.address, _hour(hit.at))] > anomaly_limit
        metric = "anomalous_downloads" if anomalous else "downloads"
        out.append(_counted(metric, hit, _agent_dims(hit)))
    return out


def _clip_funnel(hits: list[Hit]) -> list[Counted]:
    out: list[Counted] = []
    seen: set[tuple[str, ...]] = set()

    def once(metric: str, hit: Hit, *key: str, dims: tuple[tuple[str, str], ...] = ()) -> None:
        full = (metric, str(hit.clip_id), hit.listener, *key)
        if full not in seen:
            seen.add(full)
            out.append(_counted(metric, hit, dims))

    clickthroughs: list[Hit] = []
    for hit in hits:
        if hit.bot or hit.kind == "media":
            continue
        if hit.kind == "view":
            dims = [("channel", hit.channel or "direct")]
            if hit.referrer and referrer_kept(hit.kind, hit.tracked):
                dims.append(("referrer", hit.referrer))
            once("views", hit, dims=tuple(dims))
        elif hit.kind == "embed":
            once("embeds", hit, dims=(("embed", hit.referrer or "unknown"),))
        elif hit.kind == "share":
            once("shares", hit, hit.channel, dims=(("channel", hit.channel),))
        elif hit.kind == "clickthrough":
            once("clickthroughs", hit)
            if hit.tracked:
                clickthroughs.append(hit)
        elif hit.kind == "play" and hit.played_ms is not None and hit.clip_ms:
            if hit.played_ms >= play_threshold_ms(hit.clip_ms):
                once("plays", hit)
            if hit.played_ms >= hit.clip_ms * COMPLETE_FRACTION:
                once("completes", hit)
    out += _listens_after(clickthroughs, hits)
    return out


def _listens_after(clickthroughs: list[Hit], hits: list[Hit]) -> list[Counted]:
    """Episode listens that follow a click-through by the same listener, that day."""
    media: dict[tuple[int, str], list[Hit]] = defaultdict(list)
    for hit in hits:
        if hit.kind == "media" and not hit.bot:
            media[(hit.episode_id, hit.listener)].append(hit)
    out: list[Counted] = []
    done: set[tuple[int, str]] = set()  # one listen per clip and listener
    for click in clickthroughs:
        if (click.clip_id, click.listener) in done:
            continue
        later = [h for h in media[(click.episode_id, click.listener)] if h.at >= click.at]
        listen = _first_qualifying(later)
        if listen is not None:
            done.add((click.clip_id, click.listener))
            out.append(
                Counted(
                    "listens",
                    listen.at,
                    click.listener,
                    click.podcast_id,
                    click.episode_id,
                    click.clip_id,
                )
            )
    return out


def _counted(metric: str, hit: Hit, dims: tuple[tuple[str, str], ...]) -> Counted:
    return Counted(metric, hit.at, hit.listener, hit.podcast_id, hit.episode_id, hit.clip_id, dims)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def totals(counted: Iterable[Counted]) -> dict[str, int]:
    """How many of each metric: what a dashboard's headline numbers are."""
    out: dict[str, int] = defaultdict(int)
    for c in counted:
        out[c.metric] += 1
    return dict(out)


def unique_listeners(counted: Iterable[Counted]) -> int:
    """Listeners: distinct listener hashes among the counted downloads."""
    return len({c.listener for c in counted if c.metric == "downloads"})
