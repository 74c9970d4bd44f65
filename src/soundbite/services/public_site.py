"""What the public site may show: podcasts marked public or unlisted, their episodes and
transcripts, read for a visitor who may have no account.

The rules are ``domain/access.py``'s, seen by a visitor without an account
(``readable_anonymously`` / ``listed_publicly``): public podcasts are readable by anyone and
listed (index, sitemap); unlisted ones are readable by anyone holding the link and never
listed; private ones only by signed-in members. A private podcast is reported as not found
to anyone else, exactly like one that does not exist, so that its existence does not leak.

Every function returns plain dataclasses; the pages in ``web/pages/public_site.py`` render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.domain import access
from soundbite.domain.accounts import Account
from soundbite.domain.public_pages import Paragraph, episode_path, paragraphs, valid_id
from soundbite.domain.transcript import Segment
from soundbite.errors import NotFound
from soundbite.store import access as places
from soundbite.store.base import as_utc
from soundbite.store.models import Episode, MediaBlob, Podcast, Transcript, TranscriptSegment

# a sitemap file holds at most 50,000 URLs (sitemaps.org); past that we list the newest
SITEMAP_URLS = 50_000


# the podcast id matters to these rules only for a signed-in creator, never for a visitor
_ANY_PODCAST = 0


def readable_anonymously(visibility: str) -> bool:
    """Whether anyone, signed in or not, may read a podcast with this visibility."""
    return access.may_read(None, visibility, _ANY_PODCAST)


def listed_publicly(visibility: str) -> bool:
    """Whether the public index and the sitemap list a podcast with this visibility."""
    return access.may_list(None, visibility, _ANY_PODCAST)


@dataclass(frozen=True, slots=True)
class PublicPodcast:
    id: int
    title: str
    description: str
    link: str | None
    artwork_url: str | None
    author: str | None
    language: str | None
    visibility: str
    episode_count: int
    updated_at: datetime | None  # the newest episode's date, else when it was added

    @property
    def on_public_site(self) -> bool:
        return readable_anonymously(self.visibility)


@dataclass(frozen=True, slots=True)
class PublicEpisode:
    id: int
    podcast_id: int
    title: str
    description: str
    published_at: datetime | None
    duration_ms: int | None
    artwork_url: str | None
    link: str | None
    enclosure_url: str | None
    media_sha256: str | None
    media_type: str | None


def _podcast(p: Podcast, count: int, newest: datetime | None) -> PublicPodcast:
    return PublicPodcast(
        id=p.id,
        title=p.title,
        description=p.description or "",
        link=p.link,
        artwork_url=p.artwork_url,
        author=p.author,
        language=p.language,
        visibility=p.visibility,
        episode_count=count,
        updated_at=as_utc(newest or p.polled_at or p.created_at),
    )


def _episode(e: Episode, podcast: Podcast, media_type: str | None) -> PublicEpisode:
    return PublicEpisode(
        id=e.id,
        podcast_id=e.podcast_id,
        title=e.title,
        description=e.description or "",
        published_at=as_utc(e.published_at) if e.published_at else None,
        duration_ms=e.duration_ms,
        artwork_url=e.artwork_url or podcast.artwork_url,
        link=e.link,
        enclosure_url=e.enclosure_url,
        media_sha256=e.media_sha256,
        media_type=media_type,
    )


def _stats(s: Session, podcast_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    if not podcast_ids:
        return {}
    rows = s.execute(
        select(Episode.podcast_id, func.count(), func.max(Episode.published_at))
        .where(Episode.podcast_id.in_(podcast_ids))
        .group_by(Episode.podcast_id)
    )
    return {pid: (count, newest) for pid, count, newest in rows}


def find_podcast(ctx: Context, podcast_id: int, viewer: Account | None) -> PublicPodcast:
    """The podcast, if this viewer may read it; NotFound otherwise (and for a hostile id).

    A private podcast is returned to members (``on_public_site`` False) so that the page
    can send them to the app's own view of it."""
    if not valid_id(podcast_id):
        raise NotFound(f"no podcast {podcast_id}")
    with ctx.db.read() as s:
        podcast = s.get(Podcast, podcast_id)
        if podcast is None or not access.may_read(viewer, podcast.visibility, podcast.id):
            raise NotFound(f"no podcast {podcast_id}")
        count, newest = _stats(s, [podcast_id]).get(podcast_id, (0, None))
        return _podcast(podcast, count, newest)


