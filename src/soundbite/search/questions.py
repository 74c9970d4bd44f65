"""Questions, not only keywords: "What did she say about the battery?" answered by passage.

A keyword search wants every word; a question mostly carries scaffolding ("what did … say
about") around two or three words that matter, and its answer is a stretch of talk, not the
one unit that happens to hold the most query words. So a question is searched differently:

1. **Question-word filter.** Question words, auxiliaries, verbs of saying and thinking, and
   stopwords are dropped: what is left is what the answer talks about ("battery"). Each word
   also finds its singular ("batteries": the index is unstemmed, ranking compares stems).
2. **Candidates** come from the database's own BM25 (FTS5 or PostgreSQL, backend.py) as an
   any-word query, so both databases find the same units and no new index is needed.
3. **Passages.** The candidates and their neighbouring units are laid end to end and cut into
   sliding windows of whole sentences (about 30 s, what one clips). Each window is scored with
   BM25 (library document frequencies, so a word the whole library says counts for little),
   and windows are taken best first without overlapping one already taken.
4. **Who.** A question that names a speaker of those episodes ("what did the Industrial
   Designer think…": labels of turns, which nobody says aloud) prefers passages where that
   speaker talks, in proportion to their share of the passage (speakers.py).
5. **The answering sentence.** Within a passage, the sentence with the most query weight is
   where the hit starts (a named speaker's first): the player jumps to it, not to the start of
   the passage.

Query expansion by pseudo-relevance feedback (RM3: words that recur beside the question's
words in the best candidates, added at a lower weight) was built and measured on QMSum
(bench/questions.py, before speakers were added): it lowered Hit@5 at every weight tried
(0.759 at 0.1 and 0.2, 0.743 at 0.35, against 0.776 without), drifting towards what the whole
stretch was about rather than the question; so did matching inflections by prefix (0.768).
Neither is kept.

Questions stay lexical when the semantic extra is installed (keyword search fuses it,
semantic.py). Measured on QMSum (docs/insight.md): fusing the passages with the library-wide
cosine rank of their answering unit lowered Hit@5 from 0.781 to 0.747, and with each passage's
own mean unit vector it was 0.776, no gain; on the tips episode the fused answer to "What did
Travis say about guests?" became the passage where he says his name. A sentence that means
what the question means is often not its answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from soundbite.errors import InvalidInput
from soundbite.insight.text import is_content, stem, tokens
from soundbite.search import speakers
from soundbite.search.backend import K1, B, Filters, LexicalBackend, Ranked
from soundbite.search.planner import RANK_CAP, unit_count
from soundbite.search.query import MAX_CLAUSES, Clause, Query
from soundbite.search.units import UnitWords, decode
from soundbite.store.db import Database
from soundbite.store.insight_models import SearchUnit

# Scaffolding of a question: asking words, auxiliaries, and the verbs and nouns people use to
# ask what was said ("what did the group discuss about", "what was his opinion on").
_SCAFFOLDING = """
    what whats which who whom whose why how when where whether
    do does did done doing is are was were be been being am has have had having
    can could would should will shall may might must
    say says said saying tell tells told talk talks talked talking speak spoke spoken
    discuss discusses discussed discussing discussion discussions mention mentions mentioned
    explain explains explained explanation describe describes described description
    think thinks thought thoughts feel feels felt believe believes believed opinion opinions
    view views consider considered considering suggest suggests suggested propose proposed
    summarize summarise summarized summary decide decided conclude concluded happen happened
    mean meant according regarding concerning toward towards
    group meeting speaker speakers everyone everybody someone
