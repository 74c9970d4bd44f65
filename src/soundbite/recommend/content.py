"""Content similarity: what is said in an item, as TF-IDF vectors compared by cosine.

Collaborative filtering knows nothing of an item nobody has played yet; words do. Every item's
transcript becomes a sublinear TF-IDF vector (scikit-learn), L2-normalised, so the dot product
of two rows is their cosine. Where every item carries a ready vector (sentence embeddings from
the semantic extra), those are used instead. New items are added with the vocabulary fixed at
training, so they are comparable at once and enter feeds through similarity to what a
listener clipped or played.

Diversity compares the few candidates of a row with each other; it uses a 64-dimensional
projection of the same vectors (truncated SVD, i.e. latent semantic analysis), small and dense
enough to compare in microseconds. Products on the ranking path use ``np.einsum`` rather than
BLAS: a multi-threaded BLAS on a busy two-core machine turned a 100 x 100 product into 40 ms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, vstack
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from soundbite.recommend.data import Item

Scores = NDArray[np.float32]
DIVERSITY_DIMENSIONS = 64


def _unit(m: NDArray[np.float64]) -> NDArray[np.float32]:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.asarray(m / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _normalise(m: NDArray[np.float64]) -> csr_matrix:
    return csr_matrix(_unit(m))


class ContentIndex:
    """One normalised row per item, in the order given."""

    def __init__(self, items: Sequence[Item]) -> None:
        self._vectorizer: TfidfVectorizer | None = None
        self._svd: TruncatedSVD | None = None
        self.rows = self._fit(items)
        self.dense = self._project(self.rows, fit=True)

    def _project(self, rows: csr_matrix, fit: bool = False) -> NDArray[np.float32]:
        if rows.shape[1] <= DIVERSITY_DIMENSIONS:
            return _unit(rows.toarray())
        if fit:
            self._svd = TruncatedSVD(DIVERSITY_DIMENSIONS, random_state=0)
            with threadpool_limits(1, "blas"):
                return _unit(self._svd.fit_transform(rows))
        assert self._svd is not None
        return _unit(self._svd.transform(rows))

    def _fit(self, items: Sequence[Item]) -> csr_matrix:
        if items and all(i.vector is not None for i in items):
            return _normalise(np.array([i.vector for i in items], dtype=np.float64))
        self._vectorizer = TfidfVectorizer(
            sublinear_tf=True, stop_words="english", dtype=np.float32
        )
        texts = [i.text or i.title for i in items]
        if any(t.strip() for t in texts):
            try:
                return csr_matrix(self._vectorizer.fit_transform(texts))
            except ValueError:  # nothing but stop words: no vocabulary
                pass
        self._vectorizer = None
        return csr_matrix((len(items), 1), dtype=np.float32)

    def _embed(self, texts: Sequence[str]) -> csr_matrix:
        if self._vectorizer is None:
            return csr_matrix((len(texts), self.rows.shape[1]), dtype=np.float32)
        return csr_matrix(self._vectorizer.transform(texts))

    def add(self, items: Sequence[Item]) -> None:
        """Append rows for new items, in the vector space fixed at training."""
        if all(i.vector is not None for i in items) and self._vectorizer is None:
            new = _normalise(np.array([i.vector for i in items], dtype=np.float64))
        else:
            new = self._embed([i.text or i.title for i in items])
        self.rows = csr_matrix(vstack([self.rows, new]))
        self.dense = np.vstack([self.dense, self._project(csr_matrix(new))])

    def similar(self, item: int) -> Scores:
        """Cosine of one item with every item (itself included, at 1)."""
        return np.asarray(self.rows @ self.rows[item].toarray().ravel(), dtype=np.float32)

    def profile_scores(self, weights: Mapping[int, float], queries: Sequence[str] = ()) -> Scores:
        """Cosine of every item with a listener's profile: their items' vectors, weighted, plus
        the words they searched for (a search is a statement of interest too)."""
        n = self.rows.shape[0]
        if not weights and not queries:
            return np.zeros(n, dtype=np.float32)
        profile = np.zeros(self.rows.shape[1], dtype=np.float32)
        if weights:
            idx = list(weights)
            w = np.array([weights[i] for i in idx], dtype=np.float32)
            profile += np.asarray(self.rows[idx].T @ w, dtype=np.float32).ravel()
        if queries:
            profile += self._embed([" ".join(queries)]).toarray().ravel()
        norm = float(np.linalg.norm(profile))
        if norm == 0:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.rows @ profile, dtype=np.float32).ravel() / norm

    def pairwise(self, items: Sequence[int]) -> NDArray[np.float32]:
        """Cosine between the given items in the reduced space, for diversity."""
        sub = self.dense[list(items)]
        return np.einsum("ik,jk->ij", sub, sub)
