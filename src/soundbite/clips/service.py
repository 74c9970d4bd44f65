"""Creating, reading, changing and deleting clips: the rules between the store and callers.

Creating a clip is a row insert: the span is checked and snapped against the few transcript
segments around it (never the whole transcript: a 3-hour episode has 30,000 words), and the
answer is complete at once. Audio is rendered later, on first need (``clips/renders.py``).

Who sees what:

- ``public`` clips are listed and open to anyone with the link;
- ``unlisted`` clips open to anyone with the link but are never listed, except to their owner
  in "your clips";
- ``private`` clips exist only for their owner: to anyone else they are 404, exactly like a
  clip that does not exist, so a share id cannot be probed.

Public and unlisted clips can be changed by their owner and, for moderation, by an admin;
private ones only by their owner.

A clip is readable whatever its podcast's visibility (a public clip of a members-only podcast
is the excerpt that leads people to it), but clips are listed only from podcasts listed for the
caller, and making a clip needs an episode the caller may read (``domain/access.py``).

A *draft* (what Mark saves, ``services/drafts.py``) is a private clip with ``draft`` set: it
waits in its owner's Drafts, never in "your clips" or any list, until it is shared (given a
visibility other than private, or ``draft: false``).

A clip a moderator hid (``services/moderation.py``) is gone for everyone, its owner included:
reading it raises ``Gone`` (410) and no list shows it. Its owner may still delete it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import Session

from soundbite.clips.spans import SHARE_ID_BITS, place, segments_near
from soundbite.context import Context
from soundbite.domain import access
from soundbite.domain import clips as rules
from soundbite.domain.accounts import Account
from soundbite.domain.secrets import random_id
from soundbite.domain.transcript import Word
from soundbite.errors import Forbidden, Gone, InvalidInput, NotFound
from soundbite.insight.llm import LLMWriter, llm_options
from soundbite.store import access as places
from soundbite.store.base import as_utc, utcnow
from soundbite.store.clip_models import Clip, ClipEvent
from soundbite.store.models import Episode, Podcast, User


@dataclass(frozen=True, slots=True)
class ClipView:
    """A clip with what every page and response shows next to it (one query)."""

    id: int
    share_id: str
    episode_id: int
    owner_id: int
    start_ms: int
    end_ms: int
    title: str
    note: str | None
    visibility: str
    source: str
    snap: str
    draft: bool
    text: str | None
    created_at: datetime
    updated_at: datetime
    hidden_at: datetime | None
    episode_title: str
    episode_duration_ms: int | None
    media_sha256: str | None
    podcast_id: int
    podcast_title: str
    artwork_url: str | None
    owner_name: str

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def listed(self) -> bool:
        return self.visibility == "public"


_CLIP_FIELDS = (
    "id",
    "share_id",
    "episode_id",
    "owner_id",
    "start_ms",
    "end_ms",
    "title",
    "note",
    "visibility",
    "source",
    "snap",
    "draft",
    "text",
    "created_at",
    "updated_at",
    "hidden_at",
)


@dataclass(frozen=True, slots=True)
class ClipPage:
    items: list[ClipView]
    total: int


# Columns, not ORM entities: a share page is one of these per request, and loading whole rows
# (descriptions included) into the identity map cost several times more than the query.
_COLUMNS = (
    *(getattr(Clip, name) for name in _CLIP_FIELDS),
    Episode.title.label("episode_title"),
    Episode.duration_ms.label("episode_duration_ms"),
    Episode.media_sha256,
    Podcast.id.label("podcast_id"),
    Podcast.title.label("podcast_title"),
    func.coalesce(Episode.artwork_url, Podcast.artwork_url).label("artwork_url"),
    User.username.label("owner_name"),
)


@cache
def _query() -> Select[Any]:
    """Built once: statements are immutable, and building this one costs more than running it."""
    return (
        select(*_COLUMNS)
        .join(Episode, Episode.id == Clip.episode_id)
        .join(Podcast, Podcast.id == Episode.podcast_id)
        .join(User, User.id == Clip.owner_id)
    )


def _view(row: Row[Any]) -> ClipView:
    values = row._asdict()
    values["created_at"] = as_utc(values["created_at"])
    values["updated_at"] = as_utc(values["updated_at"])
    if values["hidden_at"] is not None:
        values["hidden_at"] = as_utc(values["hidden_at"])
    return ClipView(**values)


def create_clip(
    app: Context,
    owner: Account,
    *,
    episode_id: int,
    start_ms: int,
    end_ms: int,
    snap: rules.Snap = "word",
    title: str | None = None,
    note: str | None = None,
    visibility: rules.Visibility = "public",
    source: rules.Source = "listener",
    draft: bool = False,
) -> ClipView:
    """Insert a clip and return it complete; nothing is rendered here."""
    max_ms = app.settings.clip_max_seconds * 1000
    if not (title and title.strip()):
        title = _suggested_title(app, owner, episode_id, start_ms, end_ms, snap)
    with app.db.write() as s:
        episode = _clippable_episode(s, owner, episode_id)
        if source == "creator" and not access.may_edit(owner, episode.podcast_id):
            raise Forbidden("only an admin or the podcast's creators can make creator clips")
        snapped, transcribed = place(s, episode, start_ms, end_ms, snap, max_ms=max_ms)
        clip = Clip(
            share_id=random_id(SHARE_ID_BITS),
            episode_id=episode_id,
            owner_id=owner.id,
            start_ms=snapped.start_ms,
            end_ms=snapped.end_ms,
            title=_title(title, snapped.words, episode.title, snapped.start_ms),
            note=_note(note),
            visibility=visibility,
            source=source,
            snap=snap,
            draft=draft,
            text=snapped.text if transcribed else None,
        )
        share_id = add_clip(s, clip).share_id
    return get_clip(app, share_id, owner)


def place_span(
    app: Context,
    viewer: Account,
    *,
    episode_id: int,
    start_ms: int,
    end_ms: int,
    snap: rules.Snap = "word",
) -> tuple[rules.Snapped, bool]:
    """The span a clip of these edges would get, without making it: (the snapped span,
    whether a transcript exists). The clip editor previews this, so that what a listener
    hears before creating is what the clip holds (its edges may move to a pause)."""
    with app.db.read() as s:
        episode = _clippable_episode(s, viewer, episode_id)
        return place(
            s, episode, start_ms, end_ms, snap, max_ms=app.settings.clip_max_seconds * 1000
        )


def _clippable_episode(s: Session, viewer: Account, episode_id: int) -> Episode:
    """The episode, if `viewer` may read it (else NotFound: its existence must not leak)."""
    missing = f"no episode {episode_id}"
    found = s.execute(
        select(Episode, Podcast.visibility)
        .join(Podcast, Podcast.id == Episode.podcast_id)
        .where(Episode.id == episode_id)
    ).first()
    if found is None:
        raise NotFound(missing)
    episode, podcast_visibility = found
    places.require_read(viewer, episode.podcast_id, podcast_visibility, missing)
    return episode


def add_clip(s: Session, clip: Clip) -> Clip:
    """Insert a new clip with its "created" event (the stats count clips made per day)."""
    s.add(clip)
    s.flush()
    s.add(ClipEvent(clip_id=clip.id, kind="created", day=utcnow().date()))
    return clip


CLIP_TITLE_TIMEOUT_S = 8.0  # someone is waiting on the create: less than an analysis call


def _suggested_title(
    app: Context, owner: Account, episode_id: int, start_ms: int, end_ms: int, snap: rules.Snap
) -> str | None:
    """A title the configured language model writes from the clip's words, or None (no model,
    no transcript yet, or no usable answer: the clip's first words are its title then).
    Asked before the write transaction, which must not wait on a model."""
    options = llm_options(app.settings)
    if options is None:
        return None
    snapped, transcribed = place_span(
        app, owner, episode_id=episode_id, start_ms=start_ms, end_ms=end_ms, snap=snap
    )
    if not transcribed or not snapped.text:
        return None
    quick = replace(options, timeout_s=min(options.timeout_s, CLIP_TITLE_TIMEOUT_S))
    with LLMWriter(quick) as writer:
        return writer.clip_title(snapped.text)


def _title(given: str | None, words: Sequence[Word], episode_title: str, start_ms: int) -> str:
    if given and given.strip():
        return rules.clamp_title(given)
    return rules.clamp_title(
        rules.default_title(words) or f"{episode_title} at {rules.clock(start_ms)}"
    )


def _note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > rules.NOTE_MAX_CHARS:
        raise InvalidInput(f"a note is at most {rules.NOTE_MAX_CHARS} characters")
    return note or None


def get_clip(
    app: Context, share_id: str, viewer: Account | None, *, include_hidden: bool = False
) -> ClipView:
    """The clip, or NotFound if there is none or `viewer` may not see it (private), or Gone
    if a moderator hid it (unless `include_hidden`: moderation and deletion)."""
    with app.db.read() as s:
        row = s.execute(_query().where(Clip.share_id == share_id)).first()
        view = _view(row) if row is not None else None
    if view is None or (
        view.visibility == "private" and (viewer is None or viewer.id != view.owner_id)
    ):
        raise NotFound("no such clip")
    if view.hidden_at is not None and not include_hidden:
        raise Gone("this clip was removed by a moderator")
    if view.text is None:  # made before its episode was transcribed (or still being)
        with app.db.read() as s:
            text = _text_of(s, view.episode_id, view.start_ms, view.end_ms, view.end_ms)
        view = replace(view, text=text)
    return view


def _text_of(
    s: Session, episode_id: int, start_ms: int, end_ms: int, episode_ms: int
) -> str | None:
    segments = segments_near(s, episode_id, start_ms, end_ms)
    if segments is None:
        return None
    span = rules.Span(start_ms, end_ms)
    return rules.snap(span, segments, "none", episode_ms=episode_ms, max_ms=episode_ms).text


def fill_clip_texts(app: Context, episode_id: int) -> int:
    """Store the words of the episode's clips that were made before it was transcribed (the
    analyze stage calls this once the transcript is whole); returns how many it filled."""
    with app.db.write() as s:
        episode_ms = s.scalar(select(Episode.duration_ms).where(Episode.id == episode_id))
        clips = s.scalars(
            select(Clip).where(Clip.episode_id == episode_id, Clip.text.is_(None))
        ).all()
        for clip in clips:
            clip.text = _text_of(
                s, episode_id, clip.start_ms, clip.end_ms, episode_ms or clip.end_ms
            )
    return len(clips)


def can_edit(user: Account, view: ClipView) -> bool:
    if view.visibility == "private":
        return user.id == view.owner_id
    return user.id == view.owner_id or user.is_admin


def update_clip(app: Context, share_id: str, user: Account, changes: dict[str, object]) -> ClipView:
    """Apply the fields present in `changes`; a new span is checked and snapped again."""
    view = get_clip(app, share_id, user)
    if not can_edit(user, view):
        raise Forbidden("this clip belongs to another account")
    with app.db.write() as s:
        clip = s.get_one(Clip, view.id)
        retitle = False
        if {"start_ms", "end_ms", "snap"} & changes.keys():
            episode = s.get_one(Episode, clip.episode_id)
            max_ms = app.settings.clip_max_seconds * 1000
            # a title nobody typed (a Mark's, made from its first words) follows the new
            # words; one the editor merely sent back unchanged is not a choice either
            was_made, _ = place(s, episode, clip.start_ms, clip.end_ms, "word", max_ms=max_ms)
            made_title = _title(None, was_made.words, episode.title, clip.start_ms)
            retitle = clip.title == made_title and changes.get("title") in (None, clip.title)
            snap = changes.get("snap", clip.snap)
            snapped, transcribed = place(
                s,
                episode,
                int(changes.get("start_ms", clip.start_ms)),  # type: ignore[call-overload]
                int(changes.get("end_ms", clip.end_ms)),  # type: ignore[call-overload]
                snap,  # type: ignore[arg-type]
                max_ms=max_ms,
            )
            clip.start_ms, clip.end_ms, clip.snap = snapped.start_ms, snapped.end_ms, str(snap)
            clip.text = snapped.text if transcribed else None
            if retitle:
                clip.title = _title(None, snapped.words, episode.title, snapped.start_ms)
        if "title" in changes and not retitle:
            title = changes["title"]
            clip.title = rules.clamp_title(str(title)) if title else clip.title
        if "note" in changes:
            clip.note = _note(str(changes["note"]) if changes["note"] else None)
        if "visibility" in changes:
            clip.visibility = str(changes["visibility"])
            if clip.visibility != "private":
                clip.draft = False  # giving a draft an audience is sharing it
        if changes.get("draft") is False:
            clip.draft = False
        elif changes.get("draft") is True and not clip.draft:
            raise InvalidInput("a shared clip cannot become a draft again")
        clip.updated_at = utcnow()
    return get_clip(app, share_id, user)


def delete_clip(app: Context, share_id: str, user: Account) -> None:
    """Delete the clip and its events. Renders stay: other clips of the same span share them."""
    view = get_clip(app, share_id, user, include_hidden=True)
    if not can_edit(user, view):
        raise Forbidden("this clip belongs to another account")
    with app.db.write() as s:
        clip = s.get(Clip, view.id)
        if clip is not None:
            s.delete(clip)


def list_clips(
    app: Context,
    viewer: Account | None,
    *,
    episode_id: int | None = None,
    podcast_id: int | None = None,
    mine: bool = False,
    visibility: str | None = None,
    source: str | None = None,
    drafts: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> ClipPage:
    """Newest first. Without `mine` only public clips are listed; unlisted and private ones
    appear only in their owner's own list. Drafts are listed only with `mine` and `drafts`
    (and then only drafts). Hidden clips are never listed. One episode's public clips are
    listed to whoever may read it, and so are one podcast's (its settings page previews the
    brand on one); otherwise only clips from podcasts listed for `viewer`."""
    if drafts and not mine:
        raise InvalidInput("drafts are only ever listed to their owner: add mine=true")
    where: list[ColumnElement[bool]] = [Clip.draft == drafts, Clip.hidden_at.is_(None)]
    if episode_id is not None:
        with app.db.read() as s:
            of_podcast, podcast_visibility = places.episode_podcast(s, episode_id)
        places.require_read(viewer, of_podcast, podcast_visibility, f"no episode {episode_id}")
    if podcast_id is not None:
        with app.db.read() as s:
            podcast_visibility = places.podcast_visibility(s, podcast_id)
        places.require_read(viewer, podcast_id, podcast_visibility, f"no podcast {podcast_id}")
        where.append(Episode.podcast_id == podcast_id)
    if episode_id is None and podcast_id is None and not mine:
        where.append(places.podcast_where(access.list_scope(viewer)))
    if mine:
        if viewer is None:
            raise InvalidInput("sign in to list your own clips")
        where.append(Clip.owner_id == viewer.id)
        if visibility:
            where.append(Clip.visibility == visibility)
    else:
        if visibility not in (None, "public"):
            raise InvalidInput(
                f"{visibility} clips are never listed, except your own: add mine=true"
            )
        where.append(Clip.visibility == "public")
    if episode_id is not None:
        where.append(Clip.episode_id == episode_id)
    if source:
        where.append(Clip.source == source)
    with app.db.read() as s:
        total = (
            s.scalar(
                select(func.count())
                .select_from(Clip)
                .join(Episode, Episode.id == Clip.episode_id)
                .join(Podcast, Podcast.id == Episode.podcast_id)
                .where(*where)
            )
            or 0
        )
        rows = s.execute(
            _query()
            .where(*where)
            .order_by(Clip.created_at.desc(), Clip.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return ClipPage([_view(r) for r in rows], total)


def episode_clips(app: Context, episode_id: int, *, limit: int) -> list[ClipView]:
    """The first public clips of an episode, in the order they occur in it, for its public
    page. Read along the (episode, start) index and never counted, so a page costs the same
    whether the episode has ten clips or a hundred thousand."""
    with app.db.read() as s:
        rows = s.execute(
            _query()
            .where(
                Clip.episode_id == episode_id,
                Clip.visibility == "public",
                Clip.hidden_at.is_(None),
            )
            .order_by(Clip.start_ms, Clip.id)
            .limit(limit)
        ).all()
        return [_view(r) for r in rows]


def clips_by_id(app: Context, ids: Sequence[int]) -> dict[int, ClipView]:
    """Clips whatever their visibility, hidden ones too: for moderation, which decides itself
    who may see them (services/moderation.py)."""
    if not ids:
        return {}
    with app.db.read() as s:
        rows = s.execute(_query().where(Clip.id.in_(set(ids)))).all()
    return {view.id: view for view in map(_view, rows)}


def clip_by_share_id(app: Context, share_id: str) -> ClipView:
    """As ``clips_by_id``, by share id; NotFound if there is none."""
    with app.db.read() as s:
        row = s.execute(_query().where(Clip.share_id == share_id)).first()
    if row is None:
        raise NotFound("no such clip")
    return _view(row)
