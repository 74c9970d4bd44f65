"""Podcasting 2.0 soundbites from feeds become creator clips (``clips/export.py`` writes
them back out).

A ``<podcast:soundbite>`` in a feed is the creator saying "share this moment", so it gets
what every clip has (a share page, audio, a card), owned by the podcast's owner with source
``creator``. They are made when a feed is stored (``services/library.py``) and, for a library
older than clips, when ``soundbite serve`` starts; never while clips are listed, since reads
do not write. One anti-join finds the missing ones; the unique ``feed_soundbite_id`` makes a
race between two processes harmless. The
creator's times are kept as they are (no snapping: they chose them), only clamped to the
episode and the length limits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from soundbite.clips.service import add_clip
from soundbite.clips.spans import SHARE_ID_BITS, segments_near
from soundbite.context import Context
from soundbite.domain import clips as rules
from soundbite.domain.secrets import random_id
from soundbite.store.clip_models import Clip
from soundbite.store.models import Episode, FeedSoundbite, Podcast


def materialise_soundbites(app: Context, episode_id: int | None = None) -> int:
    """Make a creator clip for every feed soundbite that has none yet; returns how many."""
    query = (
        select(FeedSoundbite, Episode, Podcast.owner_id)
        .join(Episode, Episode.id == FeedSoundbite.episode_id)
        .join(Podcast, Podcast.id == Episode.podcast_id)
        .where(~select(Clip.id).where(Clip.feed_soundbite_id == FeedSoundbite.id).exists())
    )
    if episode_id is not None:
        query = query.where(FeedSoundbite.episode_id == episode_id)
    with app.db.read() as s:
        missing = s.execute(query).all()
    made = 0
    for bite, episode, owner_id in missing:
        try:
            made += _materialise(app, bite, episode, owner_id)
        except IntegrityError:
            continue  # another request made it a moment ago
    return made


def _materialise(app: Context, bite: FeedSoundbite, episode: Episode, owner_id: int) -> int:
    duration = episode.duration_ms
    start = max(bite.start_ms, 0)
    end = start + min(bite.duration_ms, app.settings.clip_max_seconds * 1000)
    if duration is not None:
        end = min(end, duration)
    if end - start < rules.MIN_CLIP_MS:
        return 0  # outside the episode or too short to be a clip: nothing to share
    with app.db.write() as s:
        segments = segments_near(s, episode.id, start, end)
        snapped = rules.snap(
            rules.Span(start, end), segments or [], "none", episode_ms=end, max_ms=end - start
        )
        title = bite.title.strip() or rules.default_title(snapped.words)
        clip = Clip(
            share_id=random_id(SHARE_ID_BITS),
            episode_id=episode.id,
            owner_id=owner_id,
            start_ms=start,
            end_ms=end,
            title=rules.clamp_title(title or f"{episode.title} at {rules.clock(start)}"),
            visibility="public",
            source="creator",
            snap="none",
            text=snapped.text if segments is not None else None,
            feed_soundbite_id=bite.id,
        )
        add_clip(s, clip)
    return 1
