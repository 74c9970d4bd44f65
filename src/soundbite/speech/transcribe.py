"""Speech to text with word timings: the `transcribe` stage.

How we call faster-whisper, and why. Measured with `bench/transcribe.py` (`--repeat 3 --no-add
--no-plain`) on 2 CPU cores, int8, Whisper base, median of 3 interleaved runs, against
faster-whisper's own batched pipeline (`BatchedInferencePipeline(model).transcribe(path,
batch_size=8, word_timestamps=True)`, the "anchor"). Other engineers' test runs held the load
average at 10-13 throughout, so runs of one file spread by 40-60 %; "CPU" is the anchor's CPU
seconds over ours, the work done, which that load disturbs less:

| input                                 | RTF ours | anchor | speed-up | CPU   | WER ours | anchor |
|---------------------------------------|----------|--------|----------|-------|----------|--------|
| English recordings, 99 s              | 0.278    | 0.422  | 1.52x    | 1.28x | 0.092    | 0.092  |
| German + Spanish, 83 s                | 0.331    | 0.374  | 1.13x    | 1.14x | 0.151    | 0.158  |
| English joined, 2 s pauses, 5.4 min   | 0.233    | 0.248  | 1.07x    | 0.90x | 0.104    | 0.168  |

A second run of the same code gave 1.22x, 1.15x and 1.22x (CPU 1.24x, 1.15x, 0.93x), same WER:
under that load the wall-clock ratio of unchanged code moves by 0.15 between runs, the CPU
ratio by 0.03. The target (1.2x at a WER no worse than the anchor's + 0.005, every group) is met
on English; not on the other languages; on the long input only by the wall clock of one run,
while the CPU time says we do 7-10 % more work there than the anchor.

Re-measured on a quiet machine (load 0.2, nothing else running; same command), the figures
are lower than under load, and the long input is slower than the anchor:

| input                                 | before this stop | now    | WER now | anchor WER |
|---------------------------------------|------------------|--------|---------|------------|
| English recordings, 99 s              | 1.16x            | 1.21x-1.22x | 0.105 | 0.101 |
| German + Spanish, 83 s                | 1.11x            | 1.06x-1.08x | 0.151 | 0.151 |
| English joined, 2 s pauses, 5.4 min   | 0.80x            | 0.79x-0.82x | 0.110 | 0.178 |

("Now" adds the VAD's second look, the seam rule and packed retries, below; the ratios moved
within the run-to-run spread of 9-15 %.) On the long input the anchor joins speech with no
pause at all and encodes 10 full windows in two batches of 8 and 2; we keep 0.2 s pauses,
cut the input into 5-minute chunks for memory, and encode 11 (10 + 1), in batches of 4:
19.3-19.6 s against 16.6-17.2 s in one process, batches of 8 19.0-19.2 s. That input needs
no retries. Where retries happen, each used to cost a window of its own however short its
speech; they are now packed like pauses (`_ChunkTranscriber._retry`). None of the bench's
inputs needs a retry (nor do German x3 or Spanish x3 joined: same windows, same WER); on a
7.3-minute join decoded as English though a third of it is German, a worst case for skipped
text, 17 retry windows (ten under 1.5 s) became 7 and 36.8 s became 32.5 s.

On short files we win by skipping the anchor's separate language-detection encode. On the long
input both do the same work: 11 encodes of 30 s each (our 11 windows; the anchor's 10 plus
its language detection), and the encoder is most of the time (a profile under that load: encode
63 % of the wall time, beam search 12 %, word alignment 12 %, VAD 5 %, boundary refinement 2 %).
Our accuracy is what differs: the anchor loses text at pauses (below), which is why the library
pipeline is not used as it is. What else was measured on the long input, CPU seconds, one run
each (ours today 17.0-18.3, the anchor 15.5), with the WER it cost:

- greedy decoding: 15.3, but English WER 0.114 and other languages 0.164 (limits 0.097, 0.163);
- greedy first, beam 5 again for windows whose mean log-probability is under -0.5 or -0.3 (with
  their encoder output kept): as greedy at -0.5 (no window was that unsure), 16.4 and English
  0.114 at -0.3; under -0.2 the WER is kept (0.092, 0.145, 0.110) but 5 of 11 windows are
  decoded twice and it costs 18.6, more than beam 5;
- beam 3: 15.9, English 0.101, other 0.178; beam 2: 16.2, English 0.101, other 0.164;
- batches of 8: 17.5 against 17.0; no boundary refinement: 16.7;
- the 5.4 minutes as one chunk instead of 300 s + 21 s (one window fewer): 15.9 against 17.0 in
  one run, 17.5 against 17.1 in another, WER 0.111 against 0.104: no gain that outlasts the noise;
- fewer or smaller pauses, to fill windows (10 or 9 instead of 11): VAD padding 200 or 300 ms
  instead of 400 cost English WER (0.110, 0.118) and, with more retries, time (19.0, 19.4);
  no kept pause (`_KEPT_PAUSE_S` = 0) cost English WER 0.105 at the same time.

So with the same base model on the CPU nothing left is worth its accuracy; a GPU, or a smaller
encoder (a distilled model), is where the rest of the speed-up would come from. Our whole
`soundbite add` (start-up, probe, peaks, transcribe, analyze, index) ran at 0.61x, 0.65x and
0.83x the anchor's transcribe in an earlier run: ~7 s of imports and migrations per process
weigh on short files.

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
  segments ourselves (`formats.segment_ranges`): the pipeline returns one per 30 s window.
- Long pauses are shortened before windows are built (`_Spliced`): fewer windows, and fewer
  places where Whisper stops writing early. What it still skips is caught by the next point.
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
- Speech the VAD itself missed gets a second look. Silero is a recurrent network run over
  the whole track, and after loud speech it can take quiet speech for silence: in the English
  recordings joined, the phone call's "Hello. Hello. Oh," (-40 dB, after the sonnet and 7 s
  of silence) was never decoded, and 9 of `bench/clip_edges.py`'s 60 clips of that file
  started on words the transcript lacked. Every pause of at least `_SECOND_LOOK_S` is run
  through the VAD again from a fresh state (`_speech_timestamps`); on the other recordings,
  clean or under 10 dB of pink noise, this adds nothing.
- A word Whisper aligns across a seam of the spliced audio is kept to the side where its audio
  is louder (`_Spliced.word_to_source`), instead of spanning the pause that was taken out.
- Those aligned word times are often 100-300 ms off, so every word boundary is then moved onto
  the pauses of the waveform (`speech/boundaries.py`; TIMIT median error 70 ms -> 38 ms) before
  the transcript is stored.
- Language detection reuses the encoder pass of the first batch. faster-whisper detects the
  language by encoding the first 30 s of speech, then encodes the same audio again to transcribe
  it: on an 11 s clip that is a third of the work. We encode the first batch once, read the
  language from it and hand the same encoder output to the pipeline. Should a later faster-whisper
  compute features differently, the reuse quietly does not happen (the arrays are compared): the
  result stays right and only the time goes back up. Callers that know the language (a feed's
  <language>) pass it and skip detection.
- CTranslate2 picks the thread count (`cpu_threads=0`): pinning it to the core count measured
  the same.

- Batches of 8 windows were measured as fast as 4 on the CPU, but the batched beam search is
  what sets a transcription's peak memory: on the CPU we use 4 (below).

Long episodes are transcribed in chunks (`transcribe_chunks`), never decoded whole. faster-whisper's
`decode_audio` holds the whole file as float32 (230 MB an hour, plus its s16 buffer while
decoding, and the VAD's work arrays on top), so 8 hours needed several gigabytes. We decode as we
go (speech/pcm.py) and transcribe `chunk_s` seconds (5 minutes) at a time, each chunk exactly as
a whole file used to be (VAD windows, batches, beams). A chunk ends at the longest pause in its
last quarter, judged by a VAD that looks 5 s further, so no word is cut in two; its remainder
starts the next chunk. Each chunk is handed out as soon as it is done, so the caller can store
it and the start of a long episode can be read and clipped while the rest is transcribed.
Measured with bench/long_episode.py (figures in docs/architecture.md).

Two-channel files are measured first and, when each channel carries its own voice, transcribed
channel by channel and merged by time, each segment labelled with its speaker: speech/channels.py
says how and why (a channel's voice used to be lost in the mix).

Progress is the share of the audio's duration transcribed. It advances once per batch, the
pipeline's unit of work.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.vad import VadOptions, get_speech_timestamps

from soundbite.domain.progress import ProgressFn, no_progress
from soundbite.domain.transcript import Segment, Transcript, Word
from soundbite.speech.boundaries import refine_words
from soundbite.speech.channels import MONO, SPEAKERS, ChannelPlan, plan_channels
from soundbite.speech.formats import segment_ranges
from soundbite.speech.model import ModelOptions, load_model, model_label
from soundbite.speech.pcm import SAMPLE_RATE, audio_info, pcm_blocks, pcm_excerpts

_SAMPLE_RATE = SAMPLE_RATE
_WINDOW_S = 30.0  # Whisper's input window
_BATCH_SIZE = 8
# On the CPU, 4: the same speed, and a transcription's peak memory stays under 1 GB however long
# the episode (6 minutes of the sonnet, base int8: peak RSS 893 MB at 4, 1115 MB at 8, both
# dominated by the batched beam search, not by the audio, with 5-minute chunks).
_CPU_BATCH_SIZE = 4
_BEAM_SIZE = 5
# Faster-whisper's batched defaults: windows end at a pause of at least 160 ms.
_VAD = VadOptions(max_speech_duration_s=_WINDOW_S, min_silence_duration_ms=160)
# Whisper tends to invent text in long silences: a longer pause starts a new window.
_MAX_GAP_S = 2.0
# Speech the first pass left without words is decoded again when at least this long: shorter
# spans are mostly breaths and clicks, where a retry would only invite invented words.
_MIN_SKIPPED_S = 1.0
_RETRIES = 3
# Pauses at least this long get a second look from a fresh VAD (`_speech_timestamps`).
_SECOND_LOOK_S = 1.0
# Pauses are shortened to this (beyond the VAD's 400 ms padding of speech) before windows are
# built; see `_Spliced`. 0.2 measured best of 0, 0.2, 0.3, 0.4, 1.0 and unshortened.
_KEPT_PAUSE_S = 0.2
_NO_SPEECH_PROB = 0.6
_LOG_PROB_THRESHOLD = -1.0
# Audio transcribed per chunk. 5 minutes is 19 MB of float32 per channel, and a first part of
# the transcript every 25 s or so of work on 2 cores (RTF 0.085).
CHUNK_S = 300.0
# Where a chunk may end: at the longest pause in its last quarter...
_CUT_SEARCH_SHARE = 0.25
# ... judged by a VAD that sees this far past the chunk's end, so a pause is known to be one.
_CUT_MARGIN_S = 5.0


@dataclass(frozen=True, slots=True)
class TranscribedChunk:
    """One chunk's segments, in order; times are from the start of the file."""

    language: str | None
    segments: tuple[Segment, ...]
    end_ms: int  # the audio transcribed so far ends here


