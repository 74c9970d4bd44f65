"""Clip spans: where a clip may start and end, and how its edges snap to the words.

A clip is a pointer (episode, start_ms, end_ms), so everything that makes a span *good* is
decided here, once, without I/O: the limits (at least 1 s, at most the configured maximum,
inside the episode) and snapping. Snapping exists because people mark moments with a thumb on a
waveform or by tapping words, and a clip that starts in the middle of a syllable sounds broken
however well it is encoded.

Rules, in the order they apply:

- ``word`` (the default): the clip starts at the first word the span touches and ends at the end
  of the last one, each moved to a pause if it runs into its neighbour (below), and each cut is
  in the middle of the pause beside that word, at most ``EDGE_PAD_MS`` from it and at least
  ``FADE_MS`` where the pause allows (between words that run together, at their shared
  boundary). Word
  times are those the transcribe stage stored, already moved onto the pauses of the waveform
  (``speech/boundaries.py``), so the cut falls in silence. A span that starts in a pause
  therefore loses the dead air before its first word. Transcripts without word timings
  (publisher VTT/SRT cues) snap to their cues, the only safe cut points they give: we never
  invent word times inside a cue.
- Phrase edges: most word boundaries in running speech have no pause at all (60-80 % in our
  test recordings), and a cut there leaves a piece of the neighbour in the clip, which a
  listener (and the model in ``bench/clip_edges.py``) hears as a word: "so, my fellow" cut
  before "my" was heard "for my fellow". So an edge without a pause of ``PAUSE_MS`` beside it
  moves to the nearest word that has one, within ``REACH_MS``: outwards first (the clip keeps
  every word asked for and gains the rest of the phrase), else inwards; with no pause in reach
  it stays, cut at the shared boundary. The refined word times (``speech/boundaries.py``) only
  leave a gap where the waveform falls silent, so a gap is a heard pause.
- ``sentence``: as ``word``, widened to the whole transcript segments (our transcriber's
  segments are sentences) that the first and last word belong to; if that would pass the
  maximum length it falls back to ``word``.
- ``none``: the exact milliseconds.

Snapping never produces a clip shorter than the minimum (a short word is widened back to the
requested edges, which by construction cut no word) nor longer than the maximum (words are
dropped from the end instead).

Errors are ``SpanError`` (a ``ValueError``: the domain imports nothing of ours); the clips
service turns them into ``InvalidInput`` (422) with the same message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from soundbite.domain.transcript import Segment, Word, word_spans

Snap = Literal["word", "sentence", "none"]
SNAP_MODES: tuple[Snap, ...] = ("word", "sentence", "none")
Visibility = Literal["public", "unlisted", "private"]
VISIBILITIES: tuple[Visibility, ...] = ("public", "unlisted", "private")
Source = Literal["listener", "suggested", "creator"]
SOURCES: tuple[Source, ...] = ("listener", "suggested", "creator")
Problem = Literal["reversed", "empty", "before_episode", "after_episode", "too_short", "too_long"]

MIN_CLIP_MS = 1_000
TITLE_MAX_CHARS = 128
# a note is a sentence or a short paragraph beside the clip, not a post
NOTE_MAX_CHARS = 2000
# Silence kept before the first word and after the last, at most: the cut is in the middle of
# the pause, up to this far from the word. Enough for the 20 ms fades and a soft onset or tail
# that the refined word times (speech/boundaries.py) left out, small enough not to feel like a
# pause.
EDGE_PAD_MS = 200
# The renderer's fades (media/render.py's RenderProfile.fade_ms): a cut leaves at least this
# much of a pause before the first word and after the last, where there is that much.
FADE_MS = 20
# An edge moves to a pause: a gap of at least PAUSE_MS between the refined word times (the
# refinement only leaves a gap where the waveform falls silent), at most REACH_MS from the word
# the span touched, out of the span first. See "Phrase edges" in the module docstring.
PAUSE_MS = 100
REACH_MS = 1_500
DEFAULT_TITLE_CHARS = 60


class SpanError(ValueError):
    """A span the rules refuse; ``problem`` names which rule, ``message`` says it to a person."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


