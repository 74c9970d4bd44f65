"""Speech to text with word timings: the `transcribe` stage.

How we call faster-whisper, and why. Measured with `bench/transcribe.py` on 2 CPU cores shared
with other work (load average 8-10), int8, Whisper base, median of 2 interleaved runs, against
faster-whisper's own batched pipeline (`BatchedInferencePipeline(model).transcribe(path,
batch_size=8, word_timestamps=True)`, the "anchor"):

| input                                  | RTF ours | anchor | speed-up | WER ours | anchor |
|----------------------------------------|----------|--------|----------|----------|--------|
| English recordings, 99 s               | 0.161    | 0.220  | 1.37x    | 0.092    | 0.092  |
| German + Spanish, 83 s                 | 0.186    | 0.201  | 1.08x    | 0.158    | 0.158  |
| English joined, 2 s pauses, 5.4 min    | 0.090    | 0.088  | 0.98x    | 0.123    | 0.168  |

On short files we win by skipping the anchor's separate language-detection encode; on the long
input both encode the same number of 30 s windows (12, plus 3 retries for us, below) and decode
them the same way, so the time is the same and only the accuracy differs. The library pipeline
was kept out: it is no faster on long input and loses text there (0.168). Our whole `soundbite
add` (start-up, probe, peaks, transcribe, analyze, index) ran at RTF 0.131 on the long input.

- `BatchedInferencePipeline` instead of the sequential `WhisperModel.transcribe`. The sequential
  loop decodes one 30 s window at a time, conditioned on the previous text, and re-decodes a
  window at up to five higher temperatures whenever its output looks repetitive or unlikely. The
  batched pipeline decodes up to `_BATCH_SIZE` independent windows per call, once each, at
  temperature 0. Batches of 4 and 8 ran equally fast on the CPU; 8 (the library default) leaves
  room for a GPU.
- Voice activity detection (Silero, bundled with faster-whisper) picks the windows: silence and
  music are never encoded or decoded, and a window ends at a pause, not at an arbitrary 30 s
  mark. We build the windows ourselves (VAD spans merged up to 30 s, pauses inside kept) rather
  than let the pipeline splice speech pieces together: on the sonnet the word error rate was 0.07
  with our windows and 0.12 with the spliced ones.
- Beam search with 5 beams (the default) is kept: greedy decoding was about 20 % faster, but its
  word error rate (0.12) was worse than plain faster-whisper's. Re-measured on the 5-minute
  input in CPU seconds (wall time was too noisy): beam 5 18.0-18.8, beam 2 17.1, greedy
  15.7-16.8, the anchor 15.5-17.6; greedy cost 0.022 of English WER (0.114 vs 0.092). A profile
  (pyinstrument) of that input puts ~40 % of the time in the encoder, ~45 % in beam decoding,
  ~7 % in word alignment and ~4 % in the VAD.
- Text-only decoding (`without_timestamps=True`, the pipeline default). With timestamp tokens
  the batched pipeline dropped the last sentence of a window (8 s of the sonnet vanished), and
  word times come from cross-attention alignment anyway. We then cut the words into sentence-like
  segments ourselves (`formats.split_sentences`): the pipeline returns one per 30 s window.
- Speech the decoder skipped is decoded again. Without timestamp tokens Whisper ends a window's
  text at the first long pause: on the English recordings joined with 2 s pauses (5.4 minutes,
  `bench/transcribe.py`) the sonnet's first 23 s vanished three times over, and our word error
  rate was 0.273 against 0.168 for faster-whisper's own batched pipeline (the issue measured
  0.272 against 0.213 on a real programme). After the first pass, every stretch of VAD speech
  of at least `_MIN_SKIPPED_S` without a word is decoded again, in windows of its own, up to
  `_RETRIES` times (a retry can stop at the next pause too); words that repeat a known one are
  dropped, and so are retried segments Whisper itself rates as no speech. That took the long
  input to 0.123, at the cost of the extra windows (3 here); the short recordings, which lose
  nothing, are unchanged.
- Language detection reuses the encoder pass of the first batch. faster-whisper detects the
  language by encoding the first 30 s of speech, then encodes the same audio again to transcribe
  it: on an 11 s clip that is a third of the work. We encode the first batch once, read the
  language from it and hand the same encoder output to the pipeline. Should a later faster-whisper
  compute features differently, the reuse quietly does not happen (the arrays are compared): the
  result stays right and only the time goes back up. Callers that know the language (a feed's
  <language>) pass it and skip detection.
- CTranslate2 picks the thread count (`cpu_threads=0`): pinning it to the core count measured
  the same.

Progress is the share of the audio's duration transcribed. It advances once per batch, the
pipeline's unit of work: with 8 windows of up to 30 s, every 4 minutes of audio.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.audio import decode_audio, pad_or_trim
from faster_whisper.vad import VadOptions, get_speech_timestamps

from soundbite.domain.progress import ProgressFn, no_progress
from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.errors import MediaError
from soundbite.speech.formats import split_sentences
from soundbite.speech.model import ModelOptions, load_model, model_label

_SAMPLE_RATE = 16_000
_WINDOW_S = 30.0  # Whisper's input window
_BATCH_SIZE = 8
_BEAM_SIZE = 5
# Faster-whisper's batched defaults: windows end at a pause of at least 160 ms.
_VAD = VadOptions(max_speech_duration_s=_WINDOW_S, min_silence_duration_ms=160)
# Whisper tends to invent text in long silences: a longer pause starts a new window.
_MAX_GAP_S = 2.0
# Speech the first pass left without words is decoded again when at least this long: shorter
# spans are mostly breaths and clicks, where a retry would only invite invented words.
_MIN_SKIPPED_S = 1.0
_RETRIES = 3
_NO_SPEECH_PROB = 0.6
_LOG_PROB_THRESHOLD = -1.0


def transcribe(
    path: Path,
    model_options: ModelOptions,
    *,
    language: str | None = None,
    progress: ProgressFn = no_progress,
) -> Transcript:
    """Transcribe an audio file into segments of timed words.

    `language` is an ISO 639-1 code ("en") when known; otherwise it is detected from the speech.
    Raises MediaError for a file that is not decodable audio, ModelError for an unusable model.
    """
    model = load_model(model_options)
    if language:
        # Feeds say "en-US"; Whisper knows "en". A code it does not know is detected instead.
        language = language.split("-")[0].lower()
        language = language if language in model.supported_languages else None
    audio = _decode(path)
    duration_s = len(audio) / _SAMPLE_RATE
    total = _clock(duration_s)
    progress(0.0, f"transcribing 00:00 / {total}")

    spans = _speech_spans(audio)
    windows = _group(spans)
    if not windows:
        progress(100.0, f"transcribed {total} (no speech found)")
        return Transcript(
            language=language, segments=(), source=f"whisper:{model_label(model_options)}"
        )

    encoder = _ReusedEncoder(model)
    if language is None:
        language = _detect_language(encoder, audio, windows[:_BATCH_SIZE])
    pipeline = BatchedInferencePipeline(encoder)  # type: ignore[arg-type]

    def decode(windows: Sequence[tuple[float, float]], *, retry: bool) -> list[_RawWord]:
        raw_segments, _info = pipeline.transcribe(
            audio,
            language=language,
            clip_timestamps=[{"start": s, "end": e} for s, e in windows],
            batch_size=_BATCH_SIZE,
            beam_size=_BEAM_SIZE,
            word_timestamps=True,
        )
        found: list[_RawWord] = []
        for segment in raw_segments:
            if retry and _looks_like_no_speech(segment.no_speech_prob, segment.avg_logprob):
                continue
            found.extend(
                _RawWord(w.start, w.end, w.word, w.probability) for w in segment.words or ()
            )
            if not retry:
                done_s = min(segment.end, duration_s)
                progress(100.0 * done_s / duration_s, f"transcribing {_clock(done_s)} / {total}")
        return found

    raw_words = decode(windows, retry=False)
    # Further passes over speech the previous ones stopped short of; see the module docstring.
    for _ in range(_RETRIES):
        skipped = _skipped_speech(spans, raw_words)
        found = _new_words(decode(skipped, retry=True), raw_words) if skipped else []
        if not found:
            break
        raw_words = sorted(raw_words + found, key=lambda w: w.start)

    words = _clean_words(raw_words, round(duration_s * 1000))
    progress(100.0, f"transcribed {total}")
    return Transcript(
        language=language,
        segments=tuple(_sentences(words)),
        source=f"whisper:{model_label(model_options)}",
    )


def _decode(path: Path) -> np.ndarray:
    try:
        audio: np.ndarray = decode_audio(str(path), sampling_rate=_SAMPLE_RATE)
    except (av.FFmpegError, ValueError) as exc:
        # FFmpeg's own message ends with the full path, which is ours to keep.
        reason = getattr(exc, "strerror", None) or exc
        raise MediaError(f"cannot decode audio from {path.name}: {reason}") from exc
    return audio


def _speech_spans(audio: np.ndarray) -> list[tuple[float, float]]:
    """The VAD's speech spans in seconds, none longer than a window."""
    spans = get_speech_timestamps(audio, _VAD, sampling_rate=_SAMPLE_RATE)
    longest = int(_WINDOW_S * _SAMPLE_RATE)
    # The VAD already cuts speech at 30 s; the split only guards the pipeline, which would
    # silently drop anything past 30 s of a window.
    return [
        (s / _SAMPLE_RATE, min(s + longest, sp["end"]) / _SAMPLE_RATE)
        for sp in spans
        for s in range(sp["start"], sp["end"], longest)
    ]


