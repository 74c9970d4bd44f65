"""Lexical search behind one small interface, with one implementation per database.

Both rank with Okapi BM25 (k1 = 1.2, b = 0.75) over the two indexed columns of a unit, its
words and its topic context, the context weighted 0.1 (a small edge for a unit whose topic is
the query; bench/search.py measured 0.957 nDCG@10 at 0.1 and 0.952 at 0.3, so no more):

- SQLite: FTS5's own ``bm25()``, which is exactly that.
- PostgreSQL: the same formula in SQL. ``ts_rank_cd`` has no inverse document frequency, so a
  query of a rare and a common word would rank by the common one; instead term frequencies
  are counted with ``regexp_count`` over the unit's token string (exact for phrases and
  prefixes), document frequencies with the GIN index, and the score assembled as FTS5 does.
  A unit's length is its token count, as in FTS5.

So the two databases agree on what matches and very nearly on the order, and tests can hold
both to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    bindparam,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from soundbite.search.query import Clause, Query
from soundbite.store.insight_models import SearchUnit
from soundbite.store.models import Episode, Transcript, TranscriptSegment

CONTEXT_WEIGHT = 0.1
K1, B = 1.2, 0.75


@dataclass(frozen=True, slots=True)
class Filters:
    podcast_id: int | None = None
    published_from: datetime | None = None
    published_to: datetime | None = None
    episode_id: int | None = None
    # the podcasts the caller may see listed (store/access.py); None: every podcast
    podcast_ids: tuple[int, ...] | None = None
    # `speaker:NAME` in the query: units in which that speaker talks (any case)
    speaker: str | None = None

    @property
    def any(self) -> bool:
        return any(
            v is not None
            for v in (
                self.podcast_id,
                self.published_from,
                self.published_to,
                self.episode_id,
                self.podcast_ids,
                self.speaker,
            )
        )

    def where(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.podcast_id is not None:
            conds.append(Episode.podcast_id == self.podcast_id)
        if self.published_from is not None:
            conds.append(Episode.published_at >= self.published_from)
        if self.published_to is not None:
            conds.append(Episode.published_at <= self.published_to)
        if self.episode_id is not None:
            conds.append(SearchUnit.episode_id == self.episode_id)
        if self.podcast_ids is not None:
            conds.append(Episode.podcast_id.in_(self.podcast_ids))
        if self.speaker is not None:
            conds.append(_spoken_by(self.speaker))
        return conds


def _spoken_by(speaker: str) -> ColumnElement[bool]:
    """The unit overlaps a transcript segment of `speaker` (compared in lower case)."""
    return exists(
        select(TranscriptSegment.id)
        .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
        .where(
            Transcript.episode_id == SearchUnit.episode_id,
            func.lower(TranscriptSegment.speaker) == speaker.lower(),
            TranscriptSegment.start_ms < SearchUnit.end_ms,
            TranscriptSegment.end_ms > SearchUnit.start_ms,
        )
    )


@dataclass(frozen=True, slots=True)
class Ranked:
    total: int
    hits: list[tuple[int, float]]  # (unit id, score: higher is better)


class LexicalBackend(Protocol):
    def search(
        self,
        session: Session,
        query: Query,
        filters: Filters,
        *,
        limit: int,
        offset: int,
        any_clause: bool = False,
        cap: int | None = None,
    ) -> Ranked:
        """Units matching every clause (or any), best first; ``total`` counts them all.
        With ``cap``, only the newest ``cap`` matches are ranked (see planner.py)."""
        ...

    def count(
        self, session: Session, query: Query, filters: Filters, *, any_clause: bool = False
    ) -> int: ...

    def clause_frequency(self, session: Session, clause: Clause) -> int:
        """In how many units of the whole library the clause occurs."""
        ...

    def document_frequencies(self, session: Session, terms: list[str]) -> dict[str, int]: ...

    def unit_count(self, session: Session) -> int: ...


class SqliteBackend:
    """FTS5: MATCH on the external-content table, bm25() with column weights."""

    _table = table("search_units_fts", column("rowid"))
    _fts = _table.c.rowid
    _bm25: ColumnClause[float] = literal_column(f"bm25(search_units_fts, 1.0, {CONTEXT_WEIGHT})")

    def _base(self, match: str, filters: Filters, *columns: Any) -> Any:
        source: Any = self._table
        if filters.any:
            source = source.join(SearchUnit, SearchUnit.id == self._fts).join(
                Episode, Episode.id == SearchUnit.episode_id
            )
        return (
            select(*columns)
            .select_from(source)
            .where(text("search_units_fts MATCH :match").bindparams(match=match), *filters.where())
        )

    def search(
        self,
        session: Session,
        query: Query,
        filters: Filters,
        *,
        limit: int,
        offset: int,
        any_clause: bool = False,
        cap: int | None = None,
    ) -> Ranked:
        match = query.fts5(any_clause=any_clause)
        total = session.scalar(self._base(match, filters, func.count())) or 0
        if total == 0 or offset >= total:
            return Ranked(total, [])
        ranked = self._base(match, filters, self._fts, self._bm25)
        if cap is not None and total > cap:
            # FTS5 walks a doclist newest-first cheaply and honours rowid bounds while matching
            lowest = session.scalar(
                select(self._fts)
                .select_from(self._table)
                .where(text("search_units_fts MATCH :match").bindparams(match=match))
                .order_by(self._fts.desc())
                .limit(1)
                .offset(cap - 1)
            )
            ranked = ranked.where(self._fts >= lowest)
        rows = session.execute(
            ranked.order_by(self._bm25, self._fts).limit(limit).offset(offset)
        ).all()
        # bm25() is negative, lower is better: flip it so that higher is better everywhere
        return Ranked(total, [(int(r[0]), -float(r[1])) for r in rows])

    def count(
        self, session: Session, query: Query, filters: Filters, *, any_clause: bool = False
    ) -> int:
        match = query.fts5(any_clause=any_clause)
        return session.scalar(self._base(match, filters, func.count())) or 0

    def clause_frequency(self, session: Session, clause: Clause) -> int:
        return session.scalar(self._base(clause.fts5(), Filters(), func.count())) or 0

    def document_frequencies(self, session: Session, terms: list[str]) -> dict[str, int]:
        if not terms:
            return {}
        rows = session.execute(
            text("SELECT term, doc FROM search_units_vocab WHERE term IN :terms").bindparams(
                bindparam("terms", expanding=True)
            ),
            {"terms": terms},
        ).mappings()
        return {str(r["term"]): int(r["doc"]) for r in rows}

    def unit_count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(SearchUnit)) or 0
