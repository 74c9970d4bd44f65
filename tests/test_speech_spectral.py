"""speech/spectral.py: senko's spectral clustering in sparse form gives senko's own answer, and
scales to the window count of a long episode.

Embeddings here are made up (voices as random directions, windows scattered around them, as
CAM++'s are: cosine ~0.75 to their voice), so the true partition is known. The comparison is
with senko's dense `SpectralCluster` itself (the `speakers` extra)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from soundbite.speech.spectral import spectral_labels


def _voices(rng: np.random.Generator, seconds: list[float], shift: float = 0.75) -> np.ndarray:
    """Windows of each voice, interleaved in turns, and the voice of each window."""
    centres = rng.normal(size=(len(seconds), 192))
    who = np.concatenate([np.full(round(s / shift), i) for i, s in enumerate(seconds)])
    rng.shuffle(who)
    return centres[who] + rng.normal(scale=0.6, size=(len(who), 192)), who


def test_sparse_spectral_equals_senkos_dense_clustering() -> None:
    pytest.importorskip("senko")
    with warnings.catch_warnings():  # umap, imported beside it, warns that TensorFlow is missing
        warnings.simplefilter("ignore")
        from senko.cluster.cluster_cpu import SpectralCluster

    rng = np.random.default_rng(1)
    for seconds in ([600, 500], [400, 300, 200, 60], [900]):
        x, who = _voices(rng, seconds)
        dense = SpectralCluster(min_num_spks=1, max_num_spks=15, pval=0.012)(x.copy())
        ours = spectral_labels(x, pval=0.012, min_pnum=6, min_speakers=1, max_speakers=15)
        assert len(set(ours)) == len(set(dense)) == len(seconds)
        assert adjusted_rand_score(dense, ours) == 1.0
        assert adjusted_rand_score(who, ours) == 1.0


def test_two_hours_of_two_voices_and_a_short_guest() -> None:
    """9,600 windows: senko's dense matrices would take 0.7 GB each and a full
    eigendecomposition; the guest has 90 s of 2 hours."""
    rng = np.random.default_rng(2)
    x, who = _voices(rng, [3600, 3510, 90])
    ours = spectral_labels(x)
    assert adjusted_rand_score(who, ours) == 1.0


def test_a_handful_of_windows_still_gets_labels() -> None:
    rng = np.random.default_rng(3)
    for seconds in ([0.75], [1.5], [15], [60, 60]):
        x, who = _voices(rng, seconds)
        labels = spectral_labels(x)
        assert len(labels) == len(x)
        if len(seconds) == 2:
            assert adjusted_rand_score(who, labels) == 1.0
