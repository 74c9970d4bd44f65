"""A clip's videos for social networks: which render job a style asks for, and how far it is.

A video is a render like the audio (``clips/renders.py``: cached by media, span, profile and a
digest of what the frames show, made once across processes); this module gathers what its
frames show: the names, the title, the short share URL, the artwork (stored once by
``clips/cards.py``) and the clip's timed words, with their speakers.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy.orm import Session

from soundbite.clips import cards
from soundbite.clips.links import profile
from soundbite.clips.renders import RenderCache
from soundbite.clips.service import ClipView
from soundbite.clips.spans import words_within
from soundbite.context import Context
from soundbite.derived import RenderJob
from soundbite.domain.brand import Brand
from soundbite.errors import Conflict, TooLarge
from soundbite.media.frames import SIZES, CaptionWord, FrameText, VideoStyle
from soundbite.media.render import decode_span
from soundbite.media.video import VideoContent, still_frame
from soundbite.store.blobs import media_key
from soundbite.store.blobs.base import derived_key
from soundbite.store.brand import load_brand

NO_WORDS_NOTE = "This episode's transcript has no word timings, so the video has no captions."


@dataclass(frozen=True, slots=True)
class VideoStatus:
    style: VideoStyle
    state: str  # "ready", "rendering"
    progress: float  # 0..1
    path: str  # under the clip's page: video-9x16.mp4?captions=1&visual=waveform&v=…
    width: int
    height: int
    job: RenderJob  # what renders it, and where it is stored
    note: str | None = None


def short_url(share_url: str) -> str:
    """The share URL as it is read aloud and typed: no scheme."""
    parts = urlsplit(share_url)
    return f"{parts.netloc}{parts.path}"


def clip_words(s: Session, view: ClipView) -> tuple[CaptionWord, ...]:
    """The clip's timed words, from its start, each with its segment's speaker: the words whose
    middle is in the span, as in its captions file (``clips/export.py``)."""
    start, end = view.start_ms, view.end_ms
    return tuple(
        CaptionWord(max(w_start, start) - start, min(w_end, end) - start, text, speaker)
        for w_start, w_end, text, speaker in words_within(s, view.episode_id, start, end)
    )


def video_job(app: Context, view: ClipView, style: VideoStyle, share_url: str) -> RenderJob:
    """The render job of `view` as a video in `style` (captions turned off when there are no
    timed words); raises TooLarge past ``clip_video_max_seconds``."""
    if view.media_sha256 is None:
        raise Conflict("the episode's audio is not downloaded yet; try again once it is")
    cap = app.settings.clip_video_max_seconds
    if view.duration_ms > cap * 1000:
        raise TooLarge(
            f"the clip is {view.duration_ms / 1000:.0f} s long; videos are made of clips "
            f"up to {cap} s (clip_video_max_seconds)"
        )
    with app.db.read() as s:  # one session: a cached video's every request comes here
        words = clip_words(s, view) if style.captions else ()
        brand, logo_key = load_brand(s, view.podcast_id) or (Brand(), None)
    if not words:
        style = dataclasses.replace(style, captions=False)
    text = FrameText(view.podcast_title, view.episode_title, view.title, short_url(share_url))
    content = VideoContent(text, words, cards.artwork_key(view), brand, logo_key)
    audio = profile(app.settings, "m4a")
    video_profile = dataclasses.replace(audio, format="mp4", video=style)
    return RenderJob(view.media_sha256, view.start_ms, view.end_ms, video_profile, content)


def video_path(job: RenderJob, requested: VideoStyle) -> str:
    assert job.profile.video is not None
    captions = "1" if requested.captions else "0"
    version = hashlib.sha256(job.key.encode()).hexdigest()[:16]
    query = f"captions={captions}&visual={requested.visual}&v={version}"
    return f"video-{requested.aspect}.mp4?{query}"


def start_video(
    app: Context, renders: RenderCache, view: ClipView, style: VideoStyle, share_url: str
) -> VideoStatus:
    """Start rendering the video (in this process) unless it is stored; say how far it is."""
    job = video_job(app, view, style, share_url)
    cards.store_artwork(app, view)  # once, before the render reads it by key
    flight = renders.start(job)
    rendered = job.profile.video
    assert rendered is not None
    note = NO_WORDS_NOTE if style.captions and not rendered.captions else None
    width, height = SIZES[style.aspect]
    if flight is not None and flight.finished and flight.error is not None:
        raise flight.error
    state = "ready" if flight is None or flight.finished else "rendering"
    progress = 1.0 if state == "ready" else flight.progress if flight else 0.0
    return VideoStatus(style, state, progress, video_path(job, style), width, height, job, note)


def stored_video(
    app: Context, renders: RenderCache, view: ClipView, share_url: str
) -> VideoStatus | None:
    """A video of the clip that is already rendered (captions, waveform; landscape first, as
    link previews show it), for the share page's ``og:video``; None if there is none."""
    if view.media_sha256 is None or view.duration_ms > app.settings.clip_video_max_seconds * 1000:
        return None
    for aspect in ("16x9", "1x1", "9x16"):
        style = VideoStyle(aspect=aspect)
        job = video_job(app, view, style, share_url)
        if renders.stored_size(job) is not None:
            width, height = SIZES[aspect]
            return VideoStatus(style, "ready", 1.0, video_path(job, style), width, height, job)
    return None