def whisper_source(model_options: ModelOptions) -> str:
    return f"whisper:{model_label(model_options)}"


def transcribe(
    path: Path,
    model_options: ModelOptions,
    *,
    language: str | None = None,
    progress: ProgressFn = no_progress,
    chunk_s: float = CHUNK_S,
    refine: bool = True,
) -> Transcript:
    """Transcribe an audio file into segments of timed words.

    `language` is an ISO 639-1 code ("en") when known; otherwise it is detected from the speech.
    `refine=False` keeps Whisper's own word times (benchmarks compare the two).
    Raises MediaError for a file that is not decodable audio, ModelError for an unusable model.
    """
    segments: list[Segment] = []
    for chunk in transcribe_chunks(
        path, model_options, language=language, progress=progress, chunk_s=chunk_s, refine=refine
    ):
        segments.extend(chunk.segments)
        language = chunk.language
    return Transcript(
        language=language, segments=tuple(segments), source=whisper_source(model_options)
    )


def transcribe_chunks(
    path: Path,
    model_options: ModelOptions,
    *,
    language: str | None = None,
    progress: ProgressFn = no_progress,
    chunk_s: float = CHUNK_S,
    refine: bool = True,
) -> Iterator[TranscribedChunk]:
    """`transcribe`, a chunk of `chunk_s` seconds (cut at a pause) at a time, as each is done.

    Memory stays that of one chunk, whatever the length of the file.
    """
    model = load_model(model_options)
    if language:
        # Feeds say "en-US"; Whisper knows "en". A code it does not know is detected instead.
        language = language.split("-")[0].lower()
        language = language if language in model.supported_languages else None
    info = audio_info(path)
    plan = plan_channels(pcm_excerpts(path, channels=2)) if info.channels == 2 else MONO
    clock = _Progress(progress, info.duration_s)
    batch_size = _CPU_BATCH_SIZE if model_options.device == "cpu" else _BATCH_SIZE
    transcriber = _ChunkTranscriber(model, language, plan, batch_size, refine=refine)
    chunk_len = max(int(chunk_s * _SAMPLE_RATE), _SAMPLE_RATE)
    margin = int(_CUT_MARGIN_S * _SAMPLE_RATE)
    buffer = _Buffer(plan.tracks)
    decoded = pcm_blocks(path, channels=2 if info.channels == 2 else 1)
    for block in decoded:
        buffer.append(plan.apply(block))
        while buffer.samples >= chunk_len + margin:
            yield transcriber.chunk(buffer, chunk_len, final=False, clock=clock)
    while buffer.samples:
        yield transcriber.chunk(buffer, chunk_len, final=True, clock=clock)
    clock.done(buffer.offset / _SAMPLE_RATE, found_speech=transcriber.found_speech)