def find_episode(
    ctx: Context, podcast_id: int, episode_id: int, viewer: Account | None
) -> tuple[PublicPodcast, PublicEpisode]:
    """The episode and its podcast under the same rule as ``find_podcast``; an episode of
    another podcast than the one in the URL is not found."""
    if not valid_id(episode_id):
        raise NotFound(f"no episode {episode_id}")
    podcast = find_podcast(ctx, podcast_id, viewer)
    with ctx.db.read() as s:
        row = s.execute(
            select(Episode, Podcast, MediaBlob.content_type)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .outerjoin(MediaBlob, MediaBlob.sha256 == Episode.media_sha256)
            .where(Episode.id == episode_id, Episode.podcast_id == podcast_id)
        ).first()
        if row is None:
            raise NotFound(f"no episode {episode_id} in podcast {podcast_id}")
        return podcast, _episode(*row)


def episodes_of(ctx: Context, podcast_id: int, *, limit: int, offset: int) -> list[PublicEpisode]:
    """A page of the podcast's episodes, newest first (the caller has found the podcast)."""
    with ctx.db.read() as s:
        rows = s.execute(
            select(Episode, Podcast, MediaBlob.content_type)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .outerjoin(MediaBlob, MediaBlob.sha256 == Episode.media_sha256)
            .where(Episode.podcast_id == podcast_id)
            .order_by(Episode.published_at.desc().nulls_last(), Episode.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return [_episode(*row) for row in rows]


def listed_podcasts(ctx: Context) -> list[PublicPodcast]:
    """Every public podcast (never an unlisted or private one), by title."""
    with ctx.db.read() as s:
        podcasts = list(
            s.scalars(
                select(Podcast)
                .where(places.podcast_where(access.list_scope(None)))
                .order_by(Podcast.title, Podcast.id)
            )
        )
        stats = _stats(s, [p.id for p in podcasts])
        return [_podcast(p, *stats.get(p.id, (0, None))) for p in podcasts]


@dataclass(frozen=True, slots=True)
class SitemapEpisode:
    id: int
    podcast_id: int
    title: str
    lastmod: datetime | None


def listed_episodes(ctx: Context, limit: int = SITEMAP_URLS) -> list[SitemapEpisode]:
    """Episodes of public podcasts, newest first, for the sitemap."""
    with ctx.db.read() as s:
        rows = s.execute(
            select(Episode.id, Episode.podcast_id, Episode.title, Episode.published_at)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .where(places.podcast_where(access.list_scope(None)))
            .order_by(Episode.published_at.desc().nulls_last(), Episode.id.desc())
            .limit(limit)
        ).all()
    return [
        SitemapEpisode(eid, pid, title, as_utc(published) if published else None)
        for eid, pid, title, published in rows
    ]


def transcript_paragraphs(ctx: Context, episode_id: int) -> list[Paragraph]:
    """The episode's transcript as paragraphs (empty before it is transcribed).

    Reads segment text only: words and their timings are the bulk of a transcript and the
    page does not need them."""
    with ctx.db.read() as s:
        rows = s.execute(
            select(
                TranscriptSegment.start_ms,
                TranscriptSegment.end_ms,
                TranscriptSegment.text,
                TranscriptSegment.speaker,
            )
            .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
            .where(Transcript.episode_id == episode_id)
            .order_by(TranscriptSegment.position)
        ).all()
    return paragraphs([Segment(a, b, text, (), speaker) for a, b, text, speaker in rows])


def public_episode_path(ctx: Context, episode_id: int) -> str | None:
    """The public page of an episode anyone may read, or None if its podcast is private."""
    with ctx.db.read() as s:
        row = s.execute(
            select(Episode.podcast_id, Episode.title, Podcast.visibility)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .where(Episode.id == episode_id)
        ).first()
    if row is None or not readable_anonymously(row.visibility):
        return None
    return episode_path(row.podcast_id, episode_id, row.title)
