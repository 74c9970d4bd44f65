"""Collaborative filtering on implicit feedback: ``implicit``'s alternating least squares.

ALS (Hu, Koren & Volinsky 2008) learns a vector per listener and per item so that their dot
product predicts whether the listener engages, weighted by confidence; it is the standard
well-kept choice for implicit feedback, and ``partial_fit_users`` re-solves one listener's
vector against fixed item vectors in milliseconds, so a new clip or a deleted history changes
that listener's feed without retraining everyone.

Only positive evidence enters the factorisation: a skip is applied at ranking time instead
(ranker.py), where its effect is direct and explainable. Confidence values can be reweighted
with BM25 (as ``implicit`` recommends for play counts) so that a heavy listener's long tail and a
hit's thousands of listeners do not dominate. Training is deterministic: a fixed seed and at
most two threads (the machines that run it have two cores, shared with the web server), and
BLAS limited to one thread while ALS runs, as ``implicit`` asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from implicit.als import AlternatingLeastSquares
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

Vector = NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class CollabOptions:
    """Defaults are the values bench/recommend.py chose on its validation split (Last.fm)."""

    factors: int = 32
    regularization: float = 1.0
    alpha: float = 1.0  # confidence = 1 + alpha * weight, in implicit's convention
    iterations: int = 15
    weighting: Literal["log", "bm25"] = "bm25"
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    seed: int = 7
    threads: int = 1


def matrix(
    rows: Sequence[Mapping[str, float]], item_index: Mapping[str, int], n_items: int
) -> csr_matrix:
    """Listeners x items, positive evidence only, items the index does not know left out."""
    indptr, indices, data = [0], list[int](), list[float]()
    for row in rows:
        pairs = sorted((item_index[i], c) for i, c in row.items() if c > 0 and i in item_index)
        indices.extend(j for j, _ in pairs)
        data.extend(c for _, c in pairs)
        indptr.append(len(indices))
    return csr_matrix(
        (np.asarray(data, dtype=np.float32), indices, indptr), shape=(len(rows), n_items)
    )


class Collaborative:
    """Listener and item vectors for a fixed list of items; listeners can be added or refit."""

    def __init__(self, n_items: int, options: CollabOptions) -> None:
        self.options = options
        self.n_items = n_items
        self.user_index: dict[str, int] = {}
        with threadpool_limits(1, "blas"):
            self._als = AlternatingLeastSquares(
                factors=options.factors,
                regularization=options.regularization,
                alpha=options.alpha,
                iterations=options.iterations,
                random_state=options.seed,
                num_threads=options.threads,
            )
        self._fitted = False
        self._item_length = np.ones(n_items, dtype=np.float32)

    def _weigh(self, m: csr_matrix) -> csr_matrix:
        """BM25 as in ``implicit``'s Last.fm example (items as documents, listeners as terms).

        Written out rather than calling ``implicit.nearest_neighbours.bm25_weight`` because a
        one-listener refit must reuse the item lengths seen in training; computed on one row,
        the statistics would be meaningless.
        """
        if self.options.weighting != "bm25" or not m.nnz:
            return m
        k1, b = self.options.bm25_k1, self.options.bm25_b
        coo = m.tocoo()
        per_user = np.bincount(coo.row, minlength=m.shape[0])
        # a listener of nearly every item would get a negative weight: keep a small floor
        idf = np.maximum(np.log(self.n_items) - np.log1p(per_user), 0.1)
        norm = (1.0 - b) + b * self._item_length[coo.col]
        data = coo.data * (k1 + 1.0) / (k1 * norm + coo.data) * idf[coo.row]
        return csr_matrix((data.astype(np.float32), (coo.row, coo.col)), shape=m.shape)

    def fit(self, users: Sequence[str], user_items: csr_matrix) -> None:
        self.user_index = {u: n for n, u in enumerate(users)}
        sums = np.ravel(user_items.sum(axis=0))
        mean = sums[sums > 0].mean() if user_items.nnz else 1.0
        self._item_length = (sums / mean).astype(np.float32)
        with threadpool_limits(1, "blas"):
            self._als.fit(self._weigh(user_items), show_progress=False)
        self._fitted = True

    def refit_user(self, user: str, row: csr_matrix) -> None:
        """Solve one listener's vector again from their current evidence (a 1 x items row)."""
        if not self._fitted:
            return
        index = self.user_index.setdefault(user, len(self.user_index))
        with threadpool_limits(1, "blas"):
            self._als.partial_fit_users(np.array([index]), self._weigh(row))

    def has_vector(self, user: str) -> bool:
        return user in self.user_index

    def scores(self, user: str) -> Vector | None:
        """Predicted preference for every item, or None for a listener with no vector."""
        if not self._fitted or user not in self.user_index:
            return None
        factors = self._als.user_factors[self.user_index[user]]
        # einsum, not BLAS: see content.py on threaded BLAS under load
        return np.einsum("ij,j->i", self._als.item_factors, factors).astype(np.float32)

    def closest_evidence(self, item: int, evidence: Sequence[int]) -> int | None:
        """Which of the listener's items explains ``item`` best (most similar item vector)."""
        if not self._fitted or not evidence:
            return None
        f = self._als.item_factors
        mine = f[list(evidence)]
        sims = np.einsum("ij,j->i", mine, f[item])
        norms = np.sqrt(np.einsum("ij,ij->i", mine, mine)) * (np.sqrt(f[item] @ f[item]) + 1e-9)
        return int(evidence[int(np.argmax(sims / (norms + 1e-9)))])
