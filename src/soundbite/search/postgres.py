"""BM25 on PostgreSQL: the GIN index finds candidates, SQL scores them as FTS5 would.

See backend.py for why not ``ts_rank_cd``. Per query this costs one statistics query (unit
count and mean length), one document-frequency count per clause (index scans) and the ranked
query itself; term frequencies come from ``regexp_count`` (PostgreSQL 15 or later) on the
candidates only. Every value reaches the database as a bound parameter; the clause regexes and
tsquery text are built from tokens that contain only letters and digits (see query.py).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from soundbite.search.backend import CONTEXT_WEIGHT, K1, B, Filters, Ranked
from soundbite.search.query import Clause, Query
from soundbite.store.insight_models import SearchUnit

TSVECTOR = (
    "array_to_tsvector(array_remove(string_to_array({u}terms || ' ' || {u}context, ' '), ''))"
)


def _filters_sql(filters: Filters, params: dict[str, Any]) -> str:
    sql = []
    if filters.podcast_id is not None:
        sql.append("e.podcast_id = :podcast_id")
        params["podcast_id"] = filters.podcast_id
    if filters.published_from is not None:
        sql.append("e.published_at >= :published_from")
        params["published_from"] = filters.published_from
    if filters.published_to is not None:
        sql.append("e.published_at <= :published_to")
        params["published_to"] = filters.published_to
    if filters.episode_id is not None:
        sql.append("u.episode_id = :episode_id")
        params["episode_id"] = filters.episode_id
    if filters.podcast_ids is not None:
        sql.append("e.podcast_id = ANY(:podcast_ids)")
        params["podcast_ids"] = list(filters.podcast_ids)
    if filters.speaker is not None:
        # the same test as backend.Filters.where: a segment of the speaker overlaps the unit
        sql.append(
            "EXISTS (SELECT 1 FROM transcript_segments ts JOIN transcripts t"
            " ON t.id = ts.transcript_id WHERE t.episode_id = u.episode_id"
            " AND lower(ts.speaker) = :speaker"
            " AND ts.start_ms < u.end_ms AND ts.end_ms > u.start_ms)"
        )
        params["speaker"] = filters.speaker.lower()
    return "".join(f" AND {s}" for s in sql)


class PostgresBackend:
    def _stats(self, session: Session) -> tuple[int, float]:
        n, avg = session.execute(
            select(func.count(), func.avg(SearchUnit.n_terms + SearchUnit.n_context))
        ).one()
        return int(n), float(avg or 1.0)

    def _df(self, session: Session, clause: Clause) -> int:
        return (
            session.scalar(
                text(
                    f"SELECT count(*) FROM search_units WHERE {TSVECTOR.format(u='')}"
                    " @@ CAST(:q AS tsquery) AND (terms ~ :re OR context ~ :re)"
                ),
                {"q": clause.tsquery(), "re": clause.regex()},
            )
            or 0
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
        n, avgdl = self._stats(session)
        params: dict[str, Any] = {"tsq": query.tsquery(any_clause=any_clause)}
        freqs, terms = [], []
        for i, clause in enumerate(query.clauses):
            df = self._df(session, clause)
            params[f"re{i}"] = clause.regex()
            params[f"idf{i}"] = max(math.log((n - df + 0.5) / (df + 0.5)), 1e-6)
            freqs.append(
                f"regexp_count(u.terms, :re{i})"
                f" + {CONTEXT_WEIGHT} * regexp_count(u.context, :re{i}) AS f{i}"
            )
            norm = f"{K1} * (1 - {B} + {B} * dl / {avgdl!r})"
            terms.append(f":idf{i} * (f{i} * {K1 + 1}) / (f{i} + {norm})")
        wanted = self._wanted(query, any_clause)
        newest = ""
        if cap is not None:
            newest = f" AND u.id >= coalesce(({self._nth_newest(query, any_clause)}), 0)"
            params["cap"] = cap - 1
        sql = (
            f"WITH f AS (SELECT u.id, u.n_terms + u.n_context AS dl, {', '.join(freqs)}"
            " FROM search_units u JOIN episodes e ON e.id = u.episode_id"
            f" WHERE {TSVECTOR.format(u='u.')} @@ CAST(:tsq AS tsquery)"
            f"{_filters_sql(filters, params)}{newest})"
            f" SELECT id, {' + '.join(terms)} AS score, count(*) OVER () AS total"
            f" FROM f WHERE {wanted} ORDER BY score DESC, id LIMIT :limit OFFSET :offset"
        )
        rows = session.execute(text(sql), {**params, "limit": limit, "offset": offset}).all()
        hits = [(int(r.id), float(r.score)) for r in rows]
        if cap is not None:  # the window count saw only the newest `cap`
            return Ranked(self.count(session, query, filters, any_clause=any_clause), hits)
        if rows:
            return Ranked(int(rows[0].total), hits)
        if offset == 0:
            return Ranked(0, [])
        total = session.execute(text(sql), {**params, "limit": 1, "offset": 0}).first()
        return Ranked(int(total.total) if total else 0, [])

    @staticmethod
    def _wanted(query: Query, any_clause: bool) -> str:
        join = " OR ".join if any_clause else " AND ".join
        return join(f"f{i} > 0" for i in range(len(query.clauses)))

    def _matching(self, query: Query, any_clause: bool) -> str:
        """SQL selecting the ids of matching units; params tsq and re<i> as in search()."""
        freqs = ", ".join(
            f"regexp_count(u.terms, :re{i}) + regexp_count(u.context, :re{i}) AS f{i}"
            for i in range(len(query.clauses))
        )
        return (
            f"SELECT id FROM (SELECT u.id, {freqs} FROM search_units u"
            f" WHERE {TSVECTOR.format(u='u.')} @@ CAST(:tsq AS tsquery)) m"
            f" WHERE {self._wanted(query, any_clause)}"
        )

    def _nth_newest(self, query: Query, any_clause: bool) -> str:
        return f"{self._matching(query, any_clause)} ORDER BY id DESC OFFSET :cap LIMIT 1"

    def count(
        self, session: Session, query: Query, filters: Filters, *, any_clause: bool = False
    ) -> int:
        params: dict[str, Any] = {"tsq": query.tsquery(any_clause=any_clause)}
        params.update({f"re{i}": c.regex() for i, c in enumerate(query.clauses)})
        where = _filters_sql(filters, params)
        sql = (
            f"SELECT count(*) FROM ({self._matching(query, any_clause)}) m"
            " JOIN search_units u ON u.id = m.id JOIN episodes e ON e.id = u.episode_id"
            f" WHERE true{where}"
        )
        return session.scalar(text(sql), params) or 0

    def clause_frequency(self, session: Session, clause: Clause) -> int:
        return self._df(session, clause)

    def document_frequencies(self, session: Session, terms: list[str]) -> dict[str, int]:
        return {t: self._df(session, Clause((t,))) for t in terms}

    def unit_count(self, session: Session) -> int:
        return self._stats(session)[0]
