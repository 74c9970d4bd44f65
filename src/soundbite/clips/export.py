"""What a clip exports: ``<podcast:soundbite>`` elements for a creator's feed, and captions.

Soundbites: startTime and duration in seconds with millisecond precision and the title as the
element's text, escaped; grouped per episode (a soundbite belongs inside its ``<item>``), with
each episode's GUID so the creator knows where to paste it.

Captions: WebVTT of the clip's words with times relative to the clip, cut into cues by the same
writer as episode transcripts (``speech/formats.py``), so a clip reads like its episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import select

from soundbite.clips.service import ClipView
from soundbite.clips.spans import segments_near
from soundbite.context import Context
from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.speech.formats import to_vtt
from soundbite.store.models import Episode

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


def soundbite_element(view: ClipView) -> str:
    return (
        f"<podcast:soundbite startTime={quoteattr(_seconds(view.start_ms))} "
        f"duration={quoteattr(_seconds(view.duration_ms))}>{escape(view.title)}"
        "</podcast:soundbite>"
    )


def soundbites_xml(app: Context, views: Sequence[ClipView]) -> str:
    """A small document: one ``<item>`` per episode (GUID, title) holding its soundbites."""
    with app.db.read() as s:
        guids = dict(
            s.execute(
                select(Episode.id, Episode.guid).where(
                    Episode.id.in_({v.episode_id for v in views})
                )
            ).all()
        )
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<soundbites xmlns:podcast="{PODCAST_NS}">']
    for episode_id in dict.fromkeys(v.episode_id for v in views):
        mine = sorted((v for v in views if v.episode_id == episode_id), key=lambda v: v.start_ms)
        lines += [
            "  <item>",
            f"    <guid>{escape(guids.get(episode_id, ''))}</guid>",
            f"    <title>{escape(mine[0].episode_title)}</title>",
            *(f"    {soundbite_element(v)}" for v in mine),
            "  </item>",
        ]
    lines.append("</soundbites>")
    return "\n".join(lines) + "\n"


def captions_vtt(app: Context, view: ClipView) -> str:
    """The clip's words as WebVTT, times counted from the clip's start (empty without words)."""
    with app.db.read() as s:
        segments = segments_near(s, view.episode_id, view.start_ms, view.end_ms) or []
    return to_vtt(Transcript(None, tuple(shifted(segments, view.start_ms, view.end_ms))))


def shifted(segments: Sequence[Segment], start: int, end: int) -> list[Segment]:
    """Segments cut to start..end and moved to start at 0; words kept if their middle is in."""
    out = []
    for seg in segments:
        if seg.end_ms <= start or seg.start_ms >= end:
            continue
        if seg.words:
            words = [
                Word(
                    max(w.start_ms, start) - start,
                    min(w.end_ms, end) - start,
                    w.text,
                    w.probability,
                )
                for w in seg.words
                if start <= (w.start_ms + w.end_ms) // 2 < end
            ]
            if not words:
                continue
            text = " ".join(w.text for w in words)
            out.append(
                Segment(words[0].start_ms, words[-1].end_ms, text, tuple(words), seg.speaker)
            )
        else:
            s, e = max(seg.start_ms, start) - start, min(seg.end_ms, end) - start
            out.append(Segment(s, e, seg.text, (), seg.speaker))
    return out
