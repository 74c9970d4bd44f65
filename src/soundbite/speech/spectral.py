"""senko's spectral clustering of speaker embeddings, made to scale to episodes of many hours.

Why: senko clusters recordings under 20 minutes with spectral clustering and longer ones with
UMAP + HDBSCAN, because its spectral clustering builds the dense n x n similarity matrix and
takes every eigenvector of it (an 8-hour episode has ~38,000 embedding windows: 11 GB and an
O(n^3) eigendecomposition). On long recordings UMAP + HDBSCAN splits voices badly
(bench/speakers.py: 17 speakers for 6 voices in 30 minutes, and a whole voice left among the
windows it could not place). The spectral method itself is not the limit, its dense algebra is:
it keeps only each window's nearest neighbours (p-pruning) and needs only the ~16 smallest
eigenvalues of the graph Laplacian. So this is the same algorithm with sparse matrices:

1. cosine similarities, a block of rows at a time, keeping each row's ``keep`` largest values
   (senko's ``p_pruning``: the top ``pval`` share of the row, at least ``min_pnum``);
2. the pruned graph made symmetric, its unnormalised Laplacian L = D - A;
3. the ``max_speakers + 1`` smallest eigenpairs of L by Lanczos (ARPACK, on c*I - L so that they
   are the largest, which it finds quickly), the number of speakers at the widest eigengap;
4. k-means on those eigenvectors (senko's settings).

Memory: the embeddings, one block of similarities, and ``keep`` entries per window (8 hours:
~460 a window, ~18 M in all; measured peak 650 MB above the embeddings, 39 s on 2 cores).
tests/test_speech_spectral.py checks it against senko's dense implementation.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import LinearOperator, eigsh
from sklearn.cluster import KMeans

_BLOCK_ROWS = 256  # 256 x n similarities at a time: 40 MB for 8 hours of windows
_DENSE_BELOW = 200


def spectral_labels(
    embeddings: np.ndarray,
    *,
    pval: float = 0.012,
    min_pnum: int = 6,
    min_speakers: int = 1,
    max_speakers: int = 15,
) -> np.ndarray:
    """A cluster label per embedding (one row each), as senko's ``SpectralCluster`` gives."""
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    x = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
    x = x.astype(np.float32)
    # senko zeroes the int((1 - pval) * n) smallest similarities of a row, and at most n - min_pnum
    keep = n - min(int((1 - pval) * n), n - min_pnum)
    keep = max(1, min(keep, n))
    rows, cols, values = [], [], []
    for start in range(0, n, _BLOCK_ROWS):
        similar = x[start : start + _BLOCK_ROWS] @ x.T
        top = np.argpartition(-similar, keep - 1, axis=1)[:, :keep].astype(np.int32)
        row = np.repeat(np.arange(start, start + len(similar), dtype=np.int32), keep)
        off_diagonal = top.ravel() != row  # senko zeroes the diagonal before the Laplacian
        rows.append(row[off_diagonal])
        cols.append(top.ravel()[off_diagonal])
        values.append(np.take_along_axis(similar, top, axis=1).ravel()[off_diagonal])
    pruned = sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    del rows, cols, values
    affinity = (0.5 * (pruned + pruned.T)).astype(np.float64)
    degree = np.asarray(abs(affinity).sum(axis=1)).ravel()
    if n <= _DENSE_BELOW:  # ARPACK wants k well below n; a small matrix is cheap whole
        eigenvalues, vectors = np.linalg.eigh(np.diag(degree) - affinity.toarray())
    else:
        # every eigenvalue of L = D - A lies in [0, 2 * max degree] (Gershgorin), so the
        # smallest of L are the largest of shift * I - L, which Lanczos finds in a few dozen
        # products with the sparse graph
        shift = 2.0 * float(degree.max()) + 1.0
        flipped_laplacian = LinearOperator(
            (n, n), matvec=lambda v: (shift - degree) * v + affinity @ v, dtype=np.float64
        )
        # a fixed start, for the same answer every run (not the constant vector: that one is an
        # eigenvector of L, and Lanczos would start inside a one-dimensional space)
        initial = np.random.default_rng(0).uniform(0.5, 1.5, n)
        count = min(max_speakers + 1, n - 1)
        flipped, vectors = eigsh(flipped_laplacian, k=count, which="LA", tol=1e-6, v0=initial)
        order = np.argsort(-flipped)  # largest of the flipped = smallest of L
        eigenvalues, vectors = shift - flipped[order], vectors[:, order]
    gaps = np.diff(eigenvalues[min_speakers - 1 : max_speakers + 1])
    if gaps.size == 0:  # a single window
        return np.zeros(n, dtype=int)
    speakers = int(np.argmax(gaps)) + min_speakers
    return KMeans(n_clusters=speakers, random_state=0).fit_predict(vectors[:, :speakers])