"""
SCAFFOLDING = frozenset(_SCAFFOLDING.split())
_OPENERS = """please what which who whom whose why how when where did does do is are was were
    can could would should will has have had summarize summarise describe explain tell list"""
QUESTION_START = frozenset(_OPENERS.split())
MIN_QUESTION_TOKENS = 4
CANDIDATES = 40
PASSAGE_MS = 30_000
SPEAKER_WEIGHT = 1.0


def is_question(text: str) -> bool:
    """A question, by its form: ends with "?", or opens with a question word and runs on."""
    toks = tokens(text)
    if '"' in text or any(w.endswith("*") for w in text.split()):
        return False  # phrase or prefix syntax: the person is writing a keyword query
    return len(toks) >= 2 and (
        text.rstrip().endswith("?")
        or (toks[0] in QUESTION_START and len(toks) >= MIN_QUESTION_TOKENS)
    )


def question_terms(text: str) -> list[str]:
    """What the answer should talk about. InvalidInput (422) when nothing is left."""
    toks = tokens(text)
    kept = [t for t in toks if is_content(t) and t not in SCAFFOLDING]
    if not kept:  # "what is it?": the scaffolding was the question, keep its content words
        kept = [t for t in toks if is_content(t)]
    if not kept:
        raise InvalidInput("the question has no words to search for beyond question words")
    return list(dict.fromkeys(kept))[:MAX_CLAUSES]


def clauses(terms: Iterable[str]) -> tuple[Clause, ...]:
    """Each word and its singular: the index is unstemmed, ranking compares stems."""
    out: list[Clause] = []
    for t in terms:
        for form in dict.fromkeys((t, stem(t))):
            if Clause((form,)) not in out:
                out.append(Clause((form,)))
    return tuple(out[:MAX_CLAUSES])


@dataclass(frozen=True, slots=True)
class Passage:
    episode_id: int
    unit_id: int  # the unit holding the answering sentence
    words: UnitWords  # the passage's words (absolute times)
    best: tuple[int, int]  # word range of the answering sentence
    score: float


@dataclass(frozen=True, slots=True)
class Answers:
    terms: list[str]  # what the question was taken to ask about
    total: int  # units that mention any of the terms
    passages: list[Passage]
    speakers: list[str]  # the speaker labels it names, whose turns are preferred


def answer(
    session: Session,
    db: Database,
    backend: LexicalBackend,
    text: str,
    filters: Filters,
    *,
    limit: int,
    offset: int,
) -> Answers:
    terms = question_terms(text)
    n = max(unit_count(session, backend, db.url), 1)
    first = _candidates(session, backend, text, terms, filters)
    if not first.hits:
        return Answers(terms, 0, [], [])
    # a named speaker's label stays a word to find too: "marketing" may be what was said
    names = _named_speakers(session, text, first.hits)
    weights = {stem(t): 1.0 for t in terms}
    idf = _idf(session, backend, list(weights), n)
    units = _with_neighbours(session, [i for i, _ in first.hits])
    by = [_turns(session, run, names) for run in units]
    scored = _passages(units, by, weights, idf)
    chosen = _without_overlap(scored, offset + limit)
    return Answers(terms, first.total, chosen[offset:], sorted(names))


def _candidates(
    session: Session, backend: LexicalBackend, text: str, terms: list[str], filters: Filters
) -> Ranked:
    return backend.search(
        session,
        Query(text, clauses(terms)),
        filters,
        limit=CANDIDATES,
        offset=0,
        any_clause=True,
        cap=RANK_CAP,
    )


def _named_speakers(session: Session, text: str, hits: list[tuple[int, float]]) -> set[str]:
    """The speaker labels of the candidates' episodes that the question names."""
    ids = [i for i, _ in hits]
    transcripts = session.scalars(
        select(SearchUnit.transcript_id).where(SearchUnit.id.in_(ids)).distinct()
    )
    return speakers.named(tokens(text), speakers.labels(session, transcripts))[0]


def _turns(session: Session, run: list[SearchUnit], names: set[str]) -> list[speakers.Interval]:
    if not names:
        return []
    return speakers.turns(session, run[0].transcript_id, names, run[0].start_ms, run[-1].end_ms)


def _idf(session: Session, backend: LexicalBackend, roots: list[str], n: int) -> dict[str, float]:
    out = {}
    for r in roots:
        df = backend.clause_frequency(session, Clause((r,)))
        out[r] = max(math.log((n - df + 0.5) / (df + 0.5) + 1), 1e-6)
    return out


def _with_neighbours(session: Session, ids: list[int]) -> list[list[SearchUnit]]:
    """The candidate units with the unit before and after each, as runs of consecutive units:
    an answer that starts at the end of one unit goes on in the next."""
    core = session.execute(
        select(SearchUnit.episode_id, SearchUnit.position).where(SearchUnit.id.in_(ids))
    ).all()
    wanted = {(e, p + d) for e, p in core for d in (-1, 0, 1)}
    rows = list(
        session.scalars(
            select(SearchUnit).where(
                tuple_(SearchUnit.episode_id, SearchUnit.position).in_(sorted(wanted))
            )
        )
    )
    rows.sort(key=lambda u: (u.episode_id, u.position))
    runs: list[list[SearchUnit]] = []
    for u in rows:
        last = runs[-1][-1] if runs else None
        if last and last.episode_id == u.episode_id and last.position + 1 == u.position:
            runs[-1].append(u)
        else:
            runs.append([u])
    return runs


