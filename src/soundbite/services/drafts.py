"""Mark: one tap saves the last moments heard as a draft clip, to refine or share later.

A draft is an ordinary clip row with ``draft`` set and ``private`` visibility, so every rule
about private clips holds for it without a second code path: to anyone but its owner it is
404 (API, share page, audio, card, captions, oEmbed), and no list shows it. Sharing it is
giving it a visibility (``PATCH /api/clips/{id}``), which takes it out of Drafts.

The span is the listener's Mark length (their setting, 5-120 s) ending at the playhead, its
edges then widened to whole sentences when the episode has a transcript (``domain/clips.py``
snap ``sentence``), so a draft starts and ends where someone starts and stops saying
something. Without a transcript it is cut at exactly those times.
"""

from __future__ import annotations

from soundbite.clips import service as clips
from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.domain.clips import MIN_CLIP_MS
from soundbite.errors import InvalidInput
from soundbite.services import access, signals
from soundbite.services.episodes import episode_row
from soundbite.services.listening import MARK_SECONDS_MAX, MARK_SECONDS_MIN, get_prefs


def mark(
    app: Context, user: Account, episode_id: int, at_ms: int, *, seconds: int | None = None
) -> clips.ClipView:
    """Save a draft of the `seconds` (default: the listener's setting) before `at_ms`."""
    if seconds is not None and not MARK_SECONDS_MIN <= seconds <= MARK_SECONDS_MAX:
        raise InvalidInput(f"a Mark is {MARK_SECONDS_MIN} to {MARK_SECONDS_MAX} seconds long")
    if at_ms < 0:
        raise InvalidInput("at_ms cannot be negative")
    # before anything about the episode (its duration) is told: unreadable is 404, as absent
    access.readable_episode(app, user, episode_id)
    length_ms = (seconds or get_prefs(app, user).mark_seconds) * 1000
    length_ms = min(length_ms, app.settings.clip_max_seconds * 1000)
    duration = episode_row(app, episode_id).duration_ms
    if duration is None:
        raise InvalidInput(
            f"episode {episode_id} has no known duration yet: mark it once it is processed"
        )
    end = min(at_ms, duration)
    start = max(0, end - length_ms)
    if end - start < MIN_CLIP_MS:  # marked in the first second: keep the first moments
        end = min(duration, start + MIN_CLIP_MS)
    view = clips.create_clip(
        app,
        user,
        episode_id=episode_id,
        start_ms=start,
        end_ms=end,
        snap="sentence",
        visibility="private",
        draft=True,
    )
    signals.note_clip(app, user, view.id, episode_id, made=True)
    return view


def list_drafts(app: Context, user: Account, *, limit: int = 50, offset: int = 0) -> clips.ClipPage:
    return clips.list_clips(app, user, mine=True, drafts=True, limit=limit, offset=offset)
