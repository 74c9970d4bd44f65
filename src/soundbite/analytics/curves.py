"""Listening curves, as rules: which parts of an episode signed-in listeners heard, and again.

Pure: the rules a batch from a player must follow, and a day's hearings in, per-bucket counts
out. The player (frontend/src/player/curves.ts) applies the same hearing rule; rollup.py
applies ``count_day`` to the stored hearings; docs/analytics.md says it in prose.

- An episode is cut into **buckets** of 5 s: bucket ``b`` is ``[5000 b, 5000 b + 5000)`` ms.
  Coarse on purpose: a curve needs no finer grain, and a listener's exact pauses are theirs.
- A bucket is **heard** once per pass when the player played at least half of it (2.5 s of the
  episode's own time, whatever the speed) without seeking; a pass over a bucket ends when the
  playhead leaves it or jumps back. Skipping through a bucket, or seeking across it, is not
  hearing it. For one continuous run of playing that is ``heard_buckets(start_ms, end_ms)``.
- A **batch** (one beacon) names the buckets heard since the last one, a bucket once per
  hearing. It may hold at most ``MAX_HEARINGS`` hearings and one bucket at most
  ``MAX_REPEATS`` times (a 5 s loop at double speed for the 30 s between beacons is 12, and
  a page hidden late can hold a little more); every bucket must lie inside the episode.
- Per UTC day (the listener hash changes at midnight), for each episode: the listeners who
  **started** it (heard any bucket); per bucket, the **listeners** who heard it (the retention
  curve is their share of those who started) and the listeners who heard it **more than once**
  that day (the "most replayed" curve). One listener looping a bucket counts once, so a single
  enthusiast cannot make a peak.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from soundbite.errors import InvalidInput

BUCKET_MS = 5_000
HEARD_MS = BUCKET_MS // 2
MAX_HEARINGS = 2_000
MAX_REPEATS = 20


def bucket_count(duration_ms: int) -> int:
    """How many buckets an episode of this length has (the last may be short)."""
    return max(0, -(-duration_ms // BUCKET_MS))


def heard_buckets(start_ms: int, end_ms: int, duration_ms: int | None = None) -> list[int]:
    """The buckets one continuous run of playing, from `start_ms` to `end_ms`, heard.

    A bucket cut short by the end of the episode is heard when half of what there is of it
    was played."""
    out: list[int] = []
    if end_ms <= start_ms:
        return out
    for b in range(start_ms // BUCKET_MS, (end_ms - 1) // BUCKET_MS + 1):
        lo, hi = b * BUCKET_MS, (b + 1) * BUCKET_MS
        if duration_ms is not None:
            hi = min(hi, duration_ms)
        played = min(end_ms, hi) - max(start_ms, lo)
        if hi > lo and played >= min(HEARD_MS, (hi - lo + 1) // 2):
            out.append(b)
    return out


def check_batch(heard: Sequence[int], duration_ms: int | None) -> Counter[int]:
    """A beacon's buckets, refused (InvalidInput) unless they follow the rules above; the
    times each bucket was heard."""
    if duration_ms is None or duration_ms <= 0:
        raise InvalidInput("this episode's length is not known yet, so it has no buckets")
    if len(heard) > MAX_HEARINGS:
        raise InvalidInput(f"a batch holds at most {MAX_HEARINGS} hearings, not {len(heard)}")
    count = bucket_count(duration_ms)
    times = Counter(heard)
    for bucket, n in sorted(times.items()):
        if bucket < 0 or bucket >= count:
            raise InvalidInput(
                f"bucket {bucket} is outside the episode: it has {count} buckets of "
                f"{BUCKET_MS // 1000} s (0 to {count - 1})"
            )
        if n > MAX_REPEATS:
            raise InvalidInput(
                f"bucket {bucket} is reported heard {n} times in one batch; at most {MAX_REPEATS}"
            )
    return times


@dataclass(frozen=True, slots=True)
class Hearing:
    """One stored row: `listener` heard `bucket` of an episode `heard` times in one batch."""

    podcast_id: int
    episode_id: int
    listener: str
    bucket: int
    heard: int = 1


@dataclass(slots=True)
class EpisodeCurve:
    """One day's curve of one episode: starters, and per bucket (listeners, replays)."""

    podcast_id: int
    started: int = 0
    buckets: dict[int, tuple[int, int]] = field(default_factory=dict)


def count_day(hearings: Iterable[Hearing]) -> dict[int, EpisodeCurve]:
    """Per episode: who started it, and per bucket who heard it and who heard it again."""
    times: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    starters: dict[int, set[str]] = defaultdict(set)
    podcast: dict[int, int] = {}
    for h in hearings:
        if h.heard <= 0:
            continue
        times[(h.episode_id, h.bucket)][h.listener] += h.heard
        starters[h.episode_id].add(h.listener)
        podcast[h.episode_id] = h.podcast_id
    out = {e: EpisodeCurve(podcast[e], started=len(who)) for e, who in starters.items()}
    for (episode, bucket), per_listener in times.items():
        replays = sum(1 for n in per_listener.values() if n > 1)
        out[episode].buckets[bucket] = (len(per_listener), replays)
    return out
