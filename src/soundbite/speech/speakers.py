"""Who said each part of a transcript, given who spoke when (speaker turns from diarization).

Diarization says "speaker A from 7.6 s to 9.9 s"; the transcript says which words were said
when. Each word gets the speaker whose turns overlap it most, and a segment is split where its
words change speaker, because one Whisper sentence can hold a quick "Hello?" "Oh, hello." of two
people. Segments without word timings (some publisher transcripts) get the speaker with the
most overlap over the whole segment. Pure: no audio, no model.

Labels are "Speaker 1", "Speaker 2"... in order of first appearance (the convention of the
two-channel path, speech/channels.py), so the person who opens the show is "Speaker 1" and a
creator renames them once (PUT /api/episodes/{id}/speakers).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

from soundbite.domain.transcript import Segment, Transcript, Word, word_spans


@dataclass(frozen=True, slots=True)
class Turn:
    """One stretch of one voice: the diarizer's raw label, which `label_speakers` renames."""

    start_ms: int
    end_ms: int
    speaker: str


# A word outside every turn (the diarizer's VAD missed it) takes the nearest turn within this
# distance; farther away it keeps the speaker of the word before it.
NEAREST_MS = 1_000


def label_speakers(transcript: Transcript, turns: Sequence[Turn]) -> Transcript:
    """The transcript with every segment's speaker set from `turns`. With fewer than two
    voices found, the transcript comes back unchanged: a label on a monologue says nothing."""
    turns = sorted((t for t in turns if t.end_ms > t.start_ms), key=lambda t: t.start_ms)
    if len({t.speaker for t in turns}) < 2:
        return transcript
    lookup = _Turns(turns)
    segments: list[Segment] = []
    previous: str | None = None
    for segment in transcript.segments:
        if not segment.words:
            previous = lookup.speaker(segment.start_ms, segment.end_ms) or previous
            segments.append(replace(segment, speaker=previous))
            continue
        speakers = []
        for word in segment.words:
            previous = lookup.speaker(word.start_ms, word.end_ms) or previous
            speakers.append(previous)
        segments.extend(_split(segment, speakers))
    names = _display_names([s.speaker for s in segments])
    return replace(
        transcript,
        segments=tuple(replace(s, speaker=names.get(s.speaker or "")) for s in segments),
    )


def has_speakers(transcript: Transcript) -> bool:
    return any(s.speaker for s in transcript.segments)


class _Turns:
    def __init__(self, turns: Sequence[Turn]) -> None:
        self._turns = turns
        self._starts = [t.start_ms for t in turns]
        # turns may overlap (two people at once), so a turn that started long ago may still run
        self._longest = max(t.end_ms - t.start_ms for t in turns)

    def speaker(self, start_ms: int, end_ms: int) -> str | None:
        end_ms = max(end_ms, start_ms + 1)
        first = bisect.bisect_left(self._starts, start_ms - self._longest)
        last = bisect.bisect_right(self._starts, end_ms)
        overlap: dict[str, int] = {}
        for turn in self._turns[first:last]:
            shared = min(end_ms, turn.end_ms) - max(start_ms, turn.start_ms)
            if shared > 0:
                overlap[turn.speaker] = overlap.get(turn.speaker, 0) + shared
        if overlap:
            return max(overlap, key=lambda who: overlap[who])
        return self._nearest(start_ms, end_ms)

    def _nearest(self, start_ms: int, end_ms: int) -> str | None:
        at = bisect.bisect_left(self._starts, start_ms)
        best, best_gap = None, NEAREST_MS + 1
        for turn in self._turns[max(0, at - 1) : at + 1]:
            gap = max(turn.start_ms - end_ms, start_ms - turn.end_ms)
            if 0 <= gap < best_gap:
                best, best_gap = turn.speaker, gap
        return best


def _split(segment: Segment, speakers: list[str | None]) -> list[Segment]:
    """The segment cut where its words change speaker, each piece keeping its own text."""
    spans = word_spans(segment.text, segment.words)
    pieces: list[Segment] = []
    start = 0
    for i in range(1, len(speakers) + 1):
        if i < len(speakers) and speakers[i] == speakers[start]:
            continue
        words = segment.words[start:i]
        pieces.append(
            Segment(
                words[0].start_ms if pieces else segment.start_ms,
                words[-1].end_ms if i < len(speakers) else segment.end_ms,
                _text(segment.text, words, spans[start:i] if spans else None),
                words,
                speakers[start],
            )
        )
        start = i
    return pieces


def _text(text: str, words: Sequence[Word], spans: list[tuple[int, int]] | None) -> str:
    if spans is None:
        return " ".join(w.text for w in words)
    return text[spans[0][0] : spans[-1][1]].strip()


def _display_names(raw: Sequence[str | None]) -> dict[str, str]:
    names: dict[str, str] = {}
    for who in raw:
        if who and who not in names:
            names[who] = f"Speaker {len(names) + 1}"
    return names