PREVIEW_WIDTH = 540  # the share dialog shows it at most about 400 CSS pixels wide
PREVIEW_SOUND_S = 3.2  # what a frame draws of the sound: the waveform's window, the FFT


def preview_time(words: tuple[CaptionWord, ...], span_ms: int) -> int:
    """When in the clip the preview is taken: the middle of a word about a third in (so the
    captions show a spoken word and the progress bar has moved), else a third in."""
    third = span_ms // 3
    if not words:
        return third
    word = min(words, key=lambda w: abs((w.start_ms + w.end_ms) // 2 - third))
    return (word.start_ms + word.end_ms) // 2


def preview(app: Context, view: ClipView, style: VideoStyle, share_url: str) -> bytes:
    """A PNG of one frame of the video in `style`, as it would be rendered (the same drawer,
    brand and words), kept in storage under the video's render key: the share dialog shows
    it as the listener changes the shape, captions and sound picture."""
    job = video_job(app, view, style, share_url)
    digest = hashlib.sha256(job.key.encode()).hexdigest()
    key = derived_key("previews", digest, f"{PREVIEW_WIDTH}.png")
    if app.storage.exists(key):
        return app.storage.get_bytes(key)
    content = job.video
    assert content is not None and view.media_sha256 is not None
    at_ms = preview_time(content.words, view.duration_ms)
    png = still_frame(
        job.profile,
        content,
        cards.artwork(app, view),
        at_ms,
        view.duration_ms,
        logo=app.storage.get_bytes(content.logo_key) if content.logo_key else None,
        sound=_sound_near(app, view, at_ms),
        width=PREVIEW_WIDTH,
        image_format="PNG",
    )
    app.storage.put_bytes(key, png)
    return png


def _sound_near(app: Context, view: ClipView, at_ms: int) -> tuple[np.ndarray, int]:
    """Mono samples from the clip's start, silent but for the few seconds around `at_ms`
    that a frame draws: decoding a whole long clip for one picture would be waste."""
    assert view.media_sha256 is not None
    half = int(PREVIEW_SOUND_S * 500)
    start = max(0, at_ms - half)
    end = min(view.duration_ms, at_ms + half)
    with app.storage.decodable(media_key(view.media_sha256)) as src:
        pcm = decode_span(src, view.start_ms + start, view.start_ms + end, channels=1)
    lead = np.zeros(start * pcm.rate // 1000, np.float32)
    return np.concatenate([lead, pcm.samples.mean(axis=0).astype(np.float32)]), pcm.rate
