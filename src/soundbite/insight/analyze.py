"""The analysis of one episode: transcript (and loudness) in, topics and highlights out.

This is the pure half of the ``analyze`` pipeline stage (``jobs/analysis.py`` does the I/O).
It reports progress between its steps; each step is fast (an hour of speech takes well under
a second, measured by bench/segmentation.py), so finer reporting would only cost writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from soundbite.domain.progress import ProgressFn, no_progress
from soundbite.domain.transcript import Transcript
from soundbite.insight.audio import Loudness
from soundbite.insight.highlights import Highlight, HighlightOptions, detect_highlights
from soundbite.insight.keywords import describe_topics
from soundbite.insight.sentences import Sentence, SentenceOptions, split_sentences, timed_words
from soundbite.insight.topics import Topic, TopicOptions, segment


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    sentences: SentenceOptions = field(default_factory=SentenceOptions)
    topics: TopicOptions = field(default_factory=TopicOptions)
    highlights: HighlightOptions = field(default_factory=HighlightOptions)


@dataclass(frozen=True, slots=True)
class Analysis:
    sentences: list[Sentence]
    topics: list[Topic]
    highlights: list[Highlight]


def sentence_speakers(transcript: Transcript, sentences: list[Sentence]) -> list[str | None]:
    """The speaker of each sentence's first word, when the transcript names speakers."""
    speakers: list[str | None] = []
    for seg in transcript.segments:
        # counted as timed_words counts them
        n = sum(1 for w in seg.words if w.text.strip()) if seg.words else len(seg.text.split())
        speakers.extend([seg.speaker] * n)
    return [speakers[s.first_word] if s.first_word < len(speakers) else None for s in sentences]


def analyze(
    transcript: Transcript,
    loudness: Loudness | None = None,
    options: AnalysisOptions | None = None,
    progress: ProgressFn = no_progress,
) -> Analysis:
    opts = options or AnalysisOptions()
    progress(5, "finding sentences")
    sentences = split_sentences(timed_words(transcript), opts.sentences)
    if not sentences:
        return Analysis([], [], [])
    progress(20, "finding topics")
    speakers = sentence_speakers(transcript, sentences)
    ranges = segment(sentences, opts.topics, speakers if any(speakers) else None)
    topics = describe_topics(sentences, ranges)
    progress(50, "scoring highlight candidates")
    highlights = detect_highlights(sentences, topics, loudness, opts.highlights)
    progress(95, f"{len(topics)} topics, {len(highlights)} highlights")
    return Analysis(sentences, topics, highlights)
