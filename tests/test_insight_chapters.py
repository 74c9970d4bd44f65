"""Generated chapters: a few an hour on long shows, at pauses and speaker changes, with titles
that are noun phrases (no database, no model).

The long transcripts are real: two Tim Ferriss Show episodes from SliceCast (in the shared data
beside the repository, see bench/chapters.py), read at 150 words a minute, and the project's
own 12.5-minute tips episode with its three speakers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from soundbite.insight.analyze import analyze, sentence_speakers
from soundbite.insight.keywords import MAX_TITLE
from soundbite.insight.outline import cues
from soundbite.insight.phrases import noun_phrases
from soundbite.insight.titles import TitleRequest, chapter_titles
from soundbite.insight.topics import segment
from tests.test_insight_support import concat, podcast_tips

REPO = Path(__file__).resolve().parents[1]
SLICECAST = REPO.parent / "shared" / "data" / "slicecast"


def _slicecast(*names: str):  # type: ignore[no-untyped-def]
    if not SLICECAST.is_dir():
        pytest.skip(f"the shared SliceCast transcripts are not at {SLICECAST}")
    sys.path.insert(0, str(REPO))
    from bench.chapters import load

    episodes = [load(SLICECAST / f"{name}.txt") for name in names]
    transcript, offsets = concat([e.transcript for e in episodes])
    starts = [o + s for o, e in zip(offsets, episodes, strict=True) for s in e.starts]
    return transcript, starts


def test_a_three_hour_interview_gets_chapters_minutes_apart_not_every_ninety_seconds() -> None:
    transcript, creators = _slicecast("tim350", "tim360")
    result = analyze(transcript)
    minutes = result.sentences[-1].end_ms / 60_000
    chapters = result.chapters
    assert minutes > 180
    # the old generated chapters were the topics themselves: one every ~90 s
    fine = segment(result.sentences)
    assert len(fine) > minutes / 2.5
    assert len(chapters) <= len(fine) / 3
    lengths = [(c.end_ms or 0) - c.start_ms for c in chapters]
    assert min(lengths) >= 120_000
    assert 4 * 60_000 <= sorted(lengths)[len(lengths) // 2] <= 15 * 60_000
    # as many as the creators made, give or take a factor of two (they made 50 here)
    assert 0.5 <= len(chapters) / len(creators) <= 2, (len(chapters), len(creators))
    # and topics nest inside chapters: every chapter starts a topic
    topic_starts = {t.start_ms for t in result.topics}
    assert all(c.start_ms in topic_starts for c in chapters[1:])


def test_chapter_titles_are_noun_phrases_not_keyword_pairs() -> None:
    transcript, _ = _slicecast("tim360")
    tips = podcast_tips(keep_speakers=True)
    for episode in (transcript, tips):
        chapters = analyze(episode).chapters
        text = episode.text.lower()
        for chapter in chapters:
            title = chapter.title
            assert 0 < len(title) <= MAX_TITLE, title
            assert "," not in title, f"a keyword list, not a title: {title!r}"
            assert 1 <= len(title.split()) <= 9, title
            words = [w for w in title.lower().split() if w != "and"]
            assert all(w in text for w in words), title
            # one noun phrase, or two joined by "and": the tagger reads each as ending in a noun
            for part in title.split(" and "):
                last = part.split()[-1].lower()
                phrases = noun_phrases(part)
                assert any(p.text.lower().split()[-1] == last for p in phrases), title


def test_chapter_starts_prefer_a_change_of_speaker_or_a_pause() -> None:
    tips = podcast_tips(keep_speakers=True)
    looped, _ = concat([tips, tips, tips], gap_ms=0)
    result = analyze(looped)
    sentences = result.sentences
    cue = cues(sentences, sentence_speakers(looped, sentences), 1500)
    index = {s.start_ms: i for i, s in enumerate(sentences)}
    at_chapters = [cue[index[c.start_ms]] > 0 for c in result.chapters[1:]]
    base_rate = sum(c > 0 for c in cue) / len(cue)
    assert at_chapters and base_rate < 0.1
    # without snapping, chapter starts would be cued about as often as any sentence start
    assert sum(at_chapters) / len(at_chapters) >= 3 * base_rate, (at_chapters, base_rate)


def test_a_title_writer_is_used_when_it_answers_and_the_lexical_title_stands_otherwise() -> None:
    tips = podcast_tips()
    sentences = analyze(tips).sentences
    ranges = [(0, len(sentences) // 2), (len(sentences) // 2, len(sentences))]
    lexical = chapter_titles(sentences, ranges)
    seen: list[TitleRequest] = []

    def writer(request: TitleRequest) -> str | None:
        seen.append(request)
        if request.position == 0:
            return f"  Part one: {request.phrases[0]}  "
        raise ConnectionError("the endpoint is down")

    written = chapter_titles(sentences, ranges, writer)
    assert [r.count for r in seen] == [2, 2] and seen[0].lexical == lexical[0]
    assert written[0].startswith("Part one: ") and written[1] == lexical[1]

    def rambling(request: TitleRequest) -> str:
        return "Here is a title for the chapter:\n" + request.lexical * 5

    assert chapter_titles(sentences, ranges, rambling) == lexical


def test_with_sentence_embeddings_chapters_stay_sensible_and_titles_name_the_centre() -> None:
    """The `semantic` extra's path (off by default; skipped when the extra is absent)."""
    from soundbite.insight import embeddings
    from soundbite.insight.analyze import AnalysisOptions
    from soundbite.insight.titles import central_phrases, ranked_phrases

    if not embeddings.installed():
        pytest.skip("the `semantic` extra (torch, sentence-transformers) is absent")
    tips = podcast_tips(keep_speakers=True)
    looped, _ = concat([tips, tips], gap_ms=0)
    lexical = analyze(looped)
    result = analyze(looped, options=AnalysisOptions(semantic=True))
    # 25 minutes of ten tips each: chapters of a tip or more, never slivers, and about as
    # many as the lexical method makes (give or take a factor of two)
    assert 2 <= len(result.chapters) <= 12
    assert 0.5 <= len(result.chapters) / len(lexical.chapters) <= 2, len(lexical.chapters)
    assert all((c.end_ms or 0) - c.start_ms >= 120_000 for c in result.chapters)
    sentences = result.sentences
    vectors = embeddings.embed([s.text for s in sentences])
    ranges = [(0, len(sentences) // 2), (len(sentences) // 2, len(sentences))]
    ranked = ranked_phrases(sentences, ranges)
    central = central_phrases(sentences, ranges, ranked, vectors)
    titles = chapter_titles(sentences, ranges, vectors=vectors)
    assert titles != chapter_titles(sentences, ranges) or all(p for p in central)
    for title, phrase, phrases in zip(titles, central, ranked, strict=True):
        # a single short noun phrase of the chapter, the one nearest its meaning
        assert phrase is not None and title.lower() == phrase.text.lower()
        assert " and " not in title and 0 < len(title) <= MAX_TITLE
        assert phrase in phrases