@dataclass(frozen=True, slots=True)
class Span:
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class Snapped:
    """A span after snapping, with the words (or cues) it holds and what they say."""

    start_ms: int
    end_ms: int
    words: tuple[Word, ...]
    text: str = ""

    @property
    def span(self) -> Span:
        return Span(self.start_ms, self.end_ms)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def clock(ms: int) -> str:
    """m:ss, or h:mm:ss from an hour on: how players show a position."""
    s = max(ms, 0) // 1000
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def check_span(start_ms: int, end_ms: int, *, episode_ms: int, max_ms: int) -> Span:
    """The span if the rules allow it, else SpanError naming the first rule it breaks."""
    if end_ms < start_ms:
        raise SpanError(
            "reversed", f"the span is reversed: end_ms ({end_ms}) is before start_ms ({start_ms})"
        )
    if end_ms == start_ms:
        raise SpanError("empty", f"the span is empty: start_ms and end_ms are both {start_ms}")
    if start_ms < 0:
        raise SpanError(
            "before_episode", f"the span starts before the episode: start_ms is {start_ms}"
        )
    if end_ms > episode_ms:
        raise SpanError(
            "after_episode",
            f"the span ends after the episode: end_ms is {end_ms}, the episode is "
            f"{episode_ms} ms long ({clock(episode_ms)})",
        )
    length = end_ms - start_ms
    if length < MIN_CLIP_MS:
        raise SpanError(
            "too_short",
            f"the span is too short: {length} ms; a clip lasts at least {MIN_CLIP_MS} ms",
        )
    if length > max_ms:
        raise SpanError(
            "too_long",
            f"the span is too long: {length} ms; a clip lasts at most {max_ms} ms "
            f"({clock(max_ms)})",
        )
    return Span(start_ms, end_ms)


@dataclass(frozen=True, slots=True)
class _Unit:
    """A word, or a whole cue when the transcript has no word timings."""

    word: Word
    segment: int


def _units(segments: Sequence[Segment]) -> list[_Unit]:
    timed = any(s.words for s in segments)
    units: list[_Unit] = []
    for i, seg in enumerate(segments):
        if timed:
            units.extend(_Unit(w, i) for w in seg.words)
        elif seg.text.strip():
            units.append(_Unit(Word(seg.start_ms, seg.end_ms, seg.text.strip()), i))
    units.sort(key=lambda u: (u.word.start_ms, u.word.end_ms))
    return units


def snap(
    span: Span,
    segments: Sequence[Segment],
    mode: Snap,
    *,
    episode_ms: int,
    max_ms: int,
    pad_ms: int = EDGE_PAD_MS,
) -> Snapped:
    """Move the span's edges to word boundaries as `mode` says (see the module docstring).

    `segments` are the transcript's segments around the span, in order; those far from it may
    be left out, as long as every segment within `pad_ms` of the span is there.
    """
    units = _units(segments)
    inside = [
        i
        for i, u in enumerate(units)
        if u.word.end_ms > span.start_ms and u.word.start_ms < span.end_ms
    ]
    if mode == "none" or not inside:
        held = [
            u
            for u in units
            if span.start_ms <= (u.word.start_ms + u.word.end_ms) // 2 < span.end_ms
        ]
        return Snapped(
            span.start_ms, span.end_ms, tuple(u.word for u in held), _text(segments, held)
        )
    first, last = inside[0], inside[-1]
    if mode == "word":
        first, last = _at_pauses(units, first, last)
    if mode == "sentence":
        wide = _sentence_bounds(units, first, last)
        if _edges(units, *wide, episode_ms, pad_ms).duration_ms <= max_ms:
            first, last = wide
    while last > first and _edges(units, first, last, episode_ms, pad_ms).duration_ms > max_ms:
        last -= 1
    edges = _edges(units, first, last, episode_ms, pad_ms)
    if edges.duration_ms > max_ms:  # one word longer than a clip may be: cut it, nothing else works
        edges = Span(edges.start_ms, edges.start_ms + max_ms)
    if edges.duration_ms < MIN_CLIP_MS:
        # the requested edges touched only these words, so widening back to them cuts none
        edges = Span(min(edges.start_ms, span.start_ms), max(edges.end_ms, span.end_ms))
    held = units[first : last + 1]
    return Snapped(edges.start_ms, edges.end_ms, tuple(u.word for u in held), _text(segments, held))


