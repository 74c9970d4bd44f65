"""Checks against the access rules (``domain/access.py``) for callers holding an id, and the
admin's controls: a podcast's visibility and its creators.

Each ``readable_*`` / ``editable_*`` answers the podcast a row belongs to (and its visibility)
or raises: NotFound for whoever may not read it, Forbidden for a reader who may not change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from soundbite.context import Context
from soundbite.domain import access
from soundbite.domain.accounts import Account, Visibility
from soundbite.errors import Forbidden, InvalidInput, NotFound
from soundbite.store import access as rows
from soundbite.store.access import require_edit, require_read
from soundbite.store.models import Podcast, PodcastCreator, User

Viewer = Account | None


@dataclass(frozen=True, slots=True)
class Place:
    """The podcast a row belongs to, and who may see it."""

    podcast_id: int
    visibility: str

    @property
    def cacheable(self) -> bool:
        return access.cacheable(self.visibility)


def readable_podcast(ctx: Context, viewer: Viewer, podcast_id: int) -> Place:
    with ctx.db.read() as s:
        visibility = rows.podcast_visibility(s, podcast_id)
    require_read(viewer, podcast_id, visibility, f"no podcast {podcast_id}")
    return Place(podcast_id, visibility)


def editable_podcast(ctx: Context, viewer: Viewer, podcast_id: int) -> Place:
    with ctx.db.read() as s:
        visibility = rows.podcast_visibility(s, podcast_id)
    require_edit(viewer, podcast_id, visibility, f"no podcast {podcast_id}")
    return Place(podcast_id, visibility)


def readable_episode(ctx: Context, viewer: Viewer, episode_id: int) -> Place:
    with ctx.db.read() as s:
        place = Place(*rows.episode_podcast(s, episode_id))
    require_read(viewer, place.podcast_id, place.visibility, f"no episode {episode_id}")
    return place


def editable_episode(ctx: Context, viewer: Viewer, episode_id: int) -> Place:
    with ctx.db.read() as s:
        place = Place(*rows.episode_podcast(s, episode_id))
    require_edit(viewer, place.podcast_id, place.visibility, f"no episode {episode_id}")
    return place


def editable_job(ctx: Context, viewer: Viewer, job_id: int) -> Place:
    with ctx.db.read() as s:
        place = Place(*rows.job_podcast(s, job_id))
    require_edit(viewer, place.podcast_id, place.visibility, f"no job {job_id}")
    return place


def readable_media(ctx: Context, viewer: Viewer, sha256: str) -> bool:
    """Whether `viewer` may fetch this media file (some episode of it is readable); NotFound
    if not. Answers whether shared caches may keep it (an episode of it is not private).

    A file no episode uses any more is for signed-in accounts only."""
    with ctx.db.read() as s:
        places = rows.media_podcasts(s, sha256)
    if not places:
        if viewer is None:
            raise NotFound(f"no media file {sha256}")
        return False
    if not any(access.may_read(viewer, vis, pid) for pid, vis in places):
        raise NotFound(f"no media file {sha256}")
    return any(access.cacheable(vis) for _, vis in places)


def require_add_podcast(viewer: Account) -> None:
    if not access.may_add_podcast(viewer):
        raise Forbidden("only an admin may add podcasts (a feed, or uploads into a new podcast)")


def require_may_upload(viewer: Account) -> None:
    """Whether `viewer` may upload at all: admins, and creators (into their podcasts)."""
    if not (viewer.is_admin or viewer.creator_of):
        raise Forbidden("only admins and podcast creators may upload episodes")


def analytics_podcast(viewer: Account, podcast_id: int | None) -> int | None:
    """The podcast whose figures `viewer` may see (None: the whole instance, admins only).

    `podcast_id` is the podcast of what was asked for (checked readable by the caller);
    a creator who names nothing gets their podcast when they create for exactly one."""
    if podcast_id is None:
        if viewer.is_admin:
            return None
        if len(viewer.creator_of) == 1:
            return next(iter(viewer.creator_of))
        if viewer.creator_of:
            ids = ", ".join(str(i) for i in sorted(viewer.creator_of))
            raise InvalidInput(f"name one of your podcasts with podcast_id ({ids})")
        raise Forbidden("analytics are for admins and a podcast's creators")
    if not access.may_edit(viewer, podcast_id):
        raise Forbidden("analytics are for admins and this podcast's creators")
    return podcast_id


# the admin's controls


def set_visibility(ctx: Context, viewer: Account, podcast_id: int, visibility: str) -> Place:
    try:
        chosen = Visibility(visibility)
    except ValueError:
        raise InvalidInput("visibility is one of public, unlisted, private") from None
    place = readable_podcast(ctx, viewer, podcast_id)
    if not access.may_set_visibility(viewer):
        raise Forbidden("only an admin may change who can see a podcast")
    with ctx.db.write() as s:
        s.get_one(Podcast, podcast_id).visibility = chosen.value
    return Place(place.podcast_id, chosen.value)


def set_creator(ctx: Context, admin: Account, podcast_id: int, username: str, on: bool) -> bool:
    """Make `username` a creator of the podcast (or stop it); answers whether anything
    changed. Idempotent: PUT twice or DELETE what is not there is not an error."""
    if not admin.is_admin:
        raise Forbidden("only an admin may choose a podcast's creators")
    with ctx.db.write() as s:
        rows.podcast_visibility(s, podcast_id)  # NotFound for a podcast that does not exist
        user_id = s.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(f"no user named {username!r}")
        known = s.get(PodcastCreator, (podcast_id, user_id))
        if on and known is None:
            s.add(PodcastCreator(podcast_id=podcast_id, user_id=user_id))
            return True
        if not on and known is not None:
            s.execute(
                delete(PodcastCreator).where(
                    PodcastCreator.podcast_id == podcast_id, PodcastCreator.user_id == user_id
                )
            )
            return True
    return False


def creators_of(ctx: Context, podcast_id: int) -> list[str]:
    with ctx.db.read() as s:
        return list(
            s.scalars(
                select(User.username)
                .join(PodcastCreator, PodcastCreator.user_id == User.id)
                .where(PodcastCreator.podcast_id == podcast_id)
                .order_by(User.username)
            )
        )


def anything_listed(ctx: Context, viewer: Viewer) -> bool:
    """Whether any podcast is listed for `viewer` (a signed-out visitor: any public one)."""
    with ctx.db.read() as s:
        found = s.scalar(
            select(Podcast.id).where(rows.podcast_where(access.list_scope(viewer))).limit(1)
        )
    return found is not None
