"""The span rules and snapping (domain/clips.py): pure, so no database, media or model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from soundbite.clips.spans import SHARE_ID_BITS
from soundbite.domain import clips as rules
from soundbite.domain.secrets import BASE62, random_id
from soundbite.domain.transcript import Segment, Word

WORDS_FILE = Path(__file__).parent / "data" / "clips" / "sonnet001_words.json"
EPISODE = 53_267
MAX = 300_000


def sonnet() -> list[Segment]:
    """The demo sonnet's real Whisper transcript: sentences of timed words."""
    data = json.loads(WORDS_FILE.read_text())
    return [
        Segment(s["start_ms"], s["end_ms"], s["text"], tuple(Word(*w) for w in s["words"]))
        for s in data["segments"]
    ]


def words() -> list[Word]:
    return [w for s in sonnet() for w in s.words]


def snap(start: int, end: int, mode: rules.Snap = "word", **kw: int) -> rules.Snapped:
    span = rules.check_span(start, end, episode_ms=EPISODE, max_ms=MAX)
    return rules.snap(span, sonnet(), mode, episode_ms=EPISODE, max_ms=kw.get("max_ms", MAX))


@pytest.mark.parametrize(
    ("start", "end", "problem", "says"),
    [
        (5000, 4000, "reversed", "reversed: end_ms (4000) is before start_ms (5000)"),
        (5000, 5000, "empty", "empty"),
        (-1, 3000, "before_episode", "starts before the episode"),
        (50_000, 60_000, "after_episode", "ends after the episode: end_ms is 60000"),
        (1000, 1999, "too_short", "too short: 999 ms"),
        (0, 300_001, "after_episode", "ends after the episode"),
    ],
)
def test_spans_the_rules_refuse_say_which_rule(
    start: int, end: int, problem: str, says: str
) -> None:
    with pytest.raises(rules.SpanError) as err:
        rules.check_span(start, end, episode_ms=EPISODE, max_ms=MAX)
    assert err.value.problem == problem and says in err.value.message


def test_too_long_is_its_own_error() -> None:
    with pytest.raises(rules.SpanError) as err:
        rules.check_span(0, 40_001, episode_ms=EPISODE, max_ms=40_000)
    assert err.value.problem == "too_long"
    assert "at most 40000 ms (0:40)" in err.value.message
    assert rules.check_span(0, 40_000, episode_ms=EPISODE, max_ms=40_000).duration_ms == 40_000


def _pause_before(ws: list[Word], i: int) -> float:
    """The pause before word i; before the first word and after the last there is no end."""
    return ws[i].start_ms - ws[i - 1].end_ms if 0 < i < len(ws) else float("inf")


def test_word_snapping_takes_whole_words_and_only_silence() -> None:
    ws = words()
    # "fairest" and "tender" are cut in the middle by the requested edges
    fairest = next(w for w in ws if w.text == "fairest")
    tender = next(w for w in ws if w.text == "tender")
    got = snap(fairest.start_ms + 80, tender.end_ms - 60)
    # "fairest" runs on from "From": the clip widens to the pause before it; "tender" runs
    # into "air might bear his memory", with no pause within reach, so the clip ends at the
    # pause before "his tender"
    assert got.text.startswith("From fairest creatures") and got.text.endswith("by time deceased,")
    first, last = ws.index(got.words[0]), ws.index(got.words[-1])
    assert _pause_before(ws, first) >= rules.PAUSE_MS
    assert _pause_before(ws, last + 1) >= rules.PAUSE_MS
    before, after = ws[first - 1], ws[last + 1]
    assert before.end_ms <= got.start_ms <= got.words[0].start_ms
    assert got.words[0].start_ms - got.start_ms <= rules.EDGE_PAD_MS
    assert got.words[-1].end_ms <= got.end_ms <= after.start_ms
    # no word of the clip is cut, and none outside it is heard
    assert all(got.start_ms <= w.start_ms and w.end_ms <= got.end_ms for w in got.words)
    assert all(
        w.end_ms <= got.start_ms or w.start_ms >= got.end_ms for w in ws if w not in got.words
    )