@dataclass(slots=True)
class _Sentence:
    unit_id: int
    first: int  # word indexes into the run
    last: int
    start_ms: int
    end_ms: int
    roots: list[str]
    named: bool = False  # said by a speaker the question names


def _sentences(run: list[SearchUnit]) -> tuple[UnitWords, list[_Sentence]]:
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    marks: list[bool] = []
    toks: list[str] = []
    token_word: list[int] = []
    owner: list[int] = []
    for unit in run:
        w = decode(unit.start_ms, unit.words, unit.times)
        base = len(words)
        words += w.words
        starts += w.starts
        ends += w.ends
        marks += [m or i == 0 for i, m in enumerate(w.sentence_starts)]
        toks += w.tokens
        token_word += [base + i for i in w.token_word]
        owner += [unit.id] * len(w.words)
    joined = UnitWords(words, starts, ends, marks, toks, token_word)
    by_word: list[list[str]] = [[] for _ in words]
    for t, i in zip(toks, token_word, strict=True):
        by_word[i].append(stem(t))
    sentences: list[_Sentence] = []
    for i in range(len(words)):
        if marks[i] or not sentences:
            sentences.append(_Sentence(owner[i], i, i, starts[i], ends[i], []))
        s = sentences[-1]
        s.last, s.end_ms = i, max(s.end_ms, ends[i])
        s.roots.extend(by_word[i])
    return joined, sentences


def _passages(
    runs: list[list[SearchUnit]],
    turns: list[list[speakers.Interval]],
    weights: dict[str, float],
    idf: dict[str, float],
) -> list[Passage]:
    windows: list[tuple[int, UnitWords, list[_Sentence]]] = []
    for run, named_turns in zip(runs, turns, strict=True):
        joined, sentences = _sentences(run)
        for sentence in sentences:
            sentence.named = speakers.inside(sentence.start_ms, named_turns)
        for i in range(len(sentences)):
            j = i
            while (
                j + 1 < len(sentences) and sentences[j].end_ms - sentences[i].start_ms < PASSAGE_MS
            ):
                j += 1
            windows.append((run[0].episode_id, joined, sentences[i : j + 1]))
    if not windows:
        return []
    lengths = [sum(len(s.roots) for s in w[2]) for w in windows]
    avgdl = max(sum(lengths) / len(lengths), 1.0)
    out = []
    for (episode_id, joined, sents), dl in zip(windows, lengths, strict=True):
        tf = Counter(r for s in sents for r in s.roots if r in weights)
        if not tf:
            continue
        norm = K1 * (1 - B + B * dl / avgdl)
        score = sum(weights[r] * idf[r] * f * (K1 + 1) / (f + norm) for r, f in tf.items())
        # a question naming a speaker prefers their turns, in proportion to their share
        score *= 1 + SPEAKER_WEIGHT * sum(s.named for s in sents) / len(sents)
        best = max(
            sents,
            # a sentence with the question's words; of those, the named speaker's
            key=lambda s: (
                any(r in weights for r in s.roots),
                s.named,
                sum(weights[r] * idf[r] for r in set(s.roots) if r in weights),
                -s.first,
            ),
        )
        words = _slice(joined, sents[0].first, sents[-1].last)
        offset = sents[0].first
        out.append(
            Passage(
                episode_id,
                best.unit_id,
                words,
                (best.first - offset, best.last - offset),
                score,
            )
        )
    out.sort(key=lambda p: (-p.score, p.episode_id, p.words.starts[0]))
    return out


def _slice(w: UnitWords, a: int, b: int) -> UnitWords:
    keep = [k for k, i in enumerate(w.token_word) if a <= i <= b]
    return UnitWords(
        w.words[a : b + 1],
        w.starts[a : b + 1],
        w.ends[a : b + 1],
        w.sentence_starts[a : b + 1],
        [w.tokens[k] for k in keep],
        [w.token_word[k] - a for k in keep],
    )


def _without_overlap(passages: list[Passage], want: int) -> list[Passage]:
    """Best first, skipping any passage that overlaps one already taken in its episode."""
    taken: list[Passage] = []
    for p in passages:
        a, b = p.words.starts[0], p.words.ends[-1]
        if any(
            q.episode_id == p.episode_id and a < q.words.ends[-1] and q.words.starts[0] < b
            for q in taken
        ):
            continue
        taken.append(p)
        if len(taken) >= want:
            break
    return taken
