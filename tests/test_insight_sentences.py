"""Sentence ends restored in transcripts without punctuation (auto-captions), and what
highlights make of them: real text from tests/data, its punctuation taken away."""

from __future__ import annotations

import re

from soundbite.domain.transcript import Segment, Transcript, Word, ends_sentence
from soundbite.insight.analyze import analyze
from soundbite.insight.boundaries import lacks_punctuation, norm
from soundbite.insight.sentences import split_sentences, timed_words
from tests.test_insight_support import DATA, concat, podcast_tips, segment_of, stm_transcript


def unpunctuated(transcript: Transcript) -> tuple[Transcript, set[int]]:
    """The transcript as auto-captions give it (lower case, no punctuation, same times), and
    the indices of the words that ended a sentence in the original."""
    ends, segments, n = set(), [], 0
    for seg in transcript.segments:
        words = []
        for w in seg.words:
            if ends_sentence(w.text):
                ends.add(n)
            words.append(Word(w.start_ms, w.end_ms, norm(w.text) or w.text.lower()))
            n += 1
        segments.append(
            Segment(
                seg.start_ms, seg.end_ms, " ".join(w.text for w in words), tuple(words), seg.speaker
            )
        )
    return Transcript("en", tuple(segments), "publisher"), ends - {n - 1}


def f1(found: set[int], gold: set[int]) -> float:
    hits = len(found & gold)
    return 2 * hits / (len(found) + len(gold))


def test_sentence_ends_come_back_where_the_original_had_them() -> None:
    tips = podcast_tips()
    bare, gold = unpunctuated(tips)
    assert not lacks_punctuation(timed_words(tips)) and lacks_punctuation(timed_words(bare))
    sentences = split_sentences(timed_words(bare))
    found = {s.end_word - 1 for s in sentences[:-1]}
    # pauses alone (every gap of 500 ms or more) find 6% of them; the words find half
    words = timed_words(bare)
    pauses = {i for i in range(len(words) - 1) if words[i + 1].start_ms - words[i].end_ms >= 500}
    assert f1(found, gold) >= 0.42, f1(found, gold)
    assert f1(found, gold) >= 3 * f1(pauses, gold)
    assert 0.6 <= len(found) / len(gold) <= 1.6, "about as many sentences as the original"
    # restored sentences read as sentences: a capital, a full stop or a question mark
    assert all(s.text[0].isupper() and s.text[-1] in ".?" for s in sentences)
    # a change of speaker always ends one (the phone call names its two speakers)
    call, _ = unpunctuated(stm_transcript(DATA / "phone_call.stm"))
    speakers = [s.speaker for s in call.segments for _ in s.words]
    turns = {i for i in range(len(speakers) - 1) if speakers[i] != speakers[i + 1]}
    call_sentences = split_sentences(timed_words(call), speakers=speakers)
    assert turns <= {s.end_word - 1 for s in call_sentences}


def test_highlights_of_an_unpunctuated_transcript_start_where_sentences_start() -> None:
    bare, gold = unpunctuated(podcast_tips())
    result = analyze(bare)
    assert len(result.highlights) == 5
    first_words = {s.start_ms: s.first_word for s in result.sentences}
    true_starts = {i + 1 for i in gold} | {0}
    starts = [first_words[h.start_ms] for h in result.highlights]  # each on a restored start
    on_true = [any(abs(w - t) <= 1 for t in true_starts) for w in starts]
    titles = [h.title for h in result.highlights]
    assert sum(on_true) >= 4, list(zip(starts, on_true, titles, strict=True))
    for h in result.highlights:
        assert h.text[0].isupper() and h.text.rstrip()[-1] in ".?", h.text


def test_a_run_of_figures_is_never_a_highlight() -> None:
    tips = podcast_tips()
    # 40 s of percentages read out: the "claim" cue (figures, "percent") fires on every one
    figures = "25 percent, 40 percent, 60 percent, 75 percent, 90 percent, 95 percent."
    run = Transcript(
        "en", tuple(segment_of(figures, t, t + 5_000) for t in range(0, 40_000, 5_000))
    )
    half = len(tips.segments) // 2
    first = Transcript("en", tips.segments[:half])
    second = Transcript("en", tips.segments[half:])
    doc, starts = concat([first, run, second], gap_ms=1_000)
    a, b = starts[1], starts[2]
    result = analyze(doc)
    assert len(result.highlights) >= 5
    for h in result.highlights:
        assert h.end_ms <= a or h.start_ms >= b, f"a run of figures was suggested: {h.text}"


def test_reasons_quote_the_moment_in_its_own_words() -> None:
    for transcript in (podcast_tips(), unpunctuated(podcast_tips())[0]):
        for h in analyze(transcript).highlights:
            assert "key point about" not in h.reason and "strong claim about" not in h.reason
            quoted = re.search(r"\u201c(.+?)\u2026?\u201d", h.reason)
            assert quoted, h.reason
            said = " ".join(norm(w) for w in h.text.split())
            assert " ".join(norm(w) for w in quoted.group(1).split()) in said, h.reason
            title = " ".join(norm(w) for w in h.title.rstrip("…").split())
            assert title and title in said, h.title