def test_every_cut_is_in_the_middle_of_the_pause_with_room_for_the_fade() -> None:
    ws = words()
    moved = 0
    for i in range(1, len(ws) - 6):
        asked_first, asked_last = ws[i], ws[i + 5]
        got = snap(
            (asked_first.start_ms + asked_first.end_ms) // 2,
            (asked_last.start_ms + asked_last.end_ms) // 2,
        )
        first, last = ws.index(got.words[0]), ws.index(got.words[-1])
        moved += (first, last) != (i, i + 5)
        # each edge at a pause, or none within reach of the word asked for
        if _pause_before(ws, first) < rules.PAUSE_MS:
            at = ws[i].start_ms
            assert first == i
            assert not any(
                _pause_before(ws, k) >= rules.PAUSE_MS
                for k in range(last + 1)
                if abs(ws[k].start_ms - at) <= rules.REACH_MS
            )
        if _pause_before(ws, last + 1) < rules.PAUSE_MS:
            at = ws[i + 5].end_ms
            assert last == i + 5
            assert not any(
                _pause_before(ws, k + 1) >= rules.PAUSE_MS
                for k in range(first, len(ws))
                if abs(ws[k].end_ms - at) <= rules.REACH_MS
            )
        if first == 0 or last + 1 == len(ws):
            continue
        before, after = ws[first - 1], ws[last + 1]
        lead, pause_before = ws[first].start_ms - got.start_ms, ws[first].start_ms - before.end_ms
        tail, pause_after = got.end_ms - ws[last].end_ms, after.start_ms - ws[last].end_ms
        # the middle of the pause, at most the padding from the word, and room for the fade
        middle, fade = pause_before // 2, min(rules.FADE_MS, pause_before)
        assert lead == min(rules.EDGE_PAD_MS, max(middle, fade)), (ws[first], before, got)
        middle, fade = (pause_after + 1) // 2, min(rules.FADE_MS, pause_after)
        assert tail == min(rules.EDGE_PAD_MS, max(middle, fade)), (ws[last], after, got)
    assert moved > 0


def _connected(pauses_before: dict[int, int], count: int = 20) -> list[Segment]:
    """`count` 300 ms words, running into each other except for the pauses given (ms before
    word i)."""
    out, at = [], 1000
    for i in range(count):
        at += pauses_before.get(i, 0)
        out.append(Word(at, at + 300, f"w{i}"))
        at += 300
    return [Segment(out[0].start_ms, out[-1].end_ms, " ".join(w.text for w in out), tuple(out))]


def _snapped_words(segments: list[Segment], first: int, last: int) -> list[str]:
    ws = segments[0].words
    span = rules.Span(ws[first].start_ms + 100, ws[last].end_ms - 100)
    got = rules.snap(span, segments, "word", episode_ms=30_000, max_ms=MAX)
    return [w.text for w in got.words]


def test_an_edge_in_running_speech_moves_to_the_nearest_pause() -> None:
    """A cut between words that run together leaves a piece of the neighbour in the clip ("so
    my fellow" heard "for my fellow"): the edge moves to a pause within REACH_MS, outwards
    first so that every word asked for stays in the clip."""
    segments = _connected({5: 400, 14: 400})
    # pauses before w5 and after w13: w7..w11 widen to w5..w13 (600 ms out each side)
    got = _snapped_words(segments, 7, 11)
    assert got[0] == "w5" and got[-1] == "w13"
    # no pause out within reach of w8: inwards, to the pause before w10 (1 s on); none within
    # reach of w14's end either way (the pause after w9 is 1.9 s back): w14 stays
    segments = _connected({10: 400, 22: 400}, count=30)
    got = _snapped_words(segments, 8, 14)
    assert got[0] == "w10" and got[-1] == "w14"
    # nothing within reach: the word asked for, cut at its shared boundary as before
    segments = _connected({})
    assert _snapped_words(segments, 7, 11) == [f"w{i}" for i in range(7, 12)]


def test_a_start_in_a_pause_moves_to_the_next_word() -> None:
    first = sonnet()[1].words[0]  # "From", after a pause of about 1.8 s
    got = snap(first.start_ms - 1500, first.start_ms + 3000)
    assert got.words[0] == first
    assert got.start_ms == first.start_ms - rules.EDGE_PAD_MS