class _Buffer:
    """Decoded samples not yet transcribed, and where they start in the file."""

    def __init__(self, tracks: int) -> None:
        self.offset = 0
        self.samples = 0
        self._tracks = tracks
        self._blocks: list[np.ndarray] = []

    def append(self, block: np.ndarray) -> None:
        self._blocks.append(block)
        self.samples += block.shape[1]

    def head(self, length: int) -> np.ndarray:
        """The first `length` samples (tracks, length), without consuming them."""
        if len(self._blocks) != 1:
            joined = (
                np.concatenate(self._blocks, axis=1)
                if self._blocks
                else np.zeros((self._tracks, 0), np.float32)
            )
            self._blocks = [joined]
        return self._blocks[0][:, :length]

    def consume(self, length: int) -> None:
        rest = self.head(self.samples)[:, length:]
        self._blocks = [np.ascontiguousarray(rest)]
        self.samples -= length
        self.offset += length


class _Progress:
    """Progress as the share of the audio transcribed, never going backwards."""

    def __init__(self, report: ProgressFn, duration_s: float | None) -> None:
        self._report = report
        self._duration_s = duration_s
        self._done_s = 0.0
        self._total = _clock(duration_s) if duration_s else "?"
        report(0.0, f"transcribing 00:00 / {self._total}")

    def at(self, done_s: float) -> None:
        self._done_s = max(self._done_s, done_s)
        percent = min(99.9, 100.0 * self._done_s / self._duration_s) if self._duration_s else 0.0
        self._report(percent, f"transcribing {_clock(self._done_s)} / {self._total}")

    def done(self, duration_s: float, *, found_speech: bool) -> None:
        total = _clock(duration_s)
        self._report(100.0, f"transcribed {total}" + ("" if found_speech else " (no speech found)"))


