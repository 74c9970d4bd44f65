"""Adding to the library: feeds (by URL or file) and media files (uploads, CLI paths).

Each entry point validates everything first — the feed parses, the media probes, the
transcript reads — and only then writes, in one transaction, so that bad input never leaves
rows or blobs behind. Processing is queued as jobs; nothing here waits for it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from soundbite.clips.creator import materialise_soundbites
from soundbite.context import Context
from soundbite.domain.accounts import Visibility
from soundbite.domain.pipeline import stages_for
from soundbite.domain.transcript import Transcript
from soundbite.errors import Conflict, TooLarge
from soundbite.ingest.feed_recovery import FeedProblem
from soundbite.ingest.feeds import ParsedEpisode, ParsedFeed, parse_feed
from soundbite.ingest.fetch import fetch
from soundbite.media.extract import extract_audio, needs_extraction
from soundbite.media.probe import probe
from soundbite.services import access
from soundbite.services.accounts import Account
from soundbite.services.episodes import podcast_row
from soundbite.store.base import utcnow
from soundbite.store.blobs import media_key, sha256_file
from soundbite.store.models import Episode, FeedSoundbite, MediaBlob, Podcast
from soundbite.store.transcripts import save_transcript

UPLOADS_TITLE = "Uploads"
DEMO_PODCAST_TITLE = "Soundbite demo"
DEMO_PODCAST_DESCRIPTION = (
    "Public-domain recordings from LibriVox, added by `soundbite demo` to show what "
    "Soundbite does: transcripts, chapters, clips, and this public page."
)


@dataclass(frozen=True)
class FeedResult:
    podcast_id: int
    new_episode_ids: list[int]
    queued_episode_ids: list[int]
    not_modified: bool = False
    # what reading a malformed feed repaired or skipped; also kept on the podcast row
    problems: list[FeedProblem] = field(default_factory=list)


def add_feed_url(app: Context, url: str, owner_id: int) -> FeedResult:
    """Fetch a feed and add (or refresh) its podcast. Safe to call again: polling is
    conditional and episodes are matched by GUID."""
    with app.db.read() as s:
        known = s.scalars(
            select(Podcast).where(Podcast.owner_id == owner_id, Podcast.feed_url == url)
        ).first()
        etag, modified = (known.etag, known.last_modified) if known else (None, None)
    result = fetch(
        url,
        app.fetch_policy(),
        max_bytes=app.settings.max_feed_bytes,
        etag=etag,
        last_modified=modified,
    )
    if result.not_modified and known is not None:
        with app.db.write() as s:
            s.get_one(Podcast, known.id).polled_at = utcnow()
        return FeedResult(known.id, [], [], not_modified=True)
    feed = parse_feed(result.content, result.url)
    return _store_feed(
        app, feed, url, owner_id, etag=result.etag, last_modified=result.last_modified
    )


def add_feed_document(app: Context, data: bytes, source: str, owner_id: int) -> FeedResult:
    """A feed from a local file (`soundbite add feed.xml`).

    Relative URLs resolve against `source`."""
    if len(data) > app.settings.max_feed_bytes:
        raise TooLarge(f"the feed is {len(data)} bytes; the limit is {app.settings.max_feed_bytes}")
    feed = parse_feed(data, source)
    return _store_feed(app, feed, source, owner_id, etag=None, last_modified=None)


def _store_feed(
    app: Context,
    feed: ParsedFeed,
    url: str,
    owner_id: int,
    *,
    etag: str | None,
    last_modified: str | None,
) -> FeedResult:
    with app.db.write() as s:
        podcast = s.scalars(
            select(Podcast).where(Podcast.owner_id == owner_id, Podcast.feed_url == url)
        ).first()
        if podcast is None:
            podcast = Podcast(
                owner_id=owner_id,
                feed_url=url,
                title=feed.title or url,
                visibility=new_podcast_visibility(app),
            )
            s.add(podcast)
        if "title" not in (podcast.edited or ()):  # a creator's own words outlive the feed's
            podcast.title = feed.title or podcast.title
        if "description" not in (podcast.edited or ()):
            podcast.description = feed.description or ""
        podcast.link, podcast.artwork_url = feed.link, feed.artwork_url
        podcast.author, podcast.language = feed.author, feed.language
        podcast.etag, podcast.last_modified, podcast.polled_at = etag, last_modified, utcnow()
        podcast.feed_problems = [p.to_json() for p in feed.problems]
        s.flush()
        known = {
            e.guid: e for e in s.scalars(select(Episode).where(Episode.podcast_id == podcast.id))
        }
        new_ids: list[int] = []
        for parsed in feed.episodes:
            episode = known.get(parsed.guid)
            if episode is None:
                episode = Episode(
                    owner_id=owner_id, podcast_id=podcast.id, guid=parsed.guid, title=""
                )
                s.add(episode)
                _apply_feed_episode(s, episode, parsed, new=True)
                s.flush()
                new_ids.append(episode.id)
            else:
                _apply_feed_episode(s, episode, parsed, new=False)
        podcast_id = podcast.id
    newest = sorted(
        feed.episodes, key=lambda e: e.published.timestamp() if e.published else 0, reverse=True
    )[: app.settings.feed_process_latest]
    newest_guids = {e.guid for e in newest}
    with app.db.read() as s:
        to_queue = [
            e.id
            for e in s.scalars(select(Episode).where(Episode.id.in_(new_ids)))
            if e.guid in newest_guids
        ]
    for episode_id in to_queue:
        app.enqueue(episode_id, stages_for(needs_download=True))
    materialise_soundbites(app)  # the creator's soundbites become clips now, not when listed
    return FeedResult(podcast_id, new_ids, to_queue, problems=feed.problems)


def _apply_feed_episode(s: Session, episode: Episode, parsed: ParsedEpisode, *, new: bool) -> None:
    if "title" not in (episode.edited or ()):  # a creator's own words outlive the feed's
        episode.title = parsed.title or parsed.guid
    if "description" not in (episode.edited or ()):
        episode.description = parsed.description or ""
    episode.published_at, episode.link = parsed.published, parsed.link
    episode.artwork_url = parsed.artwork_url
    episode.enclosure_url, episode.enclosure_type = parsed.enclosure_url, parsed.enclosure_type
    episode.enclosure_length = parsed.enclosure_length
    if episode.media_sha256 is None:  # once probed, the measured duration wins
        episode.duration_ms = parsed.duration_ms
    best = _pick_transcript(parsed)
    episode.transcript_url = best.url if best else None
    episode.transcript_type = best.type if best else None
    episode.chapters_url = parsed.chapters.url if parsed.chapters else None
    episode.persons = [p.to_json() for p in parsed.persons] or None
    if parsed.chapters_inline:
        episode.chapters = [c.to_json() for c in parsed.chapters_inline]
    if new:
        episode.soundbites = [
            FeedSoundbite(start_ms=b.start_ms, duration_ms=b.duration_ms, title=b.title or "")
            for b in parsed.soundbites
        ]


# timed formats we can import, best first; HTML and plain text have no usable timings
TRANSCRIPT_PREFERENCE = ("application/json", "text/vtt", "application/x-subrip", "application/srt")


def _pick_transcript(parsed: ParsedEpisode):  # type: ignore[no-untyped-def]
    ranked = [t for t in parsed.transcripts if (t.type or "").lower() in TRANSCRIPT_PREFERENCE]
    ranked.sort(key=lambda t: TRANSCRIPT_PREFERENCE.index((t.type or "").lower()))
    return ranked[0] if ranked else None


def add_media_file(
    app: Context,
    path: Path,
    owner_id: int,
    *,
    title: str | None = None,
    content_type: str | None = None,
    transcript: Transcript | None = None,
    podcast_id: int | None = None,
) -> int:
    """Probe, store and queue an audio or video file. Returns the new episode's id.

    The episode goes into `podcast_id`, or else into the owner's "Uploads" podcast. The file
    is probed before anything is written; video keeps only its audio track.
    """
    if path.stat().st_size > app.settings.max_upload_bytes:
        raise TooLarge(
            f"the file is {path.stat().st_size} bytes; the limit is {app.settings.max_upload_bytes}"
        )
    info = probe(path, max_duration_ms=app.settings.max_episode_seconds * 1000)
    with tempfile.TemporaryDirectory(dir=app.settings.cache_dir.parent) as tmp:
        audio = extract_audio(path, Path(tmp)) if needs_extraction(info) else path
        if audio is not path:
            info = probe(audio)
            content_type = None
        sha = sha256_file(audio)
        app.storage.put_file(media_key(sha), audio)
        size = audio.stat().st_size
    with app.db.write() as s:
        if s.get(MediaBlob, sha) is None:
            s.add(
                MediaBlob(
                    sha256=sha, size=size, content_type=content_type or _guess_type(info.container)
                )
            )
        podcast = (
            s.get_one(Podcast, podcast_id)
            if podcast_id is not None
            else _uploads_podcast(s, owner_id, new_podcast_visibility(app))
        )
        episode = Episode(
            owner_id=owner_id,
            podcast_id=podcast.id,
            guid=f"upload:{sha}:{utcnow().timestamp()}",
            title=title or path.stem,
            duration_ms=info.duration_ms,
            media_sha256=sha,
            codec=info.codec,
            channels=info.channels,
            sample_rate=info.sample_rate,
            published_at=utcnow(),
        )
        s.add(episode)
        s.flush()
        if transcript is not None:
            save_transcript(s, episode.id, transcript, sha)
        episode_id = episode.id
    app.enqueue(episode_id, stages_for(needs_download=False))
    return episode_id


def _uploads_podcast(s: Session, owner_id: int, visibility: str) -> Podcast:
    # by title too: the demo podcast is also one without a feed
    podcast = s.scalars(
        select(Podcast)
        .where(
            Podcast.owner_id == owner_id,
            Podcast.feed_url.is_(None),
            Podcast.title == UPLOADS_TITLE,
        )
        .order_by(Podcast.id)
    ).first()
    if podcast is None:
        podcast = Podcast(
            owner_id=owner_id,
            feed_url=None,
            title=UPLOADS_TITLE,
            description="Files added by upload or from the command line.",
            visibility=visibility,
        )
        s.add(podcast)
        s.flush()
    return podcast


def demo_podcast(app: Context, owner_id: int) -> int:
    """The podcast that holds `soundbite demo`'s episode, public so that a fresh install
    shows the public site (docs/public-site.md)."""
    with app.db.write() as s:
        podcast = s.scalars(
            select(Podcast).where(
                Podcast.owner_id == owner_id,
                Podcast.feed_url.is_(None),
                Podcast.title == DEMO_PODCAST_TITLE,
            )
        ).first()
        if podcast is None:
            podcast = Podcast(
                owner_id=owner_id,
                feed_url=None,
                title=DEMO_PODCAST_TITLE,
                description=DEMO_PODCAST_DESCRIPTION,
                author="LibriVox",
                language="en",
                visibility=Visibility.PUBLIC.value,
            )
            s.add(podcast)
            s.flush()
        return podcast.id


CONTAINER_TYPES = {
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "aac": "audio/aac",
    "matroska,webm": "audio/webm",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
}


def _guess_type(container: str) -> str:
    return CONTAINER_TYPES.get(container, "application/octet-stream")


__all__ = ["FeedResult", "add_feed_document", "add_feed_url", "add_media_file"]


def new_podcast_visibility(ctx: Context) -> str:
    """What a podcast added from now on starts as: the `public_library` setting chooses
    between public and private (an admin changes it per podcast afterwards)."""
    return (Visibility.PUBLIC if ctx.settings.public_library else Visibility.PRIVATE).value


def add_feed(ctx: Context, user: Account, url: str) -> FeedResult:
    """`add_feed_url` for a caller: adding a podcast is an admin's."""
    access.require_add_podcast(user)
    return add_feed_url(ctx, url, user.id)


