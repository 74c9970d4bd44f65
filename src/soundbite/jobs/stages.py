"""What each pipeline stage does to an episode: read rows and blobs, call the pure stage
function, write rows and blobs.

Every stage is idempotent: its outputs are keyed by its inputs (a media hash, a transcript
replaced in one transaction), so running it twice leaves one result.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from soundbite.context import Context
from soundbite.derived import PEAKS_PER_SECOND, loudness_blocks_key, peaks_key, seek_index_key
from soundbite.domain import pipeline
from soundbite.domain.progress import ProgressFn
from soundbite.errors import InvalidInput, SoundbiteError
from soundbite.ingest.chapters import parse_chapters_json
from soundbite.ingest.fetch import download, fetch
from soundbite.jobs.analysis import run_analyze, run_index
from soundbite.media.extract import extract_audio, needs_extraction
from soundbite.media.peaks import analyse_audio, peaks_to_dat
from soundbite.media.probe import probe
from soundbite.media.seeking import SeekPointRecorder
from soundbite.speech import diarize
from soundbite.speech.formats import MAX_TRANSCRIPT_BYTES, parse_transcript
from soundbite.speech.speakers import has_speakers, label_speakers
from soundbite.speech.transcribe import transcribe, transcribe_chunks, whisper_source
from soundbite.store.blobs import media_key, sha256_file
from soundbite.store.db import get_or_not_found
from soundbite.store.models import Episode, MediaBlob
from soundbite.store.transcripts import (
    append_segments,
    has_complete_transcript,
    load_transcript,
    save_transcript,
    start_transcript,
    transcript_source,
)

log = logging.getLogger(__name__)


StageFn = Callable[[Context, int, ProgressFn], str]
ServerStageFn = Callable[[Context, ProgressFn], str]  # server-wide work: no episode


def _episode(app: Context, episode_id: int) -> Episode:
    with app.db.read() as s:
        episode = get_or_not_found(s, Episode, episode_id, "episode")
        return episode


def _media_sha(episode: Episode) -> str:
    if episode.media_sha256 is None:
        raise InvalidInput(f"episode {episode.id} has no media yet")
    return episode.media_sha256


def run_fetch(app: Context, episode_id: int, progress: ProgressFn) -> str:
    """Download the enclosure (resuming a partial download), check it, store it by hash."""
    episode = _episode(app, episode_id)
    if episode.media_sha256 and app.storage.exists(media_key(episode.media_sha256)):
        return "already downloaded"
    if not episode.enclosure_url:
        raise InvalidInput("the feed gives this episode no audio file (no enclosure)")
    partial_dir = app.settings.cache_dir / "downloads"
    partial_dir.mkdir(parents=True, exist_ok=True)
    got = download(
        episode.enclosure_url,
        partial_dir / f"episode-{episode_id}",
        app.fetch_policy(),
        max_bytes=app.settings.max_upload_bytes,
        progress=lambda pct, msg: progress(pct * 0.95, msg),
    )
    try:
        progress(96, "checking the audio")
        info = probe(got.path, max_duration_ms=app.settings.max_episode_seconds * 1000)
        with tempfile.TemporaryDirectory(dir=partial_dir) as tmp:
            audio, sha, content_type = (
                got.path,
                got.sha256,
                episode.enclosure_type or got.content_type,
            )
            if needs_extraction(info):
                audio, content_type = extract_audio(got.path, Path(tmp)), None
                sha = sha256_file(audio)
            size = audio.stat().st_size
            app.storage.put_file(media_key(sha), audio, move=True)
    finally:
        got.path.unlink(missing_ok=True)
    with app.db.write() as s:
        if s.get(MediaBlob, sha) is None:
            s.add(MediaBlob(sha256=sha, size=size, content_type=content_type))
        s.get_one(Episode, episode_id).media_sha256 = sha
    return f"downloaded {size / 1e6:.1f} MB"


def run_probe(app: Context, episode_id: int, progress: ProgressFn) -> str:
    episode = _episode(app, episode_id)
    sha = _media_sha(episode)
    seek_points = SeekPointRecorder()
    with app.storage.local_path(media_key(sha)) as path:
        info = probe(
            path, max_duration_ms=app.settings.max_episode_seconds * 1000, seek_points=seek_points
        )
    if (index := seek_points.index()) is not None:
        app.storage.put_bytes(seek_index_key(sha), index.to_json())
    with app.db.write() as s:
        row = s.get_one(Episode, episode_id)
        row.duration_ms, row.codec = info.duration_ms, info.codec
        row.channels, row.sample_rate = info.channels, info.sample_rate
    _import_publisher_chapters(app, episode)
    seconds = info.duration_ms / 1000
    return f"{info.codec}, {info.channels} ch, {info.sample_rate} Hz, {seconds:.1f} s"


def _import_publisher_chapters(app: Context, episode: Episode) -> None:
    if not episode.chapters_url or episode.chapters:
        return
    try:
        result = fetch(episode.chapters_url, app.fetch_policy(), max_bytes=MAX_TRANSCRIPT_BYTES)
        chapters = parse_chapters_json(result.content, base_url=result.url)
    except SoundbiteError as exc:
        # chapters are a nicety: a broken chapters file must not stop the episode
        log.warning("episode %s: chapters not imported: %s", episode.id, exc.message)
        return
    with app.db.write() as s:
        s.get_one(Episode, episode.id).chapters = [c.to_json() for c in chapters]


def run_peaks(app: Context, episode_id: int, progress: ProgressFn) -> str:
    """The waveform, and the loudness blocks clip renders take their gain from (one decode)."""
    sha = _media_sha(_episode(app, episode_id))
    key, blocks_key = peaks_key(sha), loudness_blocks_key(sha)
    if app.storage.exists(key) and app.storage.exists(blocks_key):
        return "peaks already computed for this audio"
    with app.storage.local_path(media_key(sha)) as path:
        peaks, blocks = analyse_audio(path, pixels_per_second=PEAKS_PER_SECOND, progress=progress)
    app.storage.put_bytes(key, peaks_to_dat(peaks))
    # empty where the audio cannot have blocks (media/peaks.py): renders then measure the span
    blocks_data = blocks.astype("<f4").tobytes() if blocks is not None else b""
    app.storage.put_bytes(blocks_key, blocks_data)
    return f"{peaks.length} points"


def run_transcribe(app: Context, episode_id: int, progress: ProgressFn) -> str:
    episode = _episode(app, episode_id)
    sha = _media_sha(episode)
    with app.db.read() as s:
        if transcript_source(s, episode_id) == "publisher":
            return "kept the publisher's transcript"
    if episode.transcript_url:
        try:
            progress(1, "importing the publisher's transcript")
            result = fetch(
                episode.transcript_url, app.fetch_policy(), max_bytes=MAX_TRANSCRIPT_BYTES
            )
            transcript = parse_transcript(
                result.content,
                content_type=episode.transcript_type or result.content_type,
                filename=episode.transcript_url,
            )
            with app.db.write() as s:
                save_transcript(s, episode_id, transcript, sha)
        except SoundbiteError as exc:
            log.warning(
                "episode %s: publisher transcript unusable (%s); transcribing",
                episode_id,
                exc.message,
            )
        else:
            said = f"imported the publisher's transcript ({len(transcript.segments)} segments)"
            return said + _find_speakers(app, episode_id, sha, progress)
    with app.db.read() as s:
        keep_until_done = has_complete_transcript(s, episode_id)
    with app.storage.local_path(media_key(sha)) as path:
        if keep_until_done:
            # Re-transcribing: the old transcript stays whole until the new one is.
            transcript = transcribe(
                path,
                app.model_options(),
                progress=progress,
                chunk_s=app.settings.transcribe_chunk_seconds,
            )
            with app.db.write() as s:
                save_transcript(s, episode_id, transcript, sha)
            said = f"{len(transcript.words)} words ({transcript.language})"
        else:
            said = _transcribe_progressively(app, episode_id, sha, path, progress)
    return said + _find_speakers(app, episode_id, sha, progress)


def _find_speakers(app: Context, episode_id: int, sha: str, progress: ProgressFn) -> str:
    """Label the stored transcript's speakers by diarizing the audio, when the `speakers` extra
    is installed and the setting allows. A transcript that names its speakers already (one
    voice per channel, a publisher's <v Name> tags) keeps them. Returns a note for the job."""
    if not app.settings.diarize or not diarize.installed():
        return ""
    with app.db.read() as s:
        transcript = load_transcript(s, episode_id)
    if transcript is None or not transcript.segments or has_speakers(transcript):
        return ""
    progress(99, "telling the speakers apart")
    try:
        with app.storage.local_path(media_key(sha)) as path:
            turns = diarize.diarize(path)
    except Exception:
        # Speakers are a nicety on top of a finished transcript, and the diarizer is a
        # third-party model stack: whatever it raises, the transcript stays and the job is done.
        log.exception("episode %s: speakers not found", episode_id)
        return ", speakers not found (see the log)"
    labelled = label_speakers(transcript, turns)
    if labelled is transcript:
        return ", one speaker"
    with app.db.write() as s:
        # the transcript may have been replaced meanwhile (an upload of the publisher's)
        if transcript_source(s, episode_id) != transcript.source:
            return ""
        save_transcript(s, episode_id, labelled, sha)
    count = len({seg.speaker for seg in labelled.segments if seg.speaker})
    return f", {count} speakers"


def _transcribe_progressively(
    app: Context, episode_id: int, sha: str, path: Path, progress: ProgressFn
) -> str:
    """Store each chunk's segments as it is done, so the start of a long episode can be read
    and clipped while the rest is transcribed. The transcript says it is incomplete until the
    last chunk is in; the search index waits for the whole (the index stage runs after this)."""
    options = app.model_options()
    source, started = whisper_source(options), False
    words, language = 0, None
    chunks = transcribe_chunks(
        path, options, progress=progress, chunk_s=app.settings.transcribe_chunk_seconds
    )
    for chunk in chunks:
        with app.db.write() as s:
            if not started:  # until now, whatever was there (a failed run's part) stays
                start_transcript(
                    s, episode_id, language=chunk.language, source=source, media_sha256=sha
                )
                started = True
            append_segments(s, episode_id, chunk.segments, language=chunk.language)
        words += sum(len(segment.words) for segment in chunk.segments)
        language = chunk.language
    with app.db.write() as s:
        if not started:
            start_transcript(s, episode_id, language=language, source=source, media_sha256=sha)
        append_segments(s, episode_id, (), complete=True)
    return f"{words} words ({language})"


STAGES: dict[str, StageFn] = {
    pipeline.FETCH: run_fetch,
    pipeline.PROBE: run_probe,
    pipeline.PEAKS: run_peaks,
    pipeline.TRANSCRIBE: run_transcribe,
    pipeline.ANALYZE: run_analyze,
    pipeline.INDEX: run_index,
}


def run_recommend(app: Context, progress: ProgressFn) -> str:
    """Train the recommender (incrementally when a full training is not due)."""
    from soundbite.services.for_you_model import train  # numpy, scikit-learn and implicit

    return train(app, progress)


def run_analytics(app: Context, progress: ProgressFn) -> str:
    """Roll up every day that is not final, create the coming months' partitions (PostgreSQL)
    and prune raw events past the retention (analytics/rollup.py). Idempotent: a day's
    aggregates are replaced in one transaction, so a retried or repeated run counts nothing
    twice, and a killed one leaves the previous rows."""
    from soundbite.analytics.rollup import catch_up

    results = catch_up(app, progress=progress)
    if not results:
        return "nothing to roll up"
    events = sum(r.events for r in results)
    return f"{len(results)} day(s) rolled up ({events} events), last {results[-1].day}"


SERVER_STAGES: dict[str, ServerStageFn] = {
    pipeline.RECOMMEND: run_recommend,
    pipeline.ANALYTICS: run_analytics,
}
