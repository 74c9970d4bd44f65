"""What a person types into the search box, made safe for either database.

The syntax is the one people already use: words, "quoted phrases" and prefixes (``pod*``).
Every word must appear (like a web search engine); when nothing has them all, the search
falls back to any of them (see service.py). Nothing else is syntax: FTS5 operators (``NEAR``,
``OR``, ``^``, ``col:``, parentheses) and tsquery operators are plain words here, because the
input is tokenized with the same tokenizer as the index (insight.text.tokens) and every token
is passed as a quoted literal. An unbalanced quote runs to the end of the query. A query may
therefore find nothing, but it can never be a syntax error in the database.

One filter is syntax: ``speaker:Ada`` or ``speaker:"Ada Lovelace"`` keeps the moments in which
that speaker talks (names as the transcript shows them, any case; search/backend.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from soundbite.errors import InvalidInput
from soundbite.insight.text import tokens

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 16
MIN_PREFIX = 2  # "a*" would match a third of the language; treat it as the word "a"
_PIECE = re.compile(r'"([^"]*)"?|(\S+)')
_SPEAKER = re.compile(r'(?:^|(?<=\s))speaker:(?:"([^"]*)"?|(\S+))', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Clause:
    """A word (one token), a phrase (several), optionally a prefix on its last token."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def fts5(self) -> str:
        return '"' + " ".join(self.tokens) + '"' + ("*" if self.prefix else "")

    def tsquery(self) -> str:
        """Candidate test for the GIN index: all tokens present (order is checked by regex)."""
        parts = [f"'{t}'" for t in self.tokens]
        if self.prefix:
            parts[-1] += ":*"
        return "(" + " & ".join(parts) + ")"

    def regex(self) -> str:
        """Whole-token occurrences in a space-separated token string (PostgreSQL ARE)."""
        body = " ".join(self.tokens)
        return f"(?<![^ ]){body}" + ("[^ ]*" if self.prefix else "(?![^ ])")

    def find(self, toks: list[str]) -> list[int]:
        """Token positions where this clause starts in `toks`."""
        n = len(self.tokens)
        head, last = self.tokens[:-1], self.tokens[-1]
        hits = []
        for i in range(len(toks) - n + 1):
            if tuple(toks[i : i + n - 1]) != head:
                continue
            t = toks[i + n - 1]
            if t == last or (self.prefix and t.startswith(last)):
                hits.append(i)
        return hits


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    clauses: tuple[Clause, ...]
    speaker: str | None = None  # speaker:NAME, whitespace tidied

    def fts5(self, *, any_clause: bool = False) -> str:
        return (" OR " if any_clause else " AND ").join(c.fts5() for c in self.clauses)

    def tsquery(self, *, any_clause: bool = False) -> str:
        return (" | " if any_clause else " & ").join(c.tsquery() for c in self.clauses)


def parse_query(text: str) -> Query:
    """Raises InvalidInput for a query with nothing searchable in it (the API's 422)."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters")
    if "\x00" in text:  # PostgreSQL text cannot hold it (the query is kept as a signal)
        raise InvalidInput("the query contains a NUL character")
    speaker, words = split_speaker(text)
    clauses: list[Clause] = []
    for match in _PIECE.finditer(words):
        quoted, bare = match.group(1), match.group(2)
        raw = quoted if quoted is not None else bare
        toks = tuple(tokens(raw))
        if not toks:
            continue
        prefix = raw.rstrip().endswith("*") and len(toks[-1]) >= MIN_PREFIX
        clause = Clause(toks, prefix)
        if clause not in clauses:
            clauses.append(clause)
    if not clauses:
        if speaker is not None:
            raise InvalidInput("add words to search for: speaker: only narrows a search")
        raise InvalidInput("the query has no words to search for (letters or digits)")
    return Query(text, tuple(clauses[:MAX_CLAUSES]), speaker)


def split_speaker(text: str) -> tuple[str | None, str]:
    """The speaker:NAME filter (the last one wins) and the query without it."""
    found = list(_SPEAKER.finditer(text))
    if not found:
        return None, text
    last = found[-1]
    name = " ".join((last.group(1) if last.group(1) is not None else last.group(2)).split())
    if not name:
        raise InvalidInput('say whose words to find: speaker:NAME or speaker:"First Last"')
    return name, _SPEAKER.sub(" ", text)
