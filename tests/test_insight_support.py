"""Transcripts for the insight and search tests and benches (this module holds no tests).

Built from real speech in tests/data/insight (see SOURCES.md there) with the timings the files
carry: SRT cues and STM utterances are real times, and a cue's words are spread evenly over it,
as a player would. No Whisper model is needed.

- :func:`podcast_tips` is the Podcasting 2.0 example transcript (12.5 min, 11 topics labelled
  in labels.json);
- :func:`pieces` cuts it into its topics and adds the other recordings (a sonnet, a phone call,
  JFK, a LibriSpeech sentence): each piece is about one thing;
- :func:`shuffled_documents` concatenates random pieces in random order (Choi 2000's recipe for
  segmentation data: boundaries are known because we made them).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import srt
from sqlalchemy import select

from soundbite.bootstrap import Soundbite
from soundbite.domain.pipeline import ANALYZE, INDEX
from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.store.models import Episode, Job, Podcast
from soundbite.store.transcripts import save_transcript
from tests.pipeline_support import run_pipeline

DATA = Path(__file__).parent / "data" / "insight"
LABELS = json.loads((DATA / "labels.json").read_text())
_SPEAKER = re.compile(r"^([A-Z][a-z]+):\s+")


@dataclass(frozen=True)
class Piece:
    name: str
    transcript: Transcript  # starts at 0 ms

    @property
    def duration_ms(self) -> int:
        return self.transcript.segments[-1].end_ms


def _even_words(text: str, start_ms: int, end_ms: int) -> tuple[Word, ...]:
    parts: list[str] = []
    for part in text.split():
        if parts and not any(c.isalnum() for c in part):
            parts[-1] += part  # "podcast ." -> "podcast."
        else:
            parts.append(part)
    span = max(end_ms - start_ms, len(parts))
    return tuple(
        Word(start_ms + span * i // len(parts), start_ms + span * (i + 1) // len(parts), p)
        for i, p in enumerate(parts)
    )


def segment_of(text: str, start_ms: int, end_ms: int, speaker: str | None = None) -> Segment:
    words = _even_words(text, start_ms, end_ms)
    return Segment(start_ms, end_ms, " ".join(w.text for w in words), words, speaker)


def text_transcript(text: str, duration_ms: int, source: str = "publisher") -> Transcript:
    """Plain text read evenly over `duration_ms`, one segment per line."""
    lines = [line for line in text.splitlines() if line.strip()]
    total = sum(len(line.split()) for line in lines)
    segments, t = [], 0
    for line in lines:
        end = t + duration_ms * len(line.split()) // total
        segments.append(segment_of(line, t, end))
        t = end
    return Transcript("en", tuple(segments), source)


def srt_transcript(path: Path, keep_speakers: bool = False) -> Transcript:
    segments, speaker = [], None
    for cue in srt.parse(path.read_text()):
        text = " ".join(cue.content.split())
        match = _SPEAKER.match(text)
        if match:
            speaker, text = match.group(1), text[match.end() :]
        start = int(cue.start.total_seconds() * 1000)
        end = int(cue.end.total_seconds() * 1000)
        segments.append(segment_of(text, start, end, speaker if keep_speakers else None))
    return Transcript("en", tuple(segments), "publisher")


def stm_transcript(path: Path) -> Transcript:
    segments = []
    for line in path.read_text().splitlines():
        _, _, speaker, start, end, text = line.split(maxsplit=5)
        segments.append(segment_of(text, int(float(start) * 1000), int(float(end) * 1000), speaker))
    return Transcript("en", tuple(segments), "publisher")


def shift(transcript: Transcript, offset_ms: int) -> Transcript:
    def move(w: Word) -> Word:
        return Word(w.start_ms + offset_ms, w.end_ms + offset_ms, w.text, w.probability)

    return Transcript(
        transcript.language,
        tuple(
            Segment(
                s.start_ms + offset_ms,
                s.end_ms + offset_ms,
                s.text,
                tuple(move(w) for w in s.words),
                s.speaker,
            )
            for s in transcript.segments
        ),
        transcript.source,
    )


def concat(parts: list[Transcript], gap_ms: int = 0) -> tuple[Transcript, list[int]]:
    """Parts one after another; returns the transcript and the start time of each part."""
    segments: list[Segment] = []
    starts, t = [], 0
    for part in parts:
        first = part.segments[0].start_ms
        moved = shift(part, t - first)
        starts.append(t)
        segments.extend(moved.segments)
        t = moved.segments[-1].end_ms + gap_ms
    return Transcript("en", tuple(segments), "publisher"), starts


def podcast_tips(keep_speakers: bool = False) -> Transcript:
    return srt_transcript(DATA / "podcast_tips.srt", keep_speakers)


def find_word(words: list[Word], phrase: str) -> int:
    """Index of the word where `phrase` starts (punctuation and case ignored)."""

    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9' ]", "", s.lower())

    want = norm(phrase).split()
    have = [norm(w.text) for w in words]
    for i in range(len(have) - len(want) + 1):
        if have[i : i + len(want)] == want:
            return i
    raise LookupError(phrase)


def tips_topic_starts(transcript: Transcript) -> list[int]:
    """Start times (ms) of the labelled topics of podcast_tips, the first at 0."""
    words = transcript.words
    topics = LABELS["podcast_tips"]["topics"]
    return [words[find_word(words, t["starts_with"])].start_ms for t in topics]


def _cut(transcript: Transcript, start_ms: int, end_ms: int) -> Transcript:
    words = [w for w in transcript.words if start_ms <= w.start_ms < end_ms]
    segments, chunk = [], 12  # re-segment into ~12-word segments, like Whisper's
    for i in range(0, len(words), chunk):
        ws = tuple(words[i : i + chunk])
        segments.append(Segment(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws))
    return shift(Transcript("en", tuple(segments), "publisher"), -start_ms)


def pieces() -> list[Piece]:
    tips = podcast_tips()
    starts = tips_topic_starts(tips)
    ends = [*starts[1:], tips.segments[-1].end_ms + 1]
    titles = [t["title"] for t in LABELS["podcast_tips"]["topics"]]
    out = [
        Piece(f"tips: {t}", _cut(tips, a, b)) for t, a, b in zip(titles, starts, ends, strict=True)
    ]
    out.append(Piece("sonnet 1", srt_transcript(DATA / "sonnet001.srt")))
    call = stm_transcript(DATA / "phone_call.stm")
    out.append(Piece("phone call", shift(call, -call.segments[0].start_ms)))
    return out


def shuffled_documents(
    n: int, seed: int = 7, per_doc: tuple[int, int] = (5, 9)
) -> list[tuple[Transcript, list[int]]]:
    """`n` documents of random pieces in random order, with the start time of each piece."""
    rng = random.Random(seed)
    pool = pieces()
    docs = []
    for _ in range(n):
        chosen = rng.sample(pool, rng.randint(*per_doc))
        docs.append(concat([p.transcript for p in chosen]))
    return docs


def add_episode(
    app: Soundbite,
    owner_id: int,
    transcript: Transcript,
    *,
    title: str = "Ten things",
    podcast_id: int | None = None,
    published_at: datetime | None = None,
) -> tuple[int, int]:
    """An episode (in a new podcast unless one is given) with this transcript saved.
    Returns (podcast id, episode id)."""
    with app.db.write() as s:
        if podcast_id is None:
            podcast = Podcast(owner_id=owner_id, title=f"Podcast of {title}")
            s.add(podcast)
            s.flush()
            podcast_id = podcast.id
        episode = Episode(
            owner_id=owner_id,
            podcast_id=podcast_id,
            guid=title,
            title=title,
            published_at=published_at,
        )
        s.add(episode)
        s.flush()
        save_transcript(s, episode.id, transcript, None)
        return podcast_id, episode.id


def process(app: Soundbite, *episode_ids: int) -> None:
    """Run the analyze and index stages for these episodes, as the worker pool does."""
    for episode_id in episode_ids:
        app.queue.enqueue(episode_id, [ANALYZE, INDEX])
    run_pipeline(app)
    with app.db.read() as s:
        failed = s.scalars(select(Job).where(Job.state != "done")).all()
    assert not failed, [(j.stage, j.state, j.error) for j in failed]
