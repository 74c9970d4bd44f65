"""Who a question asks about: "What did the Industrial Designer think of the case?"

Many questions name the person whose answer they want, and that name is rarely said by anyone:
it is the label of their turns (a transcript's speaker, a VTT voice tag). So a question's words
are matched against the speaker labels of the episodes it is searched in, and passages where a
named speaker talks are preferred (questions.py). The name stays a word to find as well: in
"what did Marketing say about the marketing budget" it is both, and dropping it measured worse
on QMSum (Hit@5 0.768 against 0.781).

A label is named when its words appear in the question in order, each the same word or, for
words of five letters or more, one a prefix of the other ("Industrial Design" names
"Industrial Designer"). A label made only of short or stop words ("B", "The Host") is too
easy to name by accident and is only named with a word of substance in it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from soundbite.insight.text import is_content, tokens
from soundbite.store.models import TranscriptSegment

Interval = tuple[int, int]


def labels(session: Session, transcript_ids: Iterable[int]) -> list[str]:
    ids = sorted(set(transcript_ids))
    if not ids:
        return []
    rows = session.scalars(
        select(TranscriptSegment.speaker)
        .where(TranscriptSegment.transcript_id.in_(ids), TranscriptSegment.speaker.is_not(None))
        .distinct()
    )
    return sorted(str(r) for r in rows if r)


def _same(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 5 and (a.startswith(b) or b.startswith(a)))


def named(question: list[str], candidates: Iterable[str]) -> tuple[set[str], set[int]]:
    """The labels the question (its tokens) names, and the positions of the naming tokens.
    A label is named by all its words, or by its words of substance alone when no other label
    has them ("the professor" names "Professor B" when there is one professor)."""
    labels = {label: tokens(label) for label in candidates}
    substance = {label: [w for w in words if is_content(w)] for label, words in labels.items()}
    found: set[str] = set()
    positions: set[int] = set()
    for label, words in labels.items():
        own = substance[label]
        if not own:
            continue
        shared = any(other != label and all(w in substance[other] for w in own) for other in labels)
        for seq in (words, [] if shared or own == words else own):
            at = _find(question, seq)
            if at:
                found.add(label)
                positions.update(at)
                break
    return found, positions


def _find(question: list[str], words: list[str]) -> set[int]:
    n = len(words)
    out: set[int] = set()
    for i in range(len(question) - n + 1) if n else ():
        if all(_same(question[i + k], words[k]) for k in range(n)):
            out.update(range(i, i + n))
    return out


def turns(
    session: Session, transcript_id: int, names: set[str], start_ms: int, end_ms: int
) -> list[Interval]:
    """When the named speakers talk between start_ms and end_ms, in order."""
    rows = session.execute(
        select(TranscriptSegment.start_ms, TranscriptSegment.end_ms)
        .where(
            TranscriptSegment.transcript_id == transcript_id,
            TranscriptSegment.speaker.in_(sorted(names)),
            TranscriptSegment.end_ms > start_ms,
            TranscriptSegment.start_ms < end_ms,
        )
        .order_by(TranscriptSegment.start_ms)
    ).all()
    return [(int(a), int(b)) for a, b in rows]


def inside(t: int, intervals: list[Interval]) -> bool:
    return any(a <= t < b for a, b in intervals)