def check_upload(ctx: Context, user: Account, podcast_id: int | None) -> None:
    """Refuse an upload the caller may not make (before its bytes are read)."""
    if podcast_id is None:
        access.require_add_podcast(user)
    else:
        access.editable_podcast(ctx, user, podcast_id)


def upload(
    ctx: Context,
    user: Account,
    path: Path,
    *,
    podcast_id: int | None,
    title: str | None = None,
    content_type: str | None = None,
    transcript: Transcript | None = None,
) -> int:
    """`add_media_file` for a caller: into a podcast they create for (or any, as an admin),
    or, for an admin, into their "Uploads" podcast."""
    check_upload(ctx, user, podcast_id)
    return add_media_file(
        ctx,
        path,
        user.id,
        title=title,
        content_type=content_type,
        transcript=transcript,
        podcast_id=podcast_id,
    )


def refresh_podcast(ctx: Context, user: Account, podcast_id: int) -> FeedResult:
    """Poll a podcast's feed again (conditional GET; only new episodes are added)."""
    access.editable_podcast(ctx, user, podcast_id)
    podcast = podcast_row(ctx, podcast_id)
    if podcast.feed_url is None:
        raise Conflict("this podcast holds uploads; it has no feed to refresh")
    return add_feed_url(ctx, podcast.feed_url, podcast.owner_id)
