"""The analysis of one episode: transcript (and loudness) in, chapters, topics, highlights and
a summary out.

The outline has two levels: chapters (outline.py), a few per hour, for a listener skimming the
episode, and inside them topics (topics.py), a minute or two each, for search and highlights.

This is the pure half of the ``analyze`` pipeline stage (``jobs/analysis.py`` does the I/O).
It reports progress between its steps; each lexical step is fast (an hour of speech takes well
under a second, measured by bench/segmentation.py), so finer reporting would only cost writes.
With the ``semantic`` extra, embedding the sentences comes first and is the slow step (see
bench/chapters.py for its time per hour of speech). So is a writer (a language model,
insight/llm.py): about a second a text on a small local model, a chapter title each, a reason
and a clip title per highlight, and the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from soundbite.domain.progress import ProgressFn, no_progress
from soundbite.domain.transcript import Transcript
from soundbite.ingest.chapters import Chapter
from soundbite.insight import embeddings
from soundbite.insight.audio import Loudness
from soundbite.insight.highlights import (
    Highlight,
    HighlightOptions,
    ReplayCurve,
    detect_highlights,
)
from soundbite.insight.keywords import describe_topics
from soundbite.insight.outline import ChapterOptions, chapter_ranges, nest
from soundbite.insight.sentences import (
    Sentence,
    SentenceOptions,
    split_sentences,
    timed_words,
    word_speakers,
)
from soundbite.insight.summary import summarize
from soundbite.insight.titles import TitleWriter, chapter_titles
from soundbite.insight.topics import Topic, TopicOptions, segment
from soundbite.insight.writing import Writer, written_highlights


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    sentences: SentenceOptions = field(default_factory=SentenceOptions)
    chapters: ChapterOptions = field(default_factory=ChapterOptions)
    topics: TopicOptions = field(default_factory=TopicOptions)
    highlights: HighlightOptions = field(default_factory=HighlightOptions)
    # sentence embeddings for chapters and their titles (needs the `semantic` extra). Off by
    # default: on SliceCast they did not beat the lexical chapters (bench/chapters.py), and
    # they cost the embedding of every sentence
    semantic: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    sentences: list[Sentence]
    chapters: list[Chapter]
    topics: list[Topic]
    highlights: list[Highlight]
    summary: str = ""
    summary_source: str = "transcript"  # or "model": who wrote the summary


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
    titles: TitleWriter | None = None,
    replays: ReplayCurve | None = None,
    writer: Writer | None = None,
) -> Analysis:
    """`writer` (a language model) may write chapter titles, the summary and highlight
    reasons, and `titles` chapter titles alone; the lexical ones stand in for whatever they do
    not write. `replays` is the episode's "most replayed" curve, once listeners have made
    one."""
    if titles is None and writer is not None:
        titles = writer.title
    opts = options or AnalysisOptions()
    progress(5, "finding sentences")
    sentences = split_sentences(timed_words(transcript), opts.sentences, word_speakers(transcript))
    if not sentences:
        return Analysis([], [], [], [])
    found = sentence_speakers(transcript, sentences)
    speakers = found if any(found) else None
    vectors = None
    if opts.semantic and embeddings.installed():
        progress(10, "embedding sentences")
        vectors = embeddings.embed([s.text for s in sentences])
    progress(15, "finding chapters")
    parts = chapter_ranges(sentences, speakers, opts.chapters, vectors)
    chapter_names = chapter_titles(sentences, parts, titles, vectors)
    chapters = _chapters(sentences, parts, chapter_names)
    progress(30, "finding topics")
    fine = segment(sentences, opts.topics, speakers)
    nested = nest(fine, parts, sentences, opts.topics.min_topic_ms)
    topics = describe_topics(sentences, nested, titles=chapter_titles(sentences, nested))
    progress(50, "scoring highlight candidates")
    highlights = detect_highlights(sentences, topics, loudness, opts.highlights, replays)
    if writer is not None:
        progress(70, "writing highlight reasons and titles, and the summary")
        highlights = written_highlights(highlights, writer)
    summary, source = summarize(
        sentences, parts, chapter_names, writer.summary if writer is not None else None
    )
    progress(95, f"{len(chapters)} chapters, {len(topics)} topics, {len(highlights)} highlights")
    return Analysis(sentences, chapters, topics, highlights, summary, source)


def _chapters(
    sentences: list[Sentence], parts: list[tuple[int, int]], titles: list[str]
) -> list[Chapter]:
    """Chapters that cover the episode: the first from 0, each to where the next begins."""
    starts = [0 if n == 0 else sentences[a].start_ms for n, (a, _) in enumerate(parts)]
    ends = [*starts[1:], sentences[-1].end_ms]
    return [
        Chapter(start_ms=s, end_ms=e, title=t) for s, e, t in zip(starts, ends, titles, strict=True)
    ]