class _ChunkTranscriber:
    """Transcribes chunks in order; keeps the language and the model's pipeline between them."""

    def __init__(
        self,
        model: WhisperModel,
        language: str | None,
        plan: ChannelPlan,
        batch_size: int,
        *,
        refine: bool,
    ) -> None:
        self._batch_size = batch_size
        self._refine = refine
        self._encoder = _ReusedEncoder(model)
        self._pipeline = BatchedInferencePipeline(self._encoder)  # type: ignore[arg-type]
        self.language = language
        self._plan = plan
        self.found_speech = False

    def chunk(
        self, buffer: _Buffer, chunk_len: int, *, final: bool, clock: _Progress
    ) -> TranscribedChunk:
        seen = buffer.head(
            buffer.samples if final else chunk_len + int(_CUT_MARGIN_S * _SAMPLE_RATE)
        )
        spans = [_speech_timestamps(track) for track in seen]
        cut = seen.shape[1] if final else _cut_at_pause(spans, chunk_len, seen.shape[1])
        pcm = seen[:, :cut]
        offset = buffer.offset
        base_s = offset / _SAMPLE_RATE
        tracks = len(pcm)
        segments: list[Segment] = []
        for t, (track, track_spans) in enumerate(zip(pcm, spans, strict=True)):
            spliced = _splice(track, _speech_spans(track_spans, cut))
            speech = spliced.spans
            windows = _group(speech)
            words: list[tuple[str, Word]] = []
            if windows:
                self.found_speech = True

                def reached(s: float, t: int = t, spliced: _Spliced = spliced) -> None:
                    done = spliced.to_source(s) / (cut / _SAMPLE_RATE)
                    clock.at(base_s + (t + done) / tracks * cut / _SAMPLE_RATE)

                audio = spliced.audio
                raw = self._decode(audio, windows, reached)
                # Further passes over speech the previous ones stopped short of (module docstring).
                for _ in range(_RETRIES):
                    found = self._retry(audio, _skipped_speech(speech, raw), raw)
                    if not found:
                        break
                    raw = sorted(raw + found, key=lambda w: w.start)
                raw = [spliced.word_to_source(w) for w in raw]
                words = _clean_words(raw, offset_ms=round(base_s * 1000), end_s=cut / _SAMPLE_RATE)
            if words and self._refine:
                # Whisper's aligned times are often 100-300 ms off: move each boundary onto the
                # pauses of this track's waveform (speech/boundaries.py). `seen` runs past the
                # cut, so the last words' search windows have audio on both sides.
                refined = refine_words([w for _, w in words], seen[t], offset_samples=offset)
                words = [(prefix, w) for (prefix, _), w in zip(words, refined, strict=True)]
            speaker = SPEAKERS[t] if self._plan.split else None
            segments.extend(_sentences(words, speaker))
        segments.sort(key=lambda s: s.start_ms)  # one channel's turns between the other's
        buffer.consume(cut)
        clock.at(buffer.offset / _SAMPLE_RATE)
        return TranscribedChunk(
            language=self.language,
            segments=tuple(segments),
            end_ms=round(buffer.offset * 1000 / _SAMPLE_RATE),
        )

    def _retry(
        self, audio: np.ndarray, skipped: Sequence[tuple[float, float]], known: list[_RawWord]
    ) -> list[_RawWord]:
        """The words of the stretches of speech the previous passes left without any, packed
        together the way pauses are shortened (`_splice`): each window costs a whole 30 s
        encode however little speech it holds, and most skipped stretches are 1-2 s long
        (module docstring: 17 retry windows became 7 on a worst case)."""
        if not skipped:
            return []
        packed = _splice(audio, skipped)
        found = self._decode(packed.audio, _group(packed.spans))
        return _new_words((packed.word_to_source(w) for w in found), known)

    def _decode(
        self, audio: np.ndarray, windows: Sequence[tuple[float, float]], reached: Any = None
    ) -> list[_RawWord]:
        """Words of `windows` (s into `audio`). Without `reached` this is a retry pass, whose
        segments Whisper itself rates as no speech are dropped."""
        if self.language is None:
            self.language = _detect_language(self._encoder, audio, windows[: self._batch_size])
        raw_segments, _info = self._pipeline.transcribe(
            audio,
            language=self.language,
            clip_timestamps=[{"start": s, "end": e} for s, e in windows],
            batch_size=self._batch_size,
            beam_size=_BEAM_SIZE,
            word_timestamps=True,
        )
        raw_words: list[_RawWord] = []
        for segment in raw_segments:
            retry = reached is None
            if retry and _looks_like_no_speech(segment.no_speech_prob, segment.avg_logprob):
                continue
            raw_words.extend(
                _RawWord(w.start, w.end, w.word, w.probability) for w in segment.words or ()
            )
            if not retry:
                reached(segment.end)
        return raw_words