def _group(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Group speech spans into windows of at most 30 s, in seconds.

    The pipeline turns these seconds back into sample indices with `int(s * 16000)`;
    `_detect_language` slices with the same arithmetic so its batch is identical to the pipeline's.
    """
    windows: list[list[float]] = []
    for start, end in spans:
        if windows and end - windows[-1][0] <= _WINDOW_S and start - windows[-1][1] <= _MAX_GAP_S:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    return [(s, e) for s, e in windows]


def _skipped_speech(
    spans: Sequence[tuple[float, float]], words: Sequence[_RawWord]
) -> list[tuple[float, float]]:
    """Windows over the stretches of speech, at least _MIN_SKIPPED_S long, that have no words.

    Speech has a word at least every second or so: a longer stretch of a VAD span without one is
    text the decoder skipped. Stretches share a window only when no word lies between them, so
    that no speech that already has its words is decoded twice.
    """
    starts = [w.start for w in words]  # in time order
    runs: list[list[tuple[float, float]]] = []
    last_end = -1.0  # where the previous stretch ended
    for start, end in spans:
        # A word is never longer than a window: only those starting in the last 30 s can overlap.
        first = bisect.bisect_left(starts, start - _WINDOW_S)
        cursor = start
        stretches = []
        for w in words[first : bisect.bisect_left(starts, end)]:
            if w.start - cursor >= _MIN_SKIPPED_S:
                stretches.append((cursor, w.start))
            cursor = max(cursor, w.end)
        if end - cursor >= _MIN_SKIPPED_S:
            stretches.append((cursor, end))
        for stretch in stretches:
            between = bisect.bisect_left(starts, stretch[0]) - bisect.bisect_left(starts, last_end)
            if runs and between == 0:
                runs[-1].append(stretch)
            else:
                runs.append([stretch])
            last_end = stretch[1]
    return [window for run in runs for window in _group(run)]


def _new_words(found: Iterable[_RawWord], known: Sequence[_RawWord]) -> list[_RawWord]:
    """The words of a retry that do not repeat a known word (its middle inside a known word)."""
    starts = [w.start for w in known]
    fresh = []
    for w in found:
        middle = (w.start + w.end) / 2
        i = bisect.bisect_right(starts, middle) - 1
        if i < 0 or known[i].end < middle:
            fresh.append(w)
    return fresh


def _looks_like_no_speech(no_speech_prob: float, avg_logprob: float) -> bool:
    # Whisper's own rule (faster-whisper's defaults for the sequential loop): the model thinks
    # the window is silent and is unsure of what it wrote.
    return no_speech_prob > _NO_SPEECH_PROB and avg_logprob < _LOG_PROB_THRESHOLD


class _ReusedEncoder:
    """A WhisperModel whose next `encode` of one known input returns a stored result.

    Everything else is passed through to the wrapped model.
    """

    def __init__(self, model: WhisperModel) -> None:
        self._model = model
        self._stored: tuple[np.ndarray, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    @property
    def whisper(self) -> WhisperModel:
        # Not `model`: the pipeline reads `.model` as the CTranslate2 model, via __getattr__.
        return self._model

    def store(self, features: np.ndarray, output: Any) -> None:
        self._stored = (features, output)

    def encode(self, features: np.ndarray) -> Any:
        stored, self._stored = self._stored, None
        if (
            stored is not None
            and stored[0].shape == features.shape
            and np.array_equal(stored[0], features)
        ):
            return stored[1]
        return self._model.encode(features)


def _detect_language(
    encoder: _ReusedEncoder, audio: np.ndarray, windows: Sequence[tuple[float, float]]
) -> str:
    """Detect the language from the first batch, built exactly as the pipeline will build it."""
    model = encoder.whisper
    if not model.model.is_multilingual:
        return "en"
    extract = model.feature_extractor
    features = np.stack(
        [
            pad_or_trim(extract(audio[int(s * _SAMPLE_RATE) : int(e * _SAMPLE_RATE)])[..., :-1])
            for s, e in windows
        ]
    )
    output = model.encode(features)
    encoder.store(features, output)
    # Sum the probabilities over the batch: one window of music or cross-talk should not decide.
    scores: dict[str, float] = {}
    for window_scores in model.model.detect_language(output):
        for token, probability in window_scores:
            scores[token] = scores.get(token, 0.0) + probability
    best = max(scores, key=scores.__getitem__)
    return best[2:-2]  # "<|en|>" -> "en"


@dataclass(frozen=True, slots=True)
class _RawWord:
    start: float
    end: float
    text: str  # with Whisper's leading space, which tells us how to join words back
    probability: float


def _clean_words(raw: Iterable[_RawWord], duration_ms: int) -> list[tuple[str, Word]]:
    """Whisper words in ms, in order, without overlaps; each paired with its joining prefix.

    Alignment can give a word a start a few ms before the end of the previous one, or an end
    past the end of the file; players and snapping rules expect neither.
    """
    words: list[tuple[str, Word]] = []
    last_end = 0
    for w in raw:
        text = w.text.strip()
        if not text:
            continue
        start = min(max(round(w.start * 1000), last_end), duration_ms)
        end = min(max(round(w.end * 1000), start), duration_ms)
        prefix = w.text[: len(w.text) - len(w.text.lstrip())]
        words.append((prefix, Word(start, end, text, round(float(w.probability), 3))))
        last_end = end
    return words


def _sentences(words: Sequence[tuple[str, Word]]) -> Iterator[Segment]:
    for i, j in split_sentences([word for _, word in words]):
        # Whisper marks word boundaries with a leading space; languages written without spaces
        # (Japanese, Chinese) have none, so joining with " " would be wrong for them.
        text = "".join(prefix + word.text for prefix, word in words[i:j]).strip()
        run = tuple(word for _, word in words[i:j])
        yield Segment(start_ms=run[0].start_ms, end_ms=run[-1].end_ms, text=text, words=run)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )
