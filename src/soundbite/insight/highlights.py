"""Highlight suggestions: moments worth a clip, each with a score and a reason a person can read.

Every run of whole sentences lasting 15 to 60 s is a candidate (a few thousand per hour), and
each is scored from features that editors name when they pick clips by hand:

- salience: how much of it is about its topic (the topic-specific TF-IDF weight of its words);
- question -> answer: it opens with a question and goes on to answer it, so it stands alone;
- claims: superlatives, "never", "the key", "number one", figures: quotable statements;
- energy: louder than the episode's typical sentence (from the stored peaks) and faster speech;
- completeness: it does not start on "and"/"but"/"this" (which need what came before), ends
  on a full stop, and is framed by pauses;
- coherence: it stays inside one topic, and starting where a topic starts is a bonus, since
  the speaker introduces the subject there (not at the episode's start: that is the show's
  own introduction, rarely worth sharing);
- replays, once listeners have been: how surely its 5 s buckets were heard again by the same
  listener more than the episode's usual bucket (the "most replayed" curve, analytics/curves.py).
  Only a curve with at least ``MIN_REPLAYERS`` replays counts as evidence; without one the
  feature is absent and the scores are what they were before anyone listened.

Only spans a person could share are candidates: not a run of figures, not a fragment (too
few words, no verb), starting and ending on a sentence (not on "and", not on "the", not
inside a quotation; and where the sentences were restored from unpunctuated captions, only
where the model is sure).

Prefix sums make each candidate's features O(1). Selection is greedy by score with no overlap,
at most two per topic and a minimum distance between picks, so suggestions spread over the
episode instead of crowding into its liveliest minute. The reason says what kind of moment it
is in its own words (insight/wording.py): 'A claim: "…"', 'Answers the question "…?"',
'A story: "…"'; a clear replay peak comes first ('Listeners replay this: "…"'), since what
people went back to hear is better evidence than anything read from the words.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from soundbite.insight.audio import Loudness
from soundbite.insight.keywords import key_phrases
from soundbite.insight.sentences import Sentence
from soundbite.insight.stopwords import DANGLING_OPENERS
from soundbite.insight.text import fold, tokens
from soundbite.insight.topics import Topic
from soundbite.insight.wording import (
    key_sentence,
    number_words,
    quotations_open,
    quote,
    shareable_start,
    story_sentence,
    trailing_function_word,
    verb_share,
)

_CLAIM = re.compile(
    r"\b(best|worst|most|least|never|always|every single|biggest|key|secret|truth|reality"
    r"|important|number one|have to|must|need to|guarantee[ds]?|short answer"
    r"|the answer|the trick|the problem|the reason|nobody|everyone|\d+ ?(%|percent))\b"
)


@dataclass(frozen=True, slots=True)
class HighlightWeights:
    salience: float = 1.0
    answer: float = 0.8
    claim: float = 0.6
    energy: float = 0.5
    completeness: float = 0.6
    length: float = 0.3
    opening: float = 0.4  # starts where a topic starts (not the episode's own opening)
    crossing: float = 0.6  # subtracted when a candidate spans two topics
    replay: float = 1.0  # listeners went back to hear it (when a replay curve is given)


@dataclass(frozen=True, slots=True)
class HighlightOptions:
    min_ms: int = 15_000
    max_ms: int = 60_000
    ideal_ms: int = 30_000
    per_hour: int = 12
    min_count: int = 5
    max_per_topic: int = 2
    min_gap_ms: int = 20_000  # between two suggestions
    pause_ms: int = 300  # a gap this long before/after makes a clean cut
    weights: HighlightWeights = field(default_factory=HighlightWeights)


# Where sentence ends were restored (no punctuation), a suggestion starts only where the model
# is this sure a sentence starts (on SliceCast 0.8 is right ~85% of the time, against ~55% for
# all restored ends), and ends where it is fairly sure: a clip that opens mid-sentence is the
# worst kind, one that trails a few words is forgivable.
SURE_START = 0.8
SURE_END = 0.7
MIN_REPLAYERS = 3  # replays over the whole episode before the curve is taken as evidence


@dataclass(frozen=True, slots=True)
class ReplayCurve:
    """Per 5 s bucket of the episode, how many listeners heard it more than once, and how many
    heard it at all (fewer reach the end than the start, so fewer can replay it there)."""

    bucket_ms: int
    replays: Sequence[int]
    listeners: Sequence[int]

    @property
    def evidence(self) -> bool:
        return sum(self.replays) >= MIN_REPLAYERS


@dataclass(frozen=True, slots=True)
class Highlight:
    rank: int
    start_ms: int
    end_ms: int
    score: float  # 0..1
    reason: str
    title: str
    text: str
    first_sentence: int
    end_sentence: int  # exclusive


@dataclass(frozen=True, slots=True)
class _Candidate:
    first: int
    end: int
    score: float
    parts: dict[str, float]


class _Features:
    """Per-sentence features and their prefix sums."""

    def __init__(
        self,
        sentences: Sequence[Sentence],
        topics: Sequence[Topic],
        loudness: Loudness | None,
        opts: HighlightOptions,
        replays: ReplayCurve | None = None,
    ) -> None:
        self.s = sentences
        self.topic_of = [0] * len(sentences)
        for n, topic in enumerate(topics):
            for i in range(topic.first_sentence, topic.end_sentence):
                self.topic_of[i] = n
        weights = [topics[self.topic_of[i]].weights for i in range(len(sentences))]
        sal = [sum(w.get(t, 0.0) for t in s.terms) for s, w in zip(sentences, weights, strict=True)]
        words = [s.n_words for s in sentences]
        self.p_words = [0, *accumulate(words)]
        self.p_sal = [0.0, *accumulate(sal)]
        self.p_claim = [0, *accumulate(len(_CLAIM.findall(fold(s.text))) for s in sentences)]
        density = sorted(x / max(n, 1) for x, n in zip(sal, words, strict=True))
        self.sal_mid = density[len(density) // 2] if density else 0.0
        self.sal_top = density[int(len(density) * 0.9)] if density else 1.0
        self.rate_mid = statistics.median(
            [s.n_words / max(s.duration_ms, 1) for s in sentences] or [1.0]
        )
        self.loud = [
            loudness.mean_db(s.start_ms, s.end_ms) if loudness else None for s in sentences
        ]
        known = [x for x in self.loud if x is not None]
        self.loud_mid = statistics.median(known) if known else None
        whole = sentences[-1].end_ms - sentences[0].start_ms if sentences else 0
        self.intro_ms = min(whole // 20, 300_000)
        self.p_number = [0, *accumulate(number_words(s.text) for s in sentences)]
        self.p_verb = [0.0, *accumulate(verb_share(s.text) * s.n_words for s in sentences)]
        # a restored sentence start is a guess: one that leans on what came before ("it",
        # "that", "then") is more often a cut mid-sentence than a real start
        self.opens = [shareable_start(s.text, strict=s.start_p < 1.0) for s in sentences]
        self.dangles = [trailing_function_word(s.text) for s in sentences]
        # sentences are split at "?" and "." inside quotations too ("I'm like, “What the
        # hell? | That's a PhD?”"): a clip that starts or ends inside one is mid-sentence
        self.quoting = quotations_open(s.text for s in sentences)
        self.clean_start = [self._clean_start(i, opts.pause_ms) for i in range(len(sentences))]
        self.clean_end = [self._clean_end(i, opts.pause_ms) for i in range(len(sentences))]
        self.replays = replays if replays is not None and replays.evidence else None
        if self.replays is not None:
            counts = list(self.replays.replays)
            heard = [max(n, r) for n, r in zip(self.replays.listeners, counts, strict=True)]
            self.p_replay = [0, *accumulate(counts)]
            self.p_heard = [0, *accumulate(heard)]
            self.replay_rate = sum(counts) / max(sum(heard), 1)

    def _clean_start(self, i: int, pause_ms: int) -> float:
        first = tokens(self.s[i].text)[:1]
        opener = 0.0 if first and first[0] in DANGLING_OPENERS else 0.5
        paused = i == 0 or self.s[i].start_ms - self.s[i - 1].end_ms >= pause_ms
        return opener + (0.5 if paused or self.topic_of[i] != self.topic_of[i - 1] else 0.0)

    def _clean_end(self, i: int, pause_ms: int) -> float:
        text = self.s[i].text.rstrip("\"')]}”’")
        full_stop = 0.5 if text.endswith((".", "!", "…")) else 0.0
        last = i + 1 == len(self.s)
        paused = last or self.s[i + 1].start_ms - self.s[i].end_ms >= pause_ms
        return full_stop + (0.5 if paused else 0.0)

    def quotes_closed(self, a: int, b: int) -> bool:
        """The span starts outside any quotation and closes every one it opens."""
        return not self.quoting[a] and not self.quoting[b]

    def words_in(self, a: int, b: int) -> int:
        return self.p_words[b] - self.p_words[a]

    def numbers(self, a: int, b: int) -> bool:
        """Mostly figures: a list of numbers read out, a phone number, a price table."""
        return (self.p_number[b] - self.p_number[a]) * 5 > self.words_in(a, b)

    def verbs(self, a: int, b: int) -> float:
        """The share of its words in sentences that have a verb."""
        return (self.p_verb[b] - self.p_verb[a]) / max(self.words_in(a, b), 1)

    def salience(self, a: int, b: int) -> float:
        words = self.p_words[b] - self.p_words[a]
        density = (self.p_sal[b] - self.p_sal[a]) / max(words, 1)
        return _clip((density - self.sal_mid) / max(self.sal_top - self.sal_mid, 1e-9), -1, 2)

    def answer(self, a: int, b: int) -> float:
        q = next((i for i in (a, a + 1) if i < b and self._asks(i)), None)
        if q is None or self.s[b - 1].is_question or b - q < 3:
            return 0.0
        return 1.0 if self.s[b - 1].end_ms - self.s[q].end_ms >= 10_000 else 0.0

    def _asks(self, i: int) -> bool:
        """A question, and (when restored) one whose both ends are sure."""
        s = self.s[i]
        return s.is_question and min(s.start_p, s.end_p) >= SURE_START

    def claim(self, a: int, b: int, duration_ms: int) -> float:
        return _clip((self.p_claim[b] - self.p_claim[a]) / (duration_ms / 15_000), 0, 1.5)

    def energy(self, a: int, b: int, duration_ms: int) -> float:
        words = self.p_words[b] - self.p_words[a]
        rate = _clip((words / duration_ms / max(self.rate_mid, 1e-9) - 1) / 0.25, -1, 1)
        levels = [x for x in self.loud[a:b] if x is not None]
        if not levels or self.loud_mid is None:
            return 0.5 * rate
        return 0.7 * _clip((statistics.fmean(levels) - self.loud_mid) / 4, -1, 2) + 0.3 * rate

    def replay(self, a: int, b: int) -> float:
        """How surely the span's buckets were replayed more than the episode's usual: the
        excess over what the episode's replay rate would give the listeners who heard them,
        in standard deviations of a count (Poisson), so a few stray replays, or the busy
        start every episode has, are no peak. 0 up to two deviations, 1 at five."""
        curve = self.replays
        if curve is None:
            return 0.0
        n = len(curve.replays)
        first = min(self.s[a].start_ms // curve.bucket_ms, n - 1)
        end = max(first + 1, min(-(-self.s[b - 1].end_ms // curve.bucket_ms), n))
        seen = self.p_replay[end] - self.p_replay[first]
        expected = self.replay_rate * (self.p_heard[end] - self.p_heard[first])
        z = (seen - expected) / math.sqrt(expected + 1)
        return _clip((z - 2) / 3, 0, 1.5)


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _score(f: _Features, a: int, b: int, opts: HighlightOptions) -> _Candidate:
    w = opts.weights
    duration = f.s[b - 1].end_ms - f.s[a].start_ms
    parts = {
        "salience": w.salience * f.salience(a, b),
        "answer": w.answer * f.answer(a, b),
        "claim": w.claim * f.claim(a, b, duration),
        "energy": w.energy * f.energy(a, b, duration),
        "completeness": w.completeness * (f.clean_start[a] + f.clean_end[b - 1]) / 2,
        "length": w.length * (1 - abs(duration - opts.ideal_ms) / opts.max_ms),
        "opening": w.opening * (a > 0 and f.topic_of[a] != f.topic_of[a - 1]),
    }
    if f.replays is not None:
        parts["replay"] = w.replay * f.replay(a, b)
    if f.topic_of[a] != f.topic_of[b - 1]:
        parts["crossing"] = -w.crossing
    if f.s[a].start_ms - f.s[0].start_ms < f.intro_ms:
        parts["intro"] = -w.opening  # greetings and small talk ("thanks for having me")
    return _Candidate(a, b, sum(parts.values()), parts)


def candidates(f: _Features, opts: HighlightOptions) -> list[_Candidate]:
    out = []
    n = len(f.s)
    for a in range(n):
        for b in range(a + 1, n + 1):
            duration = f.s[b - 1].end_ms - f.s[a].start_ms
            if duration > opts.max_ms:
                break
            if duration >= opts.min_ms and _passes(f, a, b):
                out.append(_score(f, a, b, opts))
    return out


def _select(
    f: _Features, cands: list[_Candidate], count: int, opts: HighlightOptions
) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    per_topic: dict[int, int] = {}
    for c in sorted(cands, key=lambda c: (-c.score, c.first)):
        start, end = f.s[c.first].start_ms, f.s[c.end - 1].end_ms
        topic = f.topic_of[c.first]
        if per_topic.get(topic, 0) >= opts.max_per_topic:
            continue
        if any(
            start < f.s[o.end - 1].end_ms + opts.min_gap_ms
            and f.s[o.first].start_ms < end + opts.min_gap_ms
            for o in chosen
        ):
            continue
        chosen.append(c)
        per_topic[topic] = per_topic.get(topic, 0) + 1
        if len(chosen) == count:
            break
    return chosen


def detect_highlights(
    sentences: Sequence[Sentence],
    topics: Sequence[Topic],
    loudness: Loudness | None = None,
    options: HighlightOptions | None = None,
    replays: ReplayCurve | None = None,
) -> list[Highlight]:
    opts = options or HighlightOptions()
    if not sentences or not topics:
        return []
    f = _Features(sentences, topics, loudness, opts, replays)
    minutes = (sentences[-1].end_ms - sentences[0].start_ms) / 60_000
    count = max(opts.min_count, round(minutes * opts.per_hour / 60))
    chosen = _select(f, candidates(f, opts), count, opts)
    top = sum(max(v, 0.0) for v in _max_parts(opts, f.replays is not None).values())
    return [
        _highlight(f, topics, c, rank, min(max(c.score / top, 0.0), 1.0))
        for rank, c in enumerate(chosen, 1)
    ]


def _max_parts(opts: HighlightOptions, replays: bool = False) -> dict[str, float]:
    w = opts.weights
    return ({"replay": 1.5 * w.replay} if replays else {}) | {
        "salience": 2 * w.salience,
        "answer": w.answer,
        "claim": 1.5 * w.claim,
        "energy": 1.7 * w.energy,
        "completeness": w.completeness,
        "length": w.length,
        "opening": w.opening,
    }


def _highlight(
    f: _Features, topics: Sequence[Topic], c: _Candidate, rank: int, score: float
) -> Highlight:
    span = f.s[c.first : c.end]
    topic = topics[f.topic_of[c.first]]
    about = _about(span, topic)
    return Highlight(
        rank=rank,
        start_ms=span[0].start_ms,
        end_ms=span[-1].end_ms,
        score=round(score, 3),
        reason=_reason(span, c.parts, about),
        title=_title(span, c.parts),
        text=" ".join(s.text for s in span),
        first_sentence=c.first,
        end_sentence=c.end,
    )


def _about(span: Sequence[Sentence], topic: Topic) -> str:
    """What the span is about: the first of its topic's keywords it says, else its own best
    phrase said twice, else the topic's main keyword."""
    said = " " + " ".join(tokens(" ".join(s.text for s in span))) + " "
    for keyword in topic.keywords:
        if f" {' '.join(tokens(keyword))} " in said:
            return keyword
    own = [p for p in key_phrases(span, topic.weights, limit=1, min_count=2) if p.score > 0]
    return own[0].text if own else (topic.keywords[0] if topic.keywords else "")


def _reason(span: Sequence[Sentence], parts: dict[str, float], about: str) -> str:
    """What a person would say when passing the clip on: the kind of moment and its words."""
    key = key_sentence(span)
    if parts.get("replay", 0.0) >= 0.5 and parts["replay"] >= max(
        parts["claim"], parts["energy"], parts["salience"]
    ):
        return f"Listeners replay this: {quote(key.text)}"
    question = _question(span, parts)
    if question is not None:
        return f"Answers the question {quote(question.text)}"
    story = story_sentence(span)
    label = max(("claim", "energy", "salience"), key=lambda k: parts[k])
    if label == "claim" and parts[label] > 0:
        claim = max(span, key=lambda s: (len(_CLAIM.findall(fold(s.text))), s is key))
        return f"A claim: {quote(claim.text)}"
    if story is not None:
        return f"A story: {quote(story.text)}"
    if label == "energy" and parts[label] >= 0.1:  # not rounding noise of evenly timed words
        return f"Said with energy: {quote(key.text)}"
    if parts[label] > 0 and " " in about:  # a phrase ("show notes"), not a lone word
        return f"On {about}: {quote(key.text)}"
    if parts[label] > 0:
        return f"Makes the point: {quote(key.text)}"
    return f"A complete thought: {quote(key.text)}"


def _question(span: Sequence[Sentence], parts: dict[str, float]) -> Sentence | None:
    if not parts["answer"]:
        return None
    return next((s for s in span[:2] if s.is_question), None)


def _title(span: Sequence[Sentence], parts: dict[str, float], limit: int = 80) -> str:
    """The span's most quotable sentence (not the question it answers), as a headline."""
    question = _question(span, parts)
    rest = [s for s in span if s is not question] or list(span)
    return quote(key_sentence(rest).text, limit, marks=False)


def _passes(f: _Features, a: int, b: int) -> bool:
    """Whether a span could be shared at all: not a run of figures, not a fragment, and it
    starts and ends on a sentence. Scores only rank what passes."""
    return (
        f.words_in(a, b) >= 25
        and not f.numbers(a, b)
        and f.verbs(a, b) >= 0.5
        and f.opens[a]
        and not f.dangles[b - 1]
        and not f.s[b - 1].is_question  # a cliffhanger, or the host's question alone
        and f.s[a].start_p >= SURE_START
        and f.s[b - 1].end_p >= SURE_END
        and f.quotes_closed(a, b)
    )