class _Spliced:
    """A track with its long pauses shortened, and the way back to the track's own times.

    Whisper's encoder always sees 30 s, so a window that holds pauses pays for them, and, decoding
    text only, Whisper tends to stop writing at the first long pause. Each pause longer than
    `_KEPT_PAUSE_S` (beyond the VAD's own 400 ms padding of speech) is cut down to it, so a window
    holds more speech and no long silence. Measured on the 5.4-minute joined English input
    (2 shared cores, one run each): unshortened 12.7 s, 8 windows + 2 retried, WER 0.118;
    shortened to 0.2 s 9.8 s, 7 windows, none retried, WER 0.110. Joining speech with no pause
    at all (faster-whisper's own `collect_chunks`) was as fast but ran words together across the
    joins: the sonnet's WER went from 0.083 to 0.111; at 0.2 s it stays 0.083.
    Word times are mapped back to the track with `to_source`, before the boundaries are refined
    on the track's own audio.
    """

    def __init__(
        self,
        audio: np.ndarray,
        spans: list[tuple[float, float]],
        pieces: list[tuple[float, float, float]],
    ) -> None:
        self.audio = audio
        self.spans = spans  # speech, in seconds of `audio`
        self._pieces = pieces  # (start in `audio`, start in the track, length), in seconds
        self._starts = [p[0] for p in pieces]

    def to_source(self, t: float) -> float:
        if not self._pieces:
            return t
        at, source, length = self._pieces[max(bisect.bisect_right(self._starts, t) - 1, 0)]
        return source + min(max(t - at, 0.0), length)

    def word_to_source(self, w: _RawWord) -> _RawWord:
        """The word in the track's time. A word that Whisper aligned across a seam (where a
        pause was taken out) would span the whole pause in the track, and the refinement
        cannot always shrink it back: in the English recordings joined, a "Hello," took the
        3.8 s from the sonnet's last word into the call's silence. Such a word is kept to the
        side of the seam where its audio is louder for that side (mean power over the piece's
        own), which is where it was said: the aligner's own split is no guide (it put most of
        JFK's "what" before the pause that precedes it), and neither is plain loudness (the
        sonnet's reverberant tail is louder than the call's quiet "Hello")."""
        first = max(bisect.bisect_right(self._starts, w.start) - 1, 0)
        last = max(bisect.bisect_right(self._starts, w.end) - 1, 0)
        if last > first:
            at, source, length = self._pieces[first]
            seam = at + length
            later, later_length = self._pieces[last][0], self._pieces[last][2]
            before = self._power(w.start, seam) / self._power(at, seam)
            after = self._power(seam, w.end) / self._power(later, later + later_length)
            if before > after:
                return _RawWord(self.to_source(w.start), source + length, w.text, w.probability)
            return _RawWord(self._pieces[last][1], self.to_source(w.end), w.text, w.probability)
        return _RawWord(self.to_source(w.start), self.to_source(w.end), w.text, w.probability)

    def _power(self, start: float, end: float) -> float:
        piece = self.audio[int(start * _SAMPLE_RATE) : int(end * _SAMPLE_RATE)]
        return float(np.mean(np.square(piece, dtype=np.float64))) + 1e-12 if len(piece) else 1e-12


