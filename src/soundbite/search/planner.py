"""How a query is ranked: which clauses rank, over which units, in what order.

Order: units that say every meaningful clause come first, then units that say some, each
group by BM25. BM25 alone nearly does this, but not reliably (one frequent word can outweigh
two others), and people expect a hit with all their words above one with half of them.

Cost: BM25 costs about a microsecond per matching unit, so a search is kept to the units that
can matter, which is what holds p95 under 50 ms over 1,000 hours (bench/search.py):

1. In a library of more than ``PRUNE_FROM_UNITS`` units (~8 hours), a clause found in more
   than half of them has no weight in BM25 (FTS5 clamps its IDF to ~0), so it neither ranks nor
   pulls in candidates, like a stopword, unless the query has nothing else. (In a small library
   ranking everything is cheap, and such a word may still be what tells two moments apart.)
   Words of our stopword list don't count towards "every clause".
2. When enough units say every remaining clause, only those are ranked (an AND, usually small).
3. When a set to rank is still larger than ``RANK_CAP`` (a common word on its own), only its
   newest ``RANK_CAP`` matches are ranked: such a word says little about which moment is
   wanted, and recent episodes are the better guess. ``total`` still counts every match.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from soundbite.insight.text import is_content
from soundbite.search.backend import Filters, LexicalBackend, Ranked
from soundbite.search.query import Clause, Query
from soundbite.store.insight_models import SearchUnit

RANK_CAP = 10_000
PRUNE_FROM_UNITS = 1_000
CANDIDATES = 200  # some-word units fetched to be re-ordered by how many clauses they say
COUNT_TTL_S = 30.0
_counts: dict[str, tuple[float, int]] = {}
_lock = threading.Lock()


def unit_count(session: Session, backend: LexicalBackend, key: str) -> int:
    """The number of units, cached briefly: it only drifts as episodes are indexed."""
    with _lock:
        cached = _counts.get(key)
    if cached and time.monotonic() - cached[0] < COUNT_TTL_S:
        return cached[1]
    n = backend.unit_count(session)
    with _lock:
        _counts[key] = (time.monotonic(), n)
    return n


def ranking_clauses(
    session: Session, backend: LexicalBackend, query: Query, units: int
) -> tuple[Clause, ...]:
    weighty = list(query.clauses)
    if units > PRUNE_FROM_UNITS:
        weighty = [c for c in weighty if backend.clause_frequency(session, c) <= units / 2]
    meaningful = [c for c in weighty if len(c.tokens) > 1 or c.prefix or is_content(c.tokens[0])]
    return tuple(meaningful or weighty or query.clauses)


def _said(session: Session, unit_ids: list[int], clauses: tuple[Clause, ...]) -> dict[int, int]:
    rows = session.execute(
        select(SearchUnit.id, SearchUnit.terms, SearchUnit.context).where(
            SearchUnit.id.in_(unit_ids)
        )
    ).all()
    return {
        unit_id: sum(1 for c in clauses if c.find(terms.split(" ")) or c.find(context.split(" ")))
        for unit_id, terms, context in rows
    }


def rank(
    session: Session,
    backend: LexicalBackend,
    query: Query,
    filters: Filters,
    *,
    limit: int,
    offset: int,
    cache_key: str,
) -> tuple[Ranked, Literal["all", "any"]]:
    units = unit_count(session, backend, cache_key)
    clauses = ranking_clauses(session, backend, query, units)
    ranked = Query(query.text, clauses)
    every = backend.search(session, ranked, filters, limit=limit, offset=offset, cap=RANK_CAP)
    if len(clauses) == 1:
        return every, "all"
    total = backend.count(session, ranked, filters, any_clause=True)
    matched: Literal["all", "any"] = "all" if every.total else "any"
    if every.total >= offset + limit:
        return Ranked(total, every.hits), matched
    # the page runs past the units with every clause: continue with those with some
    skip = max(0, offset - every.total)
    want = limit - len(every.hits)
    pool = backend.search(
        session,
        ranked,
        filters,
        limit=every.total + max(CANDIDATES, skip + want),
        offset=0,
        any_clause=True,
        cap=RANK_CAP,
    )
    said = _said(session, [i for i, _ in pool.hits], clauses)
    rest = [h for h in pool.hits if said.get(h[0], 0) < len(clauses)]
    rest.sort(key=lambda h: (-said.get(h[0], 0), -h[1], h[0]))
    return Ranked(total, every.hits + rest[skip : skip + want]), matched
