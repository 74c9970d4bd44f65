"""The listening-curve beacon's intake: who may report, what a report may say, and when nothing
is kept.

A signed-in listener's player reports the 5 s buckets it heard (analytics/curves.py). Asked in
this order, so a refusal says the first thing wrong:

1. the episode must be one the listener may read (404 otherwise, as if it did not exist);
2. the batch must follow the bucket rules (422 with what is wrong: a bucket past the end, too
   many repeats, an episode whose length is not known yet);
3. then it is kept unless the listener said not to: the browser sent ``DNT: 1`` or
   ``Sec-GPC: 1`` (a hearing is linked to the listener's other hearings that day, which those
   headers refuse), or the listener paused their history (``/api/for-you/privacy``).
   A report that is not kept is still answered 202, with the reason, so players need not care.

The report itself joins the analytics sink (sink.py): the request never waits for the write,
and the account id becomes a day-salted hash there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from soundbite.analytics import curves
from soundbite.analytics.sink import EventSink, RawHearings
from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.services import access
from soundbite.services.signals import get_privacy
from soundbite.store.db import get_or_not_found
from soundbite.store.models import Episode

NOT_KEPT_DNT = "your browser asks not to be tracked (DNT or Sec-GPC): nothing was kept"
NOT_KEPT_PAUSED = "your listening history is paused: nothing was kept"
NOT_KEPT_OFF = "analytics are off on this server: nothing was kept"


@dataclass(frozen=True, slots=True)
class Intake:
    kept: bool
    hearings: int  # bucket hearings kept
    reason: str | None = None  # why nothing was kept


def accept(
    ctx: Context,
    sink: EventSink,
    user: Account,
    episode_id: int,
    heard: Sequence[int],
    *,
    do_not_track: bool,
) -> Intake:
    place = access.readable_episode(ctx, user, episode_id)
    with ctx.db.read() as s:
        duration = get_or_not_found(s, Episode, episode_id, "episode").duration_ms
    times = curves.check_batch(heard, duration)
    if not sink.enabled:
        return Intake(False, 0, NOT_KEPT_OFF)
    if do_not_track:
        return Intake(False, 0, NOT_KEPT_DNT)
    if get_privacy(ctx, user).history_paused:
        return Intake(False, 0, NOT_KEPT_PAUSED)
    if times:
        sink.add(RawHearings(datetime.now(UTC), user.id, place.podcast_id, episode_id, dict(times)))
    return Intake(True, sum(times.values()))
