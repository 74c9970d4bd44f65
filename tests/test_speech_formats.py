"""Transcript formats: the publishers' examples from the Podcasting 2.0 namespace, round trips
through our own writers, and the inputs we must refuse with a reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.errors import TranscriptError
from soundbite.speech.formats import (
    CUE_CHARS,
    CUE_MAX_MS,
    FORMATS,
    parse_transcript,
    to_podcast_json,
    to_srt,
    to_text,
    to_vtt,
)

EXAMPLES = Path(__file__).parent / "data" / "transcripts"


def _example(name: str) -> Transcript:
    return parse_transcript((EXAMPLES / name).read_bytes(), filename=name)


def test_vtt_example_voices_and_entities() -> None:
    t = _example("example.vtt")
    assert t.source == "publisher" and not t.has_word_timings
    assert len(t.segments) == 7
    assert t.segments[0] == Segment(
        0, 2760, "In today's episode, you'll learn whether or not you", (), "Sarah"
    )
    assert "Podcasting Q&A, where" in t.segments[2].text
    assert [s.speaker for s in t.segments] == ["Sarah"] * 5 + ["Gillian"] * 2
    assert t.segments[-1].end_ms == 25_350


def test_srt_example_speaker_labels_carry_forward() -> None:
    t = _example("example.srt")
    assert len(t.segments) == 222 and not t.has_word_timings
    first = t.segments[0]
    assert (first.start_ms, first.end_ms, first.speaker) == (179, 2399, "Travis")
    assert first.text == "When you first get started in podcasting, it's"
    assert t.segments[1].speaker == "Travis"  # no label in the cue: still Travis
    assert t.segments[17].speaker == "Sarah"
    assert {s.speaker for s in t.segments} == {"Travis", "Sarah", "Gilon"}
    assert not any(s.text.startswith(("Travis:", "Sarah:", "Gilon:")) for s in t.segments)
    assert t.segments[-1].end_ms == 754_769


def test_json_example_is_word_level() -> None:
    t = _example("example.json")
    assert t.has_word_timings
    assert [w.text for w in t.words] == ["I", "am", "your", "father.", "Nooooo"]
    assert t.words[0] == Word(500, 750, "I")
    assert [(s.text, s.speaker) for s in t.segments] == [
        ("I am your father.", "Darth Vader"),
        ("Nooooo", "Luke"),
    ]


def test_html_example_blocks_entities_and_estimated_end() -> None:
    t = _example("example.html")
    assert len(t.segments) == 10 and not t.has_word_timings
    starts = [s.start_ms for s in t.segments]
    assert starts[:3] == [0, 53_000, 102_000] and starts[-1] == 691_000
    assert [s.end_ms for s in t.segments[:-1]] == starts[1:]
    # the last block has no end; at the pace of the others it ends near the SRT's 754.8 s
    assert 730_000 < t.segments[-1].end_ms < 790_000
    assert t.segments[0].speaker == "Travis" and t.segments[1].speaker == "Sarah"
    assert t.segments[0].text.startswith("When you first get started in podcasting, it's almost")
    assert "&#39;" not in t.text and "\n" not in t.text


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("example.*")))
def test_the_content_decides_whatever_the_declared_type(name: str) -> None:
    data = (EXAMPLES / name).read_bytes()
    expected = parse_transcript(data, filename=name)
    assert parse_transcript(data, content_type="text/plain") == expected
    assert parse_transcript(data, content_type="application/octet-stream") == expected
    assert parse_transcript(b"\xef\xbb\xbf" + data) == expected  # a UTF-8 byte order mark


def _cue_level() -> Transcript:
    return Transcript(
        language="en",
        segments=(
            Segment(0, 2_500, "Welcome to Q&A <live>, where we talk.", (), "Ann Lee"),
            Segment(2_500, 6_000, "Thanks for having me.", (), "Bob"),
            Segment(6_000, 9_000, "So, first question.", (), "Bob"),
            Segment(61_000, 3_725_004, "A very long stretch", ()),
        ),
        source="publisher",
    )


def test_vtt_round_trip_keeps_times_text_and_speakers() -> None:
    t = _cue_level()
    back = parse_transcript(to_vtt(t).encode(), content_type="text/vtt")
    assert back.segments == t.segments
    assert back.source == "publisher"


def test_srt_round_trip_keeps_times_and_text() -> None:
    t = _cue_level()
    back = parse_transcript(to_srt(t).encode(), content_type="application/x-subrip")
    assert [(s.start_ms, s.end_ms, s.text) for s in back.segments] == [
        (s.start_ms, s.end_ms, s.text) for s in t.segments
    ]
    # SRT cannot say "nobody" after a label: the last speaker carries forward
    assert [s.speaker for s in back.segments] == ["Ann Lee", "Bob", "Bob", "Bob"]


def test_vtt_escapes_markup_and_names_voices() -> None:
    vtt = to_vtt(_cue_level())
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v Ann Lee>Welcome to")
    assert "Q&amp;A &lt;live&gt;" in vtt
    assert "01:02:05.004" in vtt


def _spoken() -> Transcript:
    """What transcribe() returns: sentence segments of timed words, some longer than a cue."""
    text = (
        "But thou, contracted to thine own bright eyes, feed'st thy light's flame with "
        "self-substantial fuel, making a famine where abundance lies, thy self thy foe."
    )
    tokens = text.replace("self-substantial", "self -substantial").split()
    words = tuple(Word(1_000 + 350 * i, 1_000 + 350 * i + 300, w) for i, w in enumerate(tokens))
    last = words[-1].end_ms
    return Transcript(
        language="en",
        segments=(
            Segment(words[0].start_ms, last, text, words),
            Segment(last + 500, last + 900, "Pity.", (Word(last + 500, last + 900, "Pity."),)),
        ),
        source="whisper:base",
    )


def test_long_segments_become_short_captions() -> None:
    t = _spoken()
    back = parse_transcript(to_vtt(t).encode())
    assert len(back.segments) > len(t.segments)
    for cue in back.segments:
        assert cue.end_ms - cue.start_ms <= CUE_MAX_MS
        assert len(cue.text) <= CUE_CHARS
    assert back.text == t.text  # nothing lost or reordered, "self-substantial" kept whole
    assert back.segments[0].start_ms == 1_000 and back.segments[-1].end_ms == t.segments[-1].end_ms
    for block in to_vtt(t).split("\n\n")[1:]:
        lines = block.strip().split("\n")[1:]
        assert 1 <= len(lines) <= 2 and all(len(line) <= 50 for line in lines)


def test_srt_numbers_cues_and_labels_speaker_changes() -> None:
    srt_text = to_srt(_cue_level())
    assert srt_text.startswith("1\n00:00:00,000 --> 00:00:02,500\nAnn Lee: Welcome to Q&A")
    assert "\n2\n00:00:02,500 --> 00:00:06,000\nBob: Thanks" in srt_text
    assert "\nSo, first question." in srt_text  # same speaker: no second label


def test_podcast_json_is_word_level_and_reads_back() -> None:
    t = _spoken()
    doc = to_podcast_json(t)
    assert doc["version"] == "1.0.0"
    assert doc["segments"][0] == {"startTime": 1.0, "endTime": 1.3, "body": "But"}
    assert len(doc["segments"]) == len(t.words)
    back = parse_transcript(json.dumps(doc).encode(), content_type="application/json")
    assert back.words == t.words
    cue_level = to_podcast_json(_cue_level())["segments"]
    assert cue_level[0]["speaker"] == "Ann Lee" and cue_level[0]["body"].startswith("Welcome")


def test_text_puts_speakers_at_changes() -> None:
    assert to_text(_cue_level()) == (
        "Ann Lee: Welcome to Q&A <live>, where we talk.\n\n"
        "Bob: Thanks for having me.\nSo, first question.\nA very long stretch\n"
    )


def test_every_format_renders_text() -> None:
    assert set(FORMATS) == {"json", "vtt", "srt", "txt"}
    for media_type, render in FORMATS.values():
        assert re.fullmatch(r"[a-z]+/[a-z+.-]+", media_type)
        assert render(_spoken()).strip()
    assert json.loads(FORMATS["json"][1](_spoken()))["version"] == "1.0.0"


@pytest.mark.parametrize(
    ("data", "content_type", "reason"),
    [
        (b"", None, "not a transcript format"),
        (b"just some words", None, "not a transcript format"),
        (b"\x00\x81\x8d\x8f\x90\x9d", None, "not text"),
        (b"Hello, this is the episode.", "text/plain", "no timings"),
        (b"WEBVTT\n\nNOTE only a comment\n", None, "no timed text"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nbroken\n", None, "no timed text"),
        (b"Subtitles by us\n\n1\n00:00:01,000 --> 00:00:02,000\nhi\n", None, "SRT"),
        (b'{"version": "1.0.0", "segments": [{"startTime": "soon"}]}', None, "segment 1"),
        (b'{"version": "1.0.0"}', None, '"segments"'),
        (b"{not json", None, "not valid JSON"),
        (b"<html><body><p>No times here</p></body></html>", None, "no <time> marks"),
        (b"<cite>A:</cite><time>later</time><p>text</p>", None, "cannot read: 'later'"),
    ],
)
def test_unreadable_transcripts_say_why(data: bytes, content_type: str | None, reason: str) -> None:
    with pytest.raises(TranscriptError, match=re.escape(reason)):
        parse_transcript(data, content_type=content_type)