def test_sentence_snapping_widens_to_whole_sentences() -> None:
    segments = sonnet()
    second = segments[2]  # "But thou, contracted ... thy self-thy foe."
    middle = second.words[len(second.words) // 2]
    got = snap(middle.start_ms, middle.end_ms + 1000, "sentence")
    assert got.words[0] == second.words[0] and got.words[-1] == second.words[-1]
    assert got.text == second.text  # the written text: "self-substantial", not "self -substantial"
    # a sentence that would pass the maximum falls back to words
    capped = snap(middle.start_ms, middle.end_ms + 1000, "sentence", max_ms=4000)
    assert capped.duration_ms <= 4000 and middle in capped.words


def test_none_keeps_the_exact_milliseconds() -> None:
    got = snap(10_123, 17_456, "none")
    assert (got.start_ms, got.end_ms) == (10_123, 17_456)
    assert got.words and all(10_123 <= (w.start_ms + w.end_ms) // 2 < 17_456 for w in got.words)


def test_snapping_respects_both_length_limits() -> None:
    ws = words()
    long = rules.snap(rules.Span(3000, 13_000), sonnet(), "word", episode_ms=EPISODE, max_ms=10_000)
    assert long.duration_ms <= 10_000
    assert all(long.start_ms <= w.start_ms and w.end_ms <= long.end_ms for w in long.words)
    # one short word: widened back to the requested edges, never under a second
    short_word = min(
        (w for w in ws if 2000 < w.start_ms < 50_000), key=lambda w: w.end_ms - w.start_ms
    )
    mid = (short_word.start_ms + short_word.end_ms) // 2
    got = rules.snap(
        rules.Span(mid - 500, mid + 500), sonnet(), "word", episode_ms=EPISODE, max_ms=MAX
    )
    assert got.duration_ms >= rules.MIN_CLIP_MS


def test_a_transcript_without_word_timings_snaps_to_its_cues() -> None:
    cues = [
        Segment(0, 4000, "First cue."),
        Segment(4000, 9000, "Second cue."),
        Segment(9000, 12_000, "Third."),
    ]
    got = rules.snap(rules.Span(5000, 9500), cues, "word", episode_ms=12_000, max_ms=MAX)
    assert (got.start_ms, got.end_ms) == (4000, 12_000) and got.text == "Second cue. Third."


def test_no_words_in_the_span_keeps_it() -> None:
    # inside the pause between the sonnet's number and its first line
    before, after = sonnet()[0].words[-1], sonnet()[1].words[0]
    span = rules.Span(before.end_ms + 100, after.start_ms - 100)
    got = rules.snap(span, sonnet(), "word", episode_ms=EPISODE, max_ms=MAX)
    assert (got.start_ms, got.end_ms) == (span.start_ms, span.end_ms) and got.text == ""


def test_titles() -> None:
    text = "From fairest creatures we desire increase, that thereby beauties rose might never die"
    ws = [Word(i, i + 1, t) for i, t in enumerate(text.split(" "))]
    title = rules.default_title(ws)
    assert title.startswith("From fairest creatures") and title.endswith("…") and len(title) <= 61
    assert rules.default_title(ws[:3]) == "From fairest creatures"
    assert rules.clamp_title("  a\n b  ") == "a b"
    assert len(rules.clamp_title("x" * 500)) == rules.TITLE_MAX_CHARS
    assert rules.clock(3_725_000) == "1:02:05" and rules.clock(65_000) == "1:05"


def test_share_ids_are_random_base62_of_at_least_96_bits() -> None:
    ids = {random_id(SHARE_ID_BITS) for _ in range(2000)}
    assert len(ids) == 2000
    for share_id in ids:
        assert re.fullmatch(f"[{BASE62}]+", share_id)
        assert len(share_id) * 5.954 >= 96


def test_clip_text_names_each_speaker_where_the_transcript_does() -> None:
    """One voice per channel comes back as "Speaker 1"/"Speaker 2" segments (speech/channels.py);
    a clip across a change of speaker says who said what, as the transcript does."""
    first = (Word(0, 400, "Are"), Word(550, 800, "you"), Word(850, 1300, "there?"))
    second = (Word(2000, 2400, "Yes,"), Word(2450, 3000, "hello."))
    segments = [
        Segment(0, 1300, "Are you there?", first, "Speaker 1"),
        Segment(2000, 3000, "Yes, hello.", second, "Speaker 2"),
    ]
    clip = rules.snap(rules.Span(500, 3000), segments, "word", episode_ms=10_000, max_ms=60_000)
    assert clip.text == "Speaker 1: you there? Speaker 2: Yes, hello."
    unnamed = [Segment(s.start_ms, s.end_ms, s.text, s.words) for s in segments]
    clip = rules.snap(rules.Span(500, 3000), unnamed, "word", episode_ms=10_000, max_ms=60_000)
    assert clip.text == "you there? Yes, hello."
