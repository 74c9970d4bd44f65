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

from soundbite.clips import cards
from soundbite.clips.export import shifted
from soundbite.clips.links import profile
from soundbite.clips.renders import RenderCache
from soundbite.clips.service import ClipView
from soundbite.clips.spans import segments_near
from soundbite.context import Context
from soundbite.derived import RenderJob
from soundbite.errors import Conflict, TooLarge
from soundbite.media.frames import SIZES, CaptionWord, FrameText, VideoStyle
from soundbite.media.video import VideoContent

NO_WORDS_NOTE = "This episode's transcript has no word timings, so the video has no captions."


@dataclass(frozen=True, slots=True)
class VideoStatus:
    style: VideoStyle
    state: str  # "ready", "rendering"
    progress: float  # 0..1
    path: str  # under the clip's page: video-9x16.mp4?captions=1&visual=waveform&v=…
    width: int
    height: int
    note: str | None = None


def short_url(share_url: str) -> str:
    """The share URL as it is read aloud and typed: no scheme."""
    parts = urlsplit(share_url)
    return f"{parts.netloc}{parts.path}"


def clip_words(app: Context, view: ClipView) -> tuple[CaptionWord, ...]:
    """The clip's timed words, from its start, each with its segment's speaker."""
    with app.db.read() as s:
        segments = segments_near(s, view.episode_id, view.start_ms, view.end_ms) or []
    return tuple(
        CaptionWord(w.start_ms, w.end_ms, w.text, seg.speaker)
        for seg in shifted(segments, view.start_ms, view.end_ms)
        for w in seg.words
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
    words = clip_words(app, view) if style.captions else ()
    if not words:
        style = dataclasses.replace(style, captions=False)
    text = FrameText(view.podcast_title, view.episode_title, view.title, short_url(share_url))
    content = VideoContent(text, words, cards.artwork_key(view))
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
    cards.artwork(app, view)  # stored once, before the render reads it by key
    flight = renders.start(job)
    rendered = job.profile.video
    assert rendered is not None
    note = NO_WORDS_NOTE if style.captions and not rendered.captions else None
    width, height = SIZES[style.aspect]
    if flight is not None and flight.finished and flight.error is not None:
        raise flight.error
    state = "ready" if flight is None or flight.finished else "rendering"
    progress = 1.0 if state == "ready" else flight.progress if flight else 0.0
    return VideoStatus(style, state, progress, video_path(job, style), width, height, note)


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
            return VideoStatus(style, "ready", 1.0, video_path(job, style), width, height)
    return None