def _splice(track: np.ndarray, speech: Sequence[tuple[float, float]]) -> _Spliced:
    keep = _KEPT_PAUSE_S / 2  # each side of a pause keeps half
    length_s = len(track) / _SAMPLE_RATE
    merged = _union((max(start - keep, 0.0), min(end + keep, length_s)) for start, end in speech)
    pieces: list[tuple[float, float, float]] = []
    chunks: list[np.ndarray] = []
    at = 0  # samples of spliced audio so far
    for a, b in merged:
        lo, hi = int(a * _SAMPLE_RATE), int(b * _SAMPLE_RATE)
        pieces.append((at / _SAMPLE_RATE, lo / _SAMPLE_RATE, (hi - lo) / _SAMPLE_RATE))
        chunks.append(track[lo:hi])
        at += hi - lo
    audio = np.concatenate(chunks) if chunks else track[:0]
    starts = [p[1] for p in pieces]

    def forward(t: float) -> float:
        i = max(bisect.bisect_right(starts, t) - 1, 0)
        return pieces[i][0] + min(max(t - pieces[i][1], 0.0), pieces[i][2])

    spans = [(forward(s), forward(e)) for s, e in speech]
    return _Spliced(np.ascontiguousarray(audio), spans, pieces)


_Time = TypeVar("_Time", int, float)


