"""Where a hit's words are, and the snippet that shows them.

Transcript text is untrusted (a publisher's file can hold ``<script>``), so every word is
HTML-escaped on its own and the only markup in a snippet is the ``<mark>`` we add around
matching words. Clients may therefore insert snippets as HTML, and nothing else needs escaping.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from soundbite.search.query import Clause
from soundbite.search.units import UnitWords

SNIPPET_WORDS = 32


@dataclass(frozen=True, slots=True)
class WordMatches:
    occurrences: list[tuple[int, int, int]]  # (first word, last word, clause index)
    cover: tuple[int, int] | None  # the tightest word range holding every clause found


def find_words(unit: UnitWords, clauses: Sequence[Clause]) -> WordMatches:
    occ = []
    for c, clause in enumerate(clauses):
        for t in clause.find(unit.tokens):
            first = unit.token_word[t]
            last = unit.token_word[t + len(clause.tokens) - 1]
            occ.append((first, last, c))
    occ.sort()
    return WordMatches(occ, _cover(occ))


def _cover(occ: list[tuple[int, int, int]]) -> tuple[int, int] | None:
    """Minimum window over occurrences that includes each matched clause at least once."""
    if not occ:
        return None
    want = {c for _, _, c in occ}
    best: tuple[int, int] | None = None
    for i, (start, _, _) in enumerate(occ):
        seen: set[int] = set()
        end = start
        for _, last, c in occ[i:]:
            seen.add(c)
            end = max(end, last)
            if seen == want:
                if best is None or end - start < best[1] - best[0]:
                    best = (start, end)
                break
    return best


def sentence_bounds(unit: UnitWords, first: int, last: int) -> tuple[int, int]:
    """The whole sentences holding words first..last: a clip that starts and ends cleanly."""
    a = first
    while a > 0 and not unit.sentence_starts[a]:
        a -= 1
    b = last + 1
    while b < len(unit.words) and not unit.sentence_starts[b]:
        b += 1
    return a, b - 1


def snippet(unit: UnitWords, marked: set[int], around: tuple[int, int] | None) -> str:
    n = len(unit.words)
    if n <= SNIPPET_WORDS:
        a, b = 0, n
    else:
        first, last = around or (0, 0)
        a = max(0, min(first - (SNIPPET_WORDS - (last - first + 1)) // 2, n - SNIPPET_WORDS))
        b = min(n, a + max(SNIPPET_WORDS, last - first + 1))
    out = []
    for i in range(a, b):
        word = html.escape(unit.words[i].replace("\u00a0", " "))
        if i in marked and (i - 1 not in marked or i == a):
            word = "<mark>" + word
        if i in marked and (i + 1 not in marked or i + 1 == b):
            word += "</mark>"
        out.append(word)
    return ("… " if a > 0 else "") + " ".join(out) + (" …" if b < n else "")


def marked_words(matches: WordMatches) -> set[int]:
    return {i for first, last, _ in matches.occurrences for i in range(first, last + 1)}
