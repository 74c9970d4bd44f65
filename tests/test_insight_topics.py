"""Topics, titles and chapters on real transcripts (no database, no model)."""

from __future__ import annotations

import itertools
import json

from soundbite.ingest.chapters import Chapter, parse_chapters_json
from soundbite.insight.analyze import analyze
from soundbite.insight.chapters import choose, generated_chapters, json_chapters
from soundbite.insight.keywords import MAX_TITLE
from soundbite.insight.sentences import split_sentences, timed_words
from soundbite.insight.topics import segment
from tests.test_insight_support import (
    DATA,
    concat,
    pieces,
    podcast_tips,
    srt_transcript,
    tips_topic_starts,
)


def test_a_change_of_subject_between_two_transcripts_is_found() -> None:
    by_name = {p.name: p.transcript for p in pieces()}
    # three minutes of a podcast on templates and show notes, then a sonnet read aloud
    podcast = concat([by_name["tips: Templates"], by_name["tips: Show notes"]])[0]
    doc, (_, join) = concat([podcast, by_name["sonnet 1"]])
    sentences = split_sentences(timed_words(doc))
    found = [sentences[a].start_ms for a, _ in segment(sentences)[1:]]
    assert any(abs(f - join) <= 10_000 for f in found), (join, found)
    assert len(found) <= 3, "and not many more"


def test_topics_tile_the_episode_with_short_extractive_titles() -> None:
    tips = podcast_tips()
    result = analyze(tips)
    topics = result.topics
    assert 6 <= len(topics) <= 14
    assert topics[0].start_ms == result.sentences[0].start_ms
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(topics))
    sentence_starts = {s.start_ms for s in result.sentences}
    assert all(t.start_ms in sentence_starts for t in topics), "topics start at sentences"
    text = tips.text.lower()
    for topic in topics:
        assert 0 < len(topic.title) <= MAX_TITLE
        assert topic.keywords and all(k.lower() in text for k in topic.keywords)
    # most labelled topic changes are found within 30 s
    labelled = tips_topic_starts(tips)[1:]
    near = [any(abs(t.start_ms - b) <= 30_000 for t in topics) for b in labelled]
    assert sum(near) >= 7, near
    titles = " | ".join(t.title.lower() for t in topics)
    assert "show notes" in titles and "podcast website" in titles


def test_generated_chapters_export_as_podcasting_2_json_chapters() -> None:
    topics = [
        {"start_ms": 2_500, "end_ms": 61_250, "title": "Intro"},
        {"start_ms": 61_250, "end_ms": 120_000, "title": "Show notes"},
    ]
    chapters = generated_chapters(topics)
    doc = json_chapters(chapters, title="Ep. 1")
    assert doc["version"] == "1.2.0" and doc["title"] == "Ep. 1"
    assert doc["chapters"][0] == {"startTime": 0, "endTime": 61.25, "title": "Intro"}
    # our own parser reads it back: the export is what players and our importer expect
    again = parse_chapters_json(json.dumps(doc).encode())
    assert [(c.start_ms, c.title) for c in again] == [(0, "Intro"), (61_250, "Show notes")]


def test_publisher_chapters_win_unless_generated_ones_are_asked_for() -> None:
    publisher = [Chapter(0, "Cold open"), Chapter(90_000, "Interview")]
    generated = [Chapter(0, "Podcast intro")]
    assert choose("auto", publisher, generated) == ("publisher", publisher)
    assert choose("auto", [], generated) == ("generated", generated)
    assert choose("generated", publisher, generated) == ("generated", generated)
    assert choose("publisher", [], generated) == ("publisher", [])


def test_short_and_unpunctuated_transcripts_still_analyse() -> None:
    sonnet = srt_transcript(DATA / "sonnet001.srt")
    result = analyze(sonnet)
    assert len(result.topics) == 1 and result.topics[0].title
    empty = analyze(concat([sonnet])[0].__class__("en", (), "publisher"))
    assert (empty.topics, empty.highlights) == ([], [])
