""" "More like this": moments that talk about what a span of an episode talks about.

Lucene's MoreLikeThis recipe on our own index: take the words said in the span, keep the
content words, weight each by TF-IDF (document frequencies from the index, so "podcast" in a
library of podcasts about podcasts counts for little), and search for the dozen best as an
any-word BM25 query. BM25 over the query terms is a TF-IDF cosine in all but name, and it runs
on the full-text index instead of comparing the span with every unit. The span's own units are
left out; the rest are split into the same episode and others. With the semantic extra, the
cosine of sentence embeddings is fused in, as in search.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from soundbite.errors import InvalidInput, NotFound
from soundbite.insight.text import is_content
from soundbite.search import semantic
from soundbite.search.backend import Filters, Ranked
from soundbite.search.engines import backend_for
from soundbite.search.query import Clause, Query
from soundbite.search.service import Hit, load_hits
from soundbite.search.units import decode
from soundbite.store.db import Database
from soundbite.store.insight_models import SearchUnit

QUERY_TERMS = 12
CANDIDATES = 60


@dataclass(frozen=True, slots=True)
class RelatedMoments:
    terms: list[str]  # what "like this" was taken to mean
    same_episode: list[Hit]
    other_episodes: list[Hit]


def span_words(units: list[SearchUnit], start_ms: int, end_ms: int) -> list[str]:
    """The search tokens of the words that start inside the span."""
    out: list[str] = []
    for unit in units:
        words = decode(unit.start_ms, unit.words, unit.times)
        for tok, w in zip(words.tokens, words.token_word, strict=True):
            if start_ms <= words.starts[w] < end_ms:
                out.append(tok)
    return out


def related(
    db: Database,
    episode_id: int,
    start_ms: int,
    end_ms: int,
    *,
    limit: int = 5,
    podcast_ids: tuple[int, ...] | None = None,
) -> RelatedMoments:
    """Moments like the span; those of other episodes only from `podcast_ids` (the podcasts
    listed for the caller; None: all)."""
    if end_ms <= start_ms:
        raise InvalidInput("end_ms must be after start_ms")
    backend = backend_for(db)
    with db.read() as s:
        units = list(
            s.scalars(
                select(SearchUnit)
                .where(SearchUnit.episode_id == episode_id)
                .where(SearchUnit.end_ms > start_ms, SearchUnit.start_ms < end_ms)
                .order_by(SearchUnit.position)
            )
        )
        if not units:
            raise NotFound(f"episode {episode_id} has no indexed words in that span (yet)")
        tf = Counter(t for t in span_words(units, start_ms, end_ms) if is_content(t))
        candidates = [t for t, _ in tf.most_common(4 * QUERY_TERMS)]
        df = backend.document_frequencies(s, candidates)
        n = max(backend.unit_count(s), 1)
        weight = {t: tf[t] * math.log(1 + n / df.get(t, 1)) for t in candidates}
        terms = sorted(candidates, key=lambda t: (-weight[t], t))[:QUERY_TERMS]
        if not terms:
            return RelatedMoments([], [], [])
        query = Query(" ".join(terms), tuple(Clause((t,)) for t in terms))
        ranked = backend.search(s, query, Filters(), limit=CANDIDATES, offset=0, any_clause=True)
        ranked = _with_semantic(s, db, units, ranked)
        own = {u.id for u in units}
        hits = load_hits(s, [h for h in ranked.hits if h[0] not in own], query.clauses)
    same = [h for h in hits if h.episode_id == episode_id][:limit]
    other = [
        h
        for h in hits
        if h.episode_id != episode_id and (podcast_ids is None or h.podcast_id in podcast_ids)
    ][:limit]
    return RelatedMoments(terms, same, other)


def _with_semantic(s: Session, db: Database, units: list[SearchUnit], ranked: Ranked) -> Ranked:
    if not semantic.installed():
        return ranked
    text = " ".join(u.words.replace("\u00a0", " ") for u in units)
    close = semantic.semantic_rank(s, db, text, Filters(), k=CANDIDATES)
    if not close:
        return ranked
    scores: dict[int, float] = {}
    for ranking in (ranked.hits, close):
        for position, (unit_id, _) in enumerate(ranking, 1):
            scores[unit_id] = scores.get(unit_id, 0.0) + 1 / (semantic.RRF_K + position)
    return Ranked(len(scores), sorted(scores.items(), key=lambda x: (-x[1], x[0])))