def _union(spans: Iterable[tuple[_Time, _Time]]) -> list[tuple[_Time, _Time]]:
    """Spans merged where they overlap or touch, in order."""
    merged: list[list[_Time]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _cut_at_pause(spans: Sequence[Sequence[dict[str, int]]], chunk_len: int, seen: int) -> int:
    """Where to end a chunk: the middle of the longest pause (on every track) in its last
    quarter, or failing that in its last three quarters.

    Speech that runs on without a pause (people talking over each other) is cut where one of
    the VAD's spans ends, as the VAD itself cuts speech longer than 30 s.
    """
    union = _union((s["start"], s["end"]) for track in spans for s in track)
    edges = [0] + [x for span in union for x in span] + [seen]
    gaps = list(zip(edges[::2], edges[1::2], strict=True))
    for share in (_CUT_SEARCH_SHARE, 0.75):
        lo = int(chunk_len * (1 - share))
        best: tuple[int, int] | None = None
        for gap_start, gap_end in gaps:
            start, end = max(gap_start, lo), min(gap_end, chunk_len)
            if end > start and (best is None or end - start > best[1] - best[0]):
                best = (start, end)
        if best is not None:
            return (best[0] + best[1]) // 2
    lo = int(chunk_len * 0.25)
    ends = [s["end"] for track in spans for s in track if lo <= s["end"] <= chunk_len]
    return max(ends) if ends else chunk_len


def _speech_timestamps(track: np.ndarray) -> list[dict[str, int]]:
    """Silero's speech spans of `track` (samples), with a second look at every pause of at
    least `_SECOND_LOOK_S`.

    The VAD is a recurrent network run over the whole track, and what it heard before colours
    what it hears next: in the English recordings joined, the phone call's quiet "Hello. Hello.
    Oh," (at -40 dB, after the loud sonnet and 7 s of silence) came out as no speech, so the
    transcript lacked them and clips cut there started on words it did not show. The same VAD
    run on the pause alone, from a fresh state, finds them (as it does on the call by itself).
    On our other recordings, clean or under 10 dB of pink noise, the second look adds nothing.
    It reads only the pauses, so it costs at most one more VAD pass over the silence."""
    spans = get_speech_timestamps(track, _VAD, sampling_rate=_SAMPLE_RATE)
    edges = [0, *(x for sp in spans for x in (sp["start"], sp["end"])), len(track)]
    found = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= _SECOND_LOOK_S * _SAMPLE_RATE and (start > 0 or end < len(track)):
            again = get_speech_timestamps(track[start:end], _VAD, sampling_rate=_SAMPLE_RATE)
            found += [{"start": sp["start"] + start, "end": sp["end"] + start} for sp in again]
    return sorted(spans + found, key=lambda sp: sp["start"])


def _speech_spans(spans: Sequence[dict[str, int]], limit: int) -> list[tuple[float, float]]:
    """The VAD's speech spans (up to sample `limit`) in seconds, none longer than a window."""
    longest = int(_WINDOW_S * _SAMPLE_RATE)
    # The VAD already cuts speech at 30 s; the split only guards the pipeline, which would
    # silently drop anything past 30 s of a window.
    return [
        (s / _SAMPLE_RATE, min(s + longest, sp["end"], limit) / _SAMPLE_RATE)
        for sp in spans
        if sp["start"] < limit
        for s in range(sp["start"], min(sp["end"], limit), longest)
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
    """The stretches of speech, at least _MIN_SKIPPED_S long, that have no words, in order.

    Speech has a word at least every second or so: a longer stretch of a VAD span without one is
    text the decoder skipped.
    """
    starts = [w.start for w in words]  # in time order
    stretches: list[tuple[float, float]] = []
    for start, end in spans:
        # A word is never longer than a window: only those starting in the last 30 s can overlap.
        first = bisect.bisect_left(starts, start - _WINDOW_S)
        cursor = start
        for w in words[first : bisect.bisect_left(starts, end)]:
            if w.start - cursor >= _MIN_SKIPPED_S:
                stretches.append((cursor, w.start))
            cursor = max(cursor, w.end)
        if end - cursor >= _MIN_SKIPPED_S:
            stretches.append((cursor, end))
    return stretches


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


def _clean_words(
    raw: Iterable[_RawWord], *, offset_ms: int, end_s: float
) -> list[tuple[str, Word]]:
    """Whisper words in ms from the start of the file, in order, without overlaps; each paired
    with its joining prefix. `raw` times are in seconds from the chunk's start, `end_s` its end.

    Alignment can give a word a start a few ms before the end of the previous one, or an end
    past the end of the audio; players and snapping rules expect neither.
    """
    words: list[tuple[str, Word]] = []
    last_end = 0
    end_ms = round(end_s * 1000)
    for w in raw:
        text = w.text.strip()
        if not text:
            continue
        start = min(max(round(w.start * 1000), last_end), end_ms)
        end = min(max(round(w.end * 1000), start), end_ms)
        prefix = w.text[: len(w.text) - len(w.text.lstrip())]
        word = Word(offset_ms + start, offset_ms + end, text, round(float(w.probability), 3))
        words.append((prefix, word))
        last_end = end
    return words


def _sentences(words: Sequence[tuple[str, Word]], speaker: str | None) -> Iterator[Segment]:
    for i, j in segment_ranges([word for _, word in words]):
        # Whisper marks word boundaries with a leading space; languages written without spaces
        # (Japanese, Chinese) have none, so joining with " " would be wrong for them.
        text = "".join(prefix + word.text for prefix, word in words[i:j]).strip()
        run = tuple(word for _, word in words[i:j])
        yield Segment(
            start_ms=run[0].start_ms, end_ms=run[-1].end_ms, text=text, words=run, speaker=speaker
        )


def _clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )
