"""Read views of the library: rows in, response schemas out.

The API routes and the server-rendered pages show the same things, so both build them here
rather than each querying on its own. Each view is a handful of set-based queries (one for
the jobs of a whole page of episodes, not one per episode), so a page costs the same however
many episodes it lists.

Every read takes the caller (``viewer``, None when signed out) and answers only what they may
read (``domain/access.py``): lists hold the podcasts listed for them, a row by id is NotFound
when they may not read it; writes need an admin or the podcast's creator.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soundbite.context import Context
from soundbite.derived import peaks_key
from soundbite.domain import access as rules
from soundbite.domain.pipeline import episode_status, stages_for
from soundbite.domain.transcript import Transcript as TranscriptText
from soundbite.errors import Conflict, NotFound
from soundbite.services import access
from soundbite.services.accounts import Account
from soundbite.services.schemas import (
    EpisodeDetail,
    EpisodePage,
    EpisodeSummary,
    FeedProblemPublic,
    JobPublic,
    PodcastPublic,
    SoundbitePublic,
)
from soundbite.speech.formats import FORMATS
from soundbite.store.access import podcast_where
from soundbite.store.db import get_or_not_found
from soundbite.store.insight_models import EpisodeSummaryText
from soundbite.store.models import Episode, Job, MediaBlob, Podcast, Transcript
from soundbite.store.transcripts import load_transcript, speakers_in

Viewer = Account | None


def _podcast(podcast: Podcast, episode_count: int, viewer: Viewer) -> PodcastPublic:
    return PodcastPublic(
        id=podcast.id,
        title=podcast.title,
        description=podcast.description,
        feed_url=podcast.feed_url,
        link=podcast.link,
        artwork_url=podcast.artwork_url,
        author=podcast.author,
        language=podcast.language,
        polled_at=podcast.polled_at,
        created_at=podcast.created_at,
        episode_count=episode_count,
        feed_problems=[FeedProblemPublic(**p) for p in podcast.feed_problems or []],
        visibility=podcast.visibility,
        may_edit=rules.may_edit(viewer, podcast.id),
    )


def list_podcasts(ctx: Context, viewer: Viewer) -> list[PodcastPublic]:
    """The podcasts listed for `viewer` (unlisted ones only for their creators and admins)."""
    listed = podcast_where(rules.list_scope(viewer))
    with ctx.db.read() as s:
        counts = dict(
            s.execute(select(Episode.podcast_id, func.count()).group_by(Episode.podcast_id)).all()
        )
        podcasts = s.scalars(select(Podcast).where(listed).order_by(Podcast.title, Podcast.id))
        return [_podcast(p, counts.get(p.id, 0), viewer) for p in podcasts]


def get_podcast(ctx: Context, viewer: Viewer, podcast_id: int) -> PodcastPublic:
    access.readable_podcast(ctx, viewer, podcast_id)
    with ctx.db.read() as s:
        podcast = get_or_not_found(s, Podcast, podcast_id, "podcast")
        count = s.scalar(select(func.count()).where(Episode.podcast_id == podcast_id)) or 0
        return _podcast(podcast, count, viewer)


def _jobs_by_episode(s: Session, episode_ids: Sequence[int]) -> dict[int, list[JobPublic]]:
    jobs: dict[int, list[JobPublic]] = defaultdict(list)
    if episode_ids:
        rows = s.scalars(
            select(Job).where(Job.episode_id.in_(episode_ids)).order_by(Job.step, Job.id)
        )
        for job in rows:
            if job.episode_id is not None:  # always, given the query; mypy cannot know
                jobs[job.episode_id].append(JobPublic.model_validate(job))
    return jobs


def _transcribed(s: Session, episode_ids: Sequence[int]) -> set[int]:
    if not episode_ids:
        return set()
    query = select(Transcript.episode_id).where(Transcript.episode_id.in_(episode_ids))
    return set(s.scalars(query))


def _summary_fields(
    episode: Episode, podcast: Podcast, stages: list[JobPublic], has_transcript: bool
) -> dict[str, object]:
    return {
        "id": episode.id,
        "podcast_id": episode.podcast_id,
        "title": episode.title,
        "published_at": episode.published_at,
        "duration_ms": episode.duration_ms,
        "artwork_url": episode.artwork_url or podcast.artwork_url,
        "status": episode_status([job.state for job in stages]),
        "has_transcript": has_transcript,
        "stages": stages,
    }


def list_episodes(
    ctx: Context, viewer: Viewer, *, podcast_id: int | None, limit: int, offset: int
) -> EpisodePage:
    """Newest first; episodes without a date (rare, from sloppy feeds) go last.

    One podcast's episodes are there for whoever may read it (an unlisted podcast's page);
    without `podcast_id`, the episodes of the podcasts listed for `viewer`."""
    if podcast_id is not None:
        access.readable_podcast(ctx, viewer, podcast_id)
        where = [Episode.podcast_id == podcast_id]
    else:
        where = [podcast_where(rules.list_scope(viewer))]
    with ctx.db.read() as s:
        total = (
            s.scalar(
                select(func.count())
                .select_from(Episode)
                .join(Podcast, Podcast.id == Episode.podcast_id)
                .where(*where)
            )
            or 0
        )
        rows = s.execute(
            select(Episode, Podcast)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .where(*where)
            .order_by(Episode.published_at.desc().nulls_last(), Episode.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        ids = [episode.id for episode, _ in rows]
        jobs, transcribed = _jobs_by_episode(s, ids), _transcribed(s, ids)
        items = [
            EpisodeSummary.model_validate(
                _summary_fields(e, p, jobs.get(e.id, []), e.id in transcribed)
            )
            for e, p in rows
        ]
    return EpisodePage(items=items, total=total, limit=limit, offset=offset)


def get_episode(ctx: Context, viewer: Viewer, episode_id: int) -> EpisodeDetail:
    access.readable_episode(ctx, viewer, episode_id)
    with ctx.db.read() as s:
        episode = get_or_not_found(s, Episode, episode_id, "episode")
        podcast = episode.podcast
        stages = _jobs_by_episode(s, [episode_id]).get(episode_id, [])
        transcript = s.scalars(
            select(Transcript).where(Transcript.episode_id == episode_id)
        ).first()
        soundbites = [SoundbitePublic.model_validate(b) for b in episode.soundbites]
        speakers = speakers_in(s, episode_id) if transcript else []
        summary = s.scalars(
            select(EpisodeSummaryText).where(EpisodeSummaryText.episode_id == episode_id)
        ).first()
    sha = episode.media_sha256
    has_peaks = sha is not None and ctx.storage.exists(peaks_key(sha))
    base = f"/api/episodes/{episode_id}"
    return EpisodeDetail.model_validate(
        {
            **_summary_fields(episode, podcast, stages, transcript is not None),
            "podcast_title": podcast.title,
            "description": episode.description,
            "may_edit": rules.may_edit(viewer, podcast.id),
            "link": episode.link,
            "enclosure_url": episode.enclosure_url,
            "codec": episode.codec,
            "channels": episode.channels,
            "sample_rate": episode.sample_rate,
            "chapters": episode.chapters or [],
            "soundbites": soundbites,
            "media_sha256": sha,
            "audio_url": f"/media/{sha}" if sha else None,
            "has_peaks": has_peaks,
            # the media hash in the URL makes it content-addressed, hence cacheable for good
            "peaks_url": f"{base}/peaks?v={sha[:16]}" if has_peaks and sha else None,
            "transcript_source": transcript.source if transcript else None,
            "transcript_complete": transcript.complete if transcript else None,
            "transcript_urls": (
                {name: f"{base}/transcript?format={name}" for name in FORMATS} if transcript else {}
            ),
            "speakers": speakers,
            "persons": episode.persons or [],
            "summary": summary.text if summary else None,
            "summary_source": summary.source if summary else None,
        }
    )


def podcast_row(ctx: Context, podcast_id: int) -> Podcast:
    """The row itself, for routes that act on it (detached: read its columns only)."""
    with ctx.db.read() as s:
        podcast = get_or_not_found(s, Podcast, podcast_id, "podcast")
        return podcast


def episode_row(ctx: Context, episode_id: int) -> Episode:
    with ctx.db.read() as s:
        episode = get_or_not_found(s, Episode, episode_id, "episode")
        return episode


def list_jobs(
    ctx: Context, viewer: Viewer, *, state: str | None, episode_id: int | None, limit: int
) -> list[JobPublic]:
    """Newest first: one readable episode's jobs, or those of the podcasts listed for
    `viewer` (an episode's stages are part of it anyway)."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Job.state == state)
    if episode_id is not None:
        access.readable_episode(ctx, viewer, episode_id)
        query = query.where(Job.episode_id == episode_id)
    else:
        query = (
            query.join(Episode, Episode.id == Job.episode_id)
            .join(Podcast, Podcast.id == Episode.podcast_id)
            .where(podcast_where(rules.list_scope(viewer)))
        )
    with ctx.db.read() as s:
        return [JobPublic.model_validate(job) for job in s.scalars(query)]


def process_episode(ctx: Context, user: Account, episode_id: int) -> None:
    """Queue the pipeline for an episode nobody has processed yet."""
    access.editable_episode(ctx, user, episode_id)
    episode = episode_row(ctx, episode_id)
    with ctx.db.read() as s:
        has_jobs = s.scalar(select(Job.id).where(Job.episode_id == episode_id).limit(1))
    if has_jobs is not None:
        raise Conflict(
            "this episode is already queued or processed; use POST /api/jobs/{id}/retry "
            "to run a stage again"
        )
    ctx.enqueue(episode_id, stages_for(needs_download=episode.media_sha256 is None))


def retry_job(ctx: Context, user: Account, job_id: int) -> JobPublic:
    """Queue a finished (failed or done) job again; the answer is the retry's outcome
    ("queued"), read before workers are told, not whatever a fast worker made of it since."""
    access.editable_job(ctx, user, job_id)
    ctx.queue.retry(job_id)
    with ctx.db.read() as s:
        queued = JobPublic.model_validate(s.get_one(Job, job_id))
    ctx.dispatcher.wake()
    return queued


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """What routes and pages need to act on an episode, without its row."""

    id: int
    podcast_id: int
    owner_id: int
    title: str
    media_sha256: str | None
    enclosure_url: str | None
    link: str | None
    chapters: list[dict[str, Any]] | None


def episode_ref(ctx: Context, episode_id: int) -> EpisodeRef:
    e = episode_row(ctx, episode_id)
    return EpisodeRef(
        e.id,
        e.podcast_id,
        e.owner_id,
        e.title,
        e.media_sha256,
        e.enclosure_url,
        e.link,
        e.chapters,
    )


def transcript_of(
    ctx: Context, viewer: Viewer, episode_id: int
) -> tuple[TranscriptText, access.Place]:
    """The episode's transcript (the part done so far while it is being transcribed), and
    where the episode is (its podcast's visibility decides how it may be cached)."""
    place = access.readable_episode(ctx, viewer, episode_id)
    with ctx.db.read() as s:
        transcript = load_transcript(s, episode_id)
    if transcript is None:
        raise NotFound(
            f"episode {episode_id} has no transcript yet; it appears when the transcribe "
            "stage is done"
        )
    return transcript, place


def readable_ref(ctx: Context, viewer: Viewer, episode_id: int) -> tuple[EpisodeRef, access.Place]:
    """``episode_ref`` for a caller who must be able to read the episode."""
    place = access.readable_episode(ctx, viewer, episode_id)
    return episode_ref(ctx, episode_id), place


def media_type_of(ctx: Context, viewer: Viewer, sha256: str) -> tuple[str | None, bool]:
    """The stored media file's content type as uploaded or served to us, and whether shared
    caches may keep it; NotFound if we hold no such file or `viewer` may read no episode
    of it."""
    with ctx.db.read() as s:
        content_type = get_or_not_found(s, MediaBlob, sha256, "media file").content_type
    return content_type, access.readable_media(ctx, viewer, sha256)


@dataclass(frozen=True, slots=True)
class EpisodeLine:
    """One episode in a command-line listing: what it is and where each stage stands."""

    id: int
    podcast_id: int
    podcast_title: str
    title: str
    duration_ms: int | None
    published_at: datetime | None
    stages: dict[str, str]  # stage -> state


def episode_lines(ctx: Context, podcast_id: int | None = None) -> list[EpisodeLine]:
    """Every episode (of one podcast), newest added first."""
    query = select(Episode, Podcast.title).join(Podcast).order_by(Episode.id.desc())
    if podcast_id is not None:
        query = query.where(Episode.podcast_id == podcast_id)
    with ctx.db.read() as s:
        rows = s.execute(query).all()
        states: dict[int, dict[str, str]] = defaultdict(dict)
        ids = [e.id for e, _ in rows]
        for job in s.scalars(select(Job).where(Job.episode_id.in_(ids)).order_by(Job.step)):
            if job.episode_id is not None:
                states[job.episode_id][job.stage] = job.state
    return [
        EpisodeLine(e.id, e.podcast_id, title, e.title, e.duration_ms, e.published_at, states[e.id])
        for e, title in rows
    ]


def pipeline_jobs(
    ctx: Context, *, state: str | None = None, episode_id: int | None = None
) -> list[JobPublic]:
    """Jobs in pipeline order: by episode, then stage."""
    query = select(Job).order_by(Job.episode_id, Job.step, Job.id)
    if state:
        query = query.where(Job.state == state)
    if episode_id is not None:
        query = query.where(Job.episode_id == episode_id)
    with ctx.db.read() as s:
        return [JobPublic.model_validate(job) for job in s.scalars(query)]


def job_episode_id(ctx: Context, job_id: int) -> int | None:
    """The job's episode; None for server-wide work (the analytics rollup, the training)."""
    with ctx.db.read() as s:
        row = s.execute(select(Job.episode_id).where(Job.id == job_id)).first()
    if row is None:
        raise NotFound(f"no job {job_id}")
    return row[0]


def progress_of(ctx: Context, episode_ids: Sequence[int]) -> dict[int, tuple[str, list[JobPublic]]]:
    """Each episode's title and jobs (in pipeline order), for following them as they run."""
    with ctx.db.read() as s:
        rows = s.execute(select(Episode.id, Episode.title).where(Episode.id.in_(episode_ids)))
        titles = {eid: title for eid, title in rows}
        jobs = _jobs_by_episode(s, episode_ids)
    return {eid: (titles.get(eid, f"episode {eid}"), jobs.get(eid, [])) for eid in episode_ids}


def episode_with_media(ctx: Context, sha256: str) -> int | None:
    """An episode that already holds this media file, if any."""
    with ctx.db.read() as s:
        return s.scalars(select(Episode.id).where(Episode.media_sha256 == sha256)).first()
