"""The access rules of ``domain/access.py`` as SQL, and the reads every check starts from.

Nothing here decides who may do what: ``podcast_where`` renders a ``ListScope`` the domain
chose, the lookups answer which podcast (and visibility) a row belongs to, and ``require_*``
turn the domain's answers into the errors callers see (404 where a 403 would leak that a
private thing exists). Services, clips and search all import this module, which is why it lives
below them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from soundbite.domain import access
from soundbite.domain.access import ListScope, Viewer
from soundbite.errors import AuthRequired, Forbidden, NotFound
from soundbite.store.models import Episode, Job, Podcast


def podcast_where(scope: ListScope) -> ColumnElement[bool]:
    """A condition on ``Podcast`` (joined in the query) that keeps the scope's podcasts."""
    if scope.everything:
        return true()
    kept = Podcast.visibility.in_(sorted(scope.visibilities))
    if scope.also:
        return or_(kept, Podcast.id.in_(sorted(scope.also)))
    return kept


def podcast_ids(s: Session, scope: ListScope) -> tuple[int, ...] | None:
    """The scope's podcast ids, or None for every podcast (for queries written as SQL text)."""
    if scope.everything:
        return None
    return tuple(s.scalars(select(Podcast.id).where(podcast_where(scope)).order_by(Podcast.id)))


def podcast_visibility(s: Session, podcast_id: int) -> str:
    visibility = s.scalar(select(Podcast.visibility).where(Podcast.id == podcast_id))
    if visibility is None:
        raise NotFound(f"no podcast {podcast_id}")
    return visibility


def episode_podcast(s: Session, episode_id: int) -> tuple[int, str]:
    """(podcast id, its visibility) of an episode; NotFound if there is no such episode."""
    row = s.execute(
        select(Podcast.id, Podcast.visibility)
        .join(Episode, Episode.podcast_id == Podcast.id)
        .where(Episode.id == episode_id)
    ).first()
    if row is None:
        raise NotFound(f"no episode {episode_id}")
    return row[0], row[1]


def job_podcast(s: Session, job_id: int) -> tuple[int, str]:
    row = s.execute(
        select(Podcast.id, Podcast.visibility)
        .join(Episode, Episode.podcast_id == Podcast.id)
        .join(Job, Job.episode_id == Episode.id)
        .where(Job.id == job_id)
    ).first()
    if row is None:
        raise NotFound(f"no job {job_id}")
    return row[0], row[1]


def media_podcasts(s: Session, sha256: str) -> list[tuple[int, str]]:
    """(podcast id, visibility) of every podcast with an episode made of this media file."""
    rows = s.execute(
        select(Podcast.id, Podcast.visibility)
        .join(Episode, Episode.podcast_id == Podcast.id)
        .where(Episode.media_sha256 == sha256)
        .distinct()
    )
    return [(pid, vis) for pid, vis in rows]


def require_read(viewer: Viewer, podcast_id: int, visibility: str, missing: str) -> None:
    """NotFound(`missing`) unless `viewer` may read the podcast: the same answer as for a row
    that does not exist."""
    if not access.may_read(viewer, visibility, podcast_id):
        raise NotFound(missing)


def require_edit(viewer: Viewer, podcast_id: int, visibility: str, missing: str) -> None:
    """Whoever may read it learns that they may not change it (403); anyone else, that
    there is no such thing (404)."""
    require_read(viewer, podcast_id, visibility, missing)
    if viewer is None:
        raise AuthRequired("sign in first")
    if not access.may_edit(viewer, podcast_id):
        raise Forbidden("only an admin or this podcast's creators may change it")
