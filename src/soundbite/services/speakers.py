"""Naming an episode's speakers: "Speaker 1" becomes "Ada", once, everywhere.

Diarization (speech/diarize.py) and the two-channel path label voices by number; the feed's
podcast:person tags say who was on the show but not which voice is whose, so a creator says it
once. The new name is written into the transcript's rows, so everything that reads them (the
transcript, clip text made from now on, share and episode pages, search's ``speaker:`` filter,
video captions) shows it with no second lookup. Clips already made keep their text as it was
written, except for the "Speaker 1: " labels in it, which are renamed too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain.accounts import Account
from soundbite.errors import InvalidInput, NotFound
from soundbite.services.access import editable_episode
from soundbite.store.clip_models import Clip
from soundbite.store.models import Transcript, TranscriptSegment
from soundbite.store.transcripts import speakers_in

MAX_NAME = 100  # transcript_segments.speaker is VARCHAR(100)
MAX_RENAMES = 50
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_name(raw: str) -> str:
    """A speaker's name as it will be shown; InvalidInput saying what is wrong with it."""
    # whitespace (a tab, a newline) is tidied to one space below; other control and format
    # characters (NUL, a right-to-left override) would only disguise a name
    if any(unicodedata.category(c) in _HIDDEN and not c.isspace() for c in raw):
        raise InvalidInput("a speaker's name cannot contain control or invisible characters")
    name = " ".join(raw.split())
    if not name:
        raise InvalidInput("a speaker's name cannot be empty")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a speaker's name can be at most {MAX_NAME} characters")
    return name


def rename_speakers(
    ctx: Context, user: Account, episode_id: int, names: Mapping[str, str]
) -> list[str]:
    """Rename speakers, {"Speaker 1": "Ada"}; all at once, so {"A": "B", "B": "A"} swaps them.
    Two speakers may get one name (diarization split one voice in two). Only an admin or one of
    the podcast's creators may. Returns the episode's speakers afterwards."""
    editable_episode(ctx, user, episode_id)
    if not names:
        raise InvalidInput('say which speaker to rename, e.g. {"Speaker 1": "Ada"}')
    if len(names) > MAX_RENAMES:
        raise InvalidInput(f"at most {MAX_RENAMES} speakers can be renamed at once")
    renames = {old: clean_name(new) for old, new in names.items()}
    with ctx.db.write() as s:
        transcript_id = s.scalar(select(Transcript.id).where(Transcript.episode_id == episode_id))
        if transcript_id is None:
            raise NotFound(f"episode {episode_id} has no transcript yet")
        present = set(speakers_in(s, episode_id))
        unknown = [old for old in renames if old not in present]
        if unknown:
            known = ", ".join(sorted(present)) or "none"
            raise InvalidInput(f"no speaker {unknown[0]!r} in this transcript (speakers: {known})")
        renames = {old: new for old, new in renames.items() if old != new}
        if renames:
            s.execute(
                update(TranscriptSegment)
                .where(
                    TranscriptSegment.transcript_id == transcript_id,
                    TranscriptSegment.speaker.in_(renames),
                )
                .values(speaker=case(renames, value=TranscriptSegment.speaker))
            )
            _rename_in_clips(s, episode_id, renames)
        return speakers_in(s, episode_id)


def _rename_in_clips(s: Session, episode_id: int, renames: Mapping[str, str]) -> None:
    """The "Speaker 1: " labels clip text carries (domain/clips.py), in one pass so swaps work."""
    label = re.compile(
        r"(^|(?<= ))(" + "|".join(re.escape(old) for old in renames) + r"): ", re.MULTILINE
    )
    for clip in s.scalars(select(Clip).where(Clip.episode_id == episode_id, Clip.text.isnot(None))):
        text = clip.text or ""
        renamed = label.sub(lambda m: f"{m.group(1)}{renames[m.group(2)]}: ", text)
        if renamed != text:
            clip.text = renamed