def _text(segments: Sequence[Segment], held: Sequence[_Unit]) -> str:
    """What the held words say, cut from their segments' text so that its spacing survives
    ("self-substantial" is two timed words, "self" and "-substantial", but one written one).

    Where the transcript names speakers (one voice per channel, or a publisher's transcript),
    each change of speaker is labelled, "Speaker 1: ...", as the transcript shows it."""
    pieces = []
    speaker: str | None = None
    for index in dict.fromkeys(u.segment for u in held):
        words = [u.word for u in held if u.segment == index]
        text = segments[index].text
        spans = word_spans(text, segments[index].words) if segments[index].words else None
        if spans is None:
            piece = " ".join(w.text for w in words).strip()
        else:
            position = {id(w): span for w, span in zip(segments[index].words, spans, strict=True)}
            piece = text[position[id(words[0])][0] : position[id(words[-1])][1]].strip()
        if not piece:
            continue
        if segments[index].speaker and segments[index].speaker != speaker:
            speaker = segments[index].speaker
            piece = f"{speaker}: {piece}"
        pieces.append(piece)
    return " ".join(pieces)


def _gap(units: list[_Unit], i: int) -> float:
    """The pause between unit i-1 and unit i (infinite at either end of the transcript)."""
    if i <= 0 or i >= len(units):
        return float("inf")
    return units[i].word.start_ms - units[i - 1].word.end_ms


def _at_pauses(units: list[_Unit], first: int, last: int) -> tuple[int, int]:
    """`first` and `last` moved to the nearest words with a pause on their outer side, within
    ``REACH_MS``: outwards first (the clip keeps every word asked for), else inwards (never
    past the other edge)."""
    if _gap(units, first) < PAUSE_MS:
        at = units[first].word.start_ms
        outward = [i for i in range(first - 1, -1, -1) if at - units[i].word.start_ms <= REACH_MS]
        inward = [i for i in range(first + 1, last + 1) if units[i].word.start_ms - at <= REACH_MS]
        first = next((i for i in outward + inward if _gap(units, i) >= PAUSE_MS), first)
    if _gap(units, last + 1) < PAUSE_MS:
        at = units[last].word.end_ms
        outward = [i for i in range(last + 1, len(units)) if units[i].word.end_ms - at <= REACH_MS]
        inward = [
            i for i in range(last - 1, first - 1, -1) if at - units[i].word.end_ms <= REACH_MS
        ]
        last = next((i for i in outward + inward if _gap(units, i + 1) >= PAUSE_MS), last)
    return first, last


def _sentence_bounds(units: list[_Unit], first: int, last: int) -> tuple[int, int]:
    while first > 0 and units[first - 1].segment == units[first].segment:
        first -= 1
    while last + 1 < len(units) and units[last + 1].segment == units[last].segment:
        last += 1
    return first, last


def _edges(units: list[_Unit], first: int, last: int, episode_ms: int, pad_ms: int) -> Span:
    # the middle of the pause before the first word (the previous word's end, if the file's
    # start), at most `pad_ms` before the word but at least the fade's length if the pause
    # has room, so that the fade-in is over before the word begins; likewise after the last
    start = units[first].word.start_ms
    floor = min(units[first - 1].word.end_ms, start) if first > 0 else start - 2 * pad_ms
    lead = min(pad_ms, max((start - floor) // 2, min(FADE_MS, start - floor)))
    start = max(start - lead, 0)
    end = max(u.word.end_ms for u in units[first : last + 1])
    ceiling = max(units[last + 1].word.start_ms, end) if last + 1 < len(units) else end + 2 * pad_ms
    tail = min(pad_ms, max((ceiling - end + 1) // 2, min(FADE_MS, ceiling - end)))
    end = min(end + tail, episode_ms)
    return Span(start, max(end, start))


def default_title(words: Sequence[Word], limit: int = DEFAULT_TITLE_CHARS) -> str:
    """The clip's first words, cut at a word boundary near `limit` characters."""
    title = ""
    for w in words:
        candidate = f"{title} {w.text}".strip()
        if len(candidate) > limit and title:
            return title.rstrip(",;:-–—") + "…"
        title = candidate
    return title[:TITLE_MAX_CHARS]


def clamp_title(title: str) -> str:
    """Titles come from people and feeds: one line, trimmed, at most TITLE_MAX_CHARS."""
    one_line = " ".join(title.split())
    if len(one_line) <= TITLE_MAX_CHARS:
        return one_line
    return one_line[: TITLE_MAX_CHARS - 1].rstrip() + "…"
