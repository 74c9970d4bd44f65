"""Word boundaries moved to where the audio says they are, not where the aligner guessed.

Whisper's word times come from cross-attention alignment and are often 100-300 ms off: a word
ends before its last syllable does, or starts inside the pause before it. A clip cut at such a
time loses a syllable or opens with the tail of the previous word. So every boundary is checked
against the waveform before the transcript is stored, and the transcript, the captions, search
and the clip edges (``domain/clips.py``) all use the refined times.

How (all on 10 ms RMS frames, in dB):

- Levels are relative, so that a quiet room, a noisy phone line, a loud or a soft speaker are
  treated alike: the floor is the 5th percentile of the frames within 5 s, the speech level
  the 90th within 1 s. A frame is *quiet* below floor + half the way to the speech level (but
  at least 12 dB under the speech and 6 dB over the floor), *silent* below floor + 10 dB.
- Between two words: the quiet runs of 30 ms or more that overlap the search region (the ASR
  gap widened by ``SEARCH_MS`` each side) are candidate pauses. One touching the ASR gap
  counts; one away from it must last ``LONG_PAUSE_MS``, longer than the closure of a stop
  inside a word ("crea-t-ures"); and no syllable (``NUCLEUS_MS`` within ``NUCLEUS_DB`` of the
  speech level) may lie between it and the ASR boundary, or it is inside a word: JFK's soft
  "-try" was taken for a pause after "coun", squeezing "country" to 40 ms. (A first rule, "no
  more than half of a word's ASR span", also threw out the pause Whisper had stretched a
  Spanish "y" over.)
  The longest wins (less half its distance from the ASR gap). The first word ends where its
  silent part starts and the next word starts where it ends; softer edge frames stay with the
  words. A run that is quiet but never silent is a soft junction (a nasal tail running into a
  voiced onset): the words meet where the next one rises out of it. Without a pause
  (connected speech) they meet at the quietest frame within ``LOCAL_MS`` of the ASR boundary
  moved ``BIAS_MS`` later.
- A fricative ("s", "f", "sh") can be 20-30 dB under the vowels, under the quiet threshold, yet
  it is a sound: a frame whose zero-crossing rate is ``FRICATIVE_ZCR`` or more (noise-like) and
  ``FRICATIVE_DB`` over the floor is never quiet. Without this, the "s" of a Spanish
  "sucesión" between a pause and a stop's closure was taken for part of the pause, the word
  started 340 ms late and every clip starting there was heard beginning with the next word.
  (Under 10 dB of pink noise such a hiss is masked, and still lost: no level or crossing rate
  tells it from the noise. Silero's VAD was tried as a second opinion there and does not
  help: it rates real pauses between words as speech too, a mean probability of 0.5 or more
  over 44 of the 76 pauses of 100 ms or more in the clean test recordings.)
- Far apart (a pause the ASR saw, longer than twice the search width) and at the ends, a
  word's start goes to the end of the pause before it and its end to the start of the pause
  after it, so a word Whisper stretched over a silence (the first word of an utterance, often)
  is shrunk back onto its speech.

Refinement is a pure function of the words and one chunk of PCM, so a long file can be refined
chunk by chunk. Frames sit on the file's 10 ms grid whatever the chunk's offset; a word whose
search region is not inside the chunk keeps its times, and a chunk gives the same result as
the whole file for the words at least ``FLOOR_CONTEXT_MS`` + ``SEARCH_MS`` from its edges.

Measured with ``bench/clip_edges.py`` on the hand-labelled word boundaries of the TIMIT sample
(50 read utterances, 792 matched boundaries; 14 files of the sample hold bursts of full-scale
noise and are skipped): median error 38 ms against 70 ms for Whisper's own times, 90th
percentile 125 ms against 179 ms. Tuned on regions 1-4 and checked on 5-8 (34 ms against
77 ms there, before the last two rules). What each choice bought, in median ms over all 50:

- ``BIAS_MS`` = 40: Whisper's times on this pipeline are early, a median 65-70 ms for starts
  and ends alike; without the shift connected boundaries stay early (44 ms against 35).
- ``LONG_PAUSE_MS`` = 120 (40 ms with any 30 ms run anywhere in the region: stop closures).
- ``QUIET_SHARE`` = 0.5: 0.25-0.5 measured alike (35), 0.6 worse (39).
- ``SEARCH_MS`` = 250: 200 was worse (37) and fails the spliced-speech tests, whose shifts
  reach 250; 300 measured the same.
- ``EDGE_DB``, ``MIN_PAUSE_MS``, ``LOCAL_MS``, ``DISTANCE_WEIGHT``: flat (34-38 over the
  ranges tried); ``EDGE_DB`` = 10 keeps soft edges with their words, which clips prefer.
- ``FRICATIVE_ZCR`` = 0.45: median 37 -> 36 ms, p90 125 ms unchanged (0.35: 35 ms but p90 130;
  0.25: 36/133). Silence on a phone line crosses zero at up to 0.3.
- The syllable rule and the soft-junction onset rule cost 1-3 ms here; they fixed clips that
  heard a wrong word (JFK's "country"; a Spanish clip heard "son de" for "de").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from soundbite.domain.transcript import Word

RATE = 16_000
FRAME_MS = 10
SEARCH_MS = 250
MIN_PAUSE_MS = 30  # shorter quiet runs are stop closures inside words as often as pauses
LONG_PAUSE_MS = 120
MIN_WORD_MS = 40  # a boundary never squeezes a word shorter than this
FLOOR_PERCENTILE = 5.0
FLOOR_CONTEXT_MS = 5_000
SPEECH_PERCENTILE = 90.0
SPEECH_CONTEXT_MS = 1_000
QUIET_SHARE = 0.5
QUIET_MIN_DB = 6.0
QUIET_UNDER_SPEECH_DB = 12.0
EDGE_DB = 10.0
ONSET_MS = 100
NUCLEUS_DB = 6.0
NUCLEUS_MS = 50
FRICATIVE_ZCR = 0.45
FRICATIVE_DB = 12.0
# pauses: a ms of distance from the ASR boundary costs this many ms of pause length
DISTANCE_WEIGHT = 0.5
# connected speech: Whisper's boundary moved by BIAS_MS, then the quietest frame within
# LOCAL_MS of it, each frame's dB plus DISTANCE_PENALTY_DB per LOCAL_MS of distance
BIAS_MS = 40
LOCAL_MS = 40
DISTANCE_PENALTY_DB = 6.0

_FRAME = RATE * FRAME_MS // 1000


def refine_words(words: Sequence[Word], pcm: np.ndarray, offset_samples: int = 0) -> list[Word]:
    """`words` (times in ms from the start of the file, in order, not overlapping) with their
    boundaries moved to the pauses of `pcm`: 16 kHz mono float32 whose first sample is sample
    `offset_samples` of the file. Words outside the PCM keep their times.
    """
    if len(words) == 0 or len(pcm) < _FRAME:
        return list(words)
    # frames on the file's 10 ms grid, so that chunks see the frames the whole file would
    skip = -offset_samples % _FRAME
    levels = _frame_db(pcm[skip:])
    frames = _Frames(levels, (offset_samples + skip) * 1000 / RATE, _frame_zcr(pcm[skip:]))
    out = list(words)
    start = _refine_start(frames, out[0], None)
    if start is not None:
        out[0] = replace(out[0], start_ms=start)
    for i in range(len(out)):
        a = out[i]
        b = out[i + 1] if i + 1 < len(out) else None
        if b is not None and b.start_ms - a.end_ms <= 2 * SEARCH_MS:
            pair = _refine_pair(frames, a, b)
            if pair is not None:
                out[i], out[i + 1] = pair
            continue
        # a long pause (or the last word): each side on its own
        end = _refine_end(frames, a, b.start_ms if b is not None else None)
        if end is not None:
            out[i] = a = replace(a, end_ms=end)
        if b is not None:
            start = _refine_start(frames, b, a.end_ms)
            if start is not None:
                out[i + 1] = replace(b, start_ms=start)
    return out


def _frame_zcr(pcm: np.ndarray) -> np.ndarray:
    """The share of sign changes in each frame: noise-like (a fricative, "s", "f") near 0.5,
    voiced speech and hum under 0.15."""
    n = len(pcm) // _FRAME
    signs = np.signbit(np.asarray(pcm[: n * _FRAME], dtype=np.float32).reshape(n, _FRAME))
    return np.asarray(np.mean(signs[:, 1:] != signs[:, :-1], axis=1))


def _frame_db(pcm: np.ndarray) -> np.ndarray:
    n = len(pcm) // _FRAME
    frames = np.asarray(pcm[: n * _FRAME], dtype=np.float32).reshape(n, _FRAME)
    power = np.mean(np.square(frames, dtype=np.float64), axis=1)
    return np.asarray(10 * np.log10(power + 1e-12))


class _Frames:
    """The chunk's frame levels, addressed in ms of the file."""

    def __init__(self, levels: np.ndarray, start_ms: float, zcr: np.ndarray | None = None) -> None:
        self.levels = levels
        self.zcr = np.zeros(len(levels)) if zcr is None else zcr
        self.start_ms = start_ms
        self.end_ms = start_ms + len(levels) * FRAME_MS
        self.silent = self.soft = self.speech = -np.inf  # set by quiet()

    def index(self, ms: float) -> int:
        return int((ms - self.start_ms) // FRAME_MS)

    def ms(self, index: int) -> int:
        return round(self.start_ms + index * FRAME_MS)

    def covers(self, lo_ms: float, hi_ms: float) -> bool:
        return self.start_ms <= lo_ms and hi_ms <= self.end_ms

    def quiet(self, lo: int, hi: int, at_ms: float) -> np.ndarray:
        """Which frames lo..hi-1 are quiet, judged by the levels around `at_ms`."""
        centre = self.index(at_ms)
        floor_reach = FLOOR_CONTEXT_MS // FRAME_MS
        speech_reach = SPEECH_CONTEXT_MS // FRAME_MS
        context = self.levels[max(0, centre - floor_reach) : centre + floor_reach]
        floor = float(np.percentile(context, FLOOR_PERCENTILE))
        near = self.levels[max(0, centre - speech_reach) : centre + speech_reach]
        speech = float(np.percentile(near, SPEECH_PERCENTILE))
        span = speech - floor
        threshold = floor + max(QUIET_MIN_DB, min(QUIET_SHARE * span, span - QUIET_UNDER_SPEECH_DB))
        self.silent = floor + min(EDGE_DB, max(QUIET_MIN_DB, span - QUIET_UNDER_SPEECH_DB))
        self.soft = (threshold + speech) / 2
        self.speech = speech
        levels = self.levels[lo:hi]
        # a fricative ("s", "f", "sh") is 15-25 dB under the vowels but it is a sound: noise-like
        # frames clearly over the floor are never part of a pause
        fricative = (self.zcr[lo:hi] >= FRICATIVE_ZCR) & (levels >= floor + FRICATIVE_DB)
        return np.asarray((levels < threshold) & ~fricative)

    def syllable(self, lo: int, hi: int) -> bool:
        """Whether frames lo..hi-1 hold a syllable's nucleus: ``NUCLEUS_MS`` in a row within
        ``NUCLEUS_DB`` of the speech level."""
        loud = self.levels[max(lo, 0) : max(hi, 0)] >= self.speech - NUCLEUS_DB
        return bool(_runs(loud, NUCLEUS_MS // FRAME_MS))

    def tighten(self, start: int, end: int) -> tuple[int, int]:
        """A quiet run [start, end) narrowed to its silent part: the quiet frames at its edges
        still above the silence level (a soft onset or tail) belong to the words."""
        s, e = start, end
        while s < e - 1 and self.levels[s] >= self.silent:
            s += 1
        while e - 1 > s and self.levels[e - 1] >= self.silent:
            e -= 1
        if self.levels[s] >= self.silent:
            # quiet but never silent: not a pause but the soft tail of the first word (a
            # nasal, a decay) running into the next; the words meet where the next one's
            # onset rises out of it (at most ONSET_MS on)
            onset = end
            while onset < min(end + ONSET_MS // FRAME_MS, len(self.levels)) and (
                self.levels[onset] < self.soft
            ):
                onset += 1
            return onset, onset
        return s, e


def _runs(quiet: np.ndarray, min_frames: int) -> list[tuple[int, int]]:
    """[start, end) index runs of True at least `min_frames` long."""
    padded = np.concatenate(([False], quiet, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [
        (int(s), int(e))
        for s, e in zip(edges[::2], edges[1::2], strict=True)
        if e - s >= min_frames
    ]


def _pick(runs: list[tuple[int, int]], distance: list[float]) -> int | None:
    """The pause most likely to be the boundary: long, and near where the ASR put it."""
    if not runs:
        return None
    scores = [
        (e - s) * FRAME_MS - DISTANCE_WEIGHT * d for (s, e), d in zip(runs, distance, strict=True)
    ]
    return int(np.argmax(scores))


def _refine_pair(frames: _Frames, a: Word, b: Word) -> tuple[Word, Word] | None:
    # a pause may lie anywhere it overlaps the search region; it is measured whole
    lo_ms, hi_ms = a.start_ms + MIN_WORD_MS, b.end_ms - MIN_WORD_MS
    search_lo = max(a.end_ms - SEARCH_MS, lo_ms)
    search_hi = min(b.start_ms + SEARCH_MS, hi_ms)
    if search_hi - search_lo < FRAME_MS or not frames.covers(lo_ms, hi_ms):
        return None
    lo, hi = frames.index(lo_ms), frames.index(hi_ms)
    s_lo, s_hi = frames.index(search_lo) - lo, frames.index(search_hi) - lo
    boundary_ms = (a.end_ms + b.start_ms) / 2
    # a quiet run where the ASR put the boundary is a pause; one away from it must be longer
    # than a stop closure inside a word to count
    gap_lo, gap_hi = frames.index(a.end_ms) - lo - 1, frames.index(b.start_ms) - lo + 1
    # nor may a syllable lie between it and where the ASR put the boundary: then the quiet
    # stretch is inside a word, its soft last syllable (JFK's "coun-try") or a closure
    runs = [
        (s, e)
        for s, e in _runs(frames.quiet(lo, hi, boundary_ms), MIN_PAUSE_MS // FRAME_MS)
        if s < s_hi
        and e > s_lo
        and ((s <= gap_hi and e >= gap_lo) or (e - s) * FRAME_MS >= LONG_PAUSE_MS)
        and not frames.syllable(lo + gap_hi, lo + s)
        and not frames.syllable(lo + e, lo + gap_lo)
    ]
    distance = [
        max(0.0, frames.ms(lo + s) - b.start_ms, a.end_ms - frames.ms(lo + e)) for s, e in runs
    ]
    best = _pick(runs, distance)
    if best is not None:
        s, e = frames.tighten(lo + runs[best][0], lo + runs[best][1])
        # within the search region: never deeper than SEARCH_MS into where the ASR put a word
        end_ms = min(frames.ms(s), round(search_hi))
        start_ms = max(frames.ms(e), round(search_lo))
    else:
        # connected speech: near the ASR boundary (corrected for its bias), at the quietest frame
        centre = min(max(boundary_ms + BIAS_MS, search_lo), search_hi)
        w_lo = max(frames.index(centre - LOCAL_MS), lo + s_lo)
        w_hi = min(frames.index(centre + LOCAL_MS) + 1, lo + s_hi)
        if w_hi <= w_lo:
            return None
        window = frames.levels[w_lo:w_hi]
        smooth = np.convolve(window, np.ones(3) / 3, mode="same") if len(window) >= 3 else window
        at = frames.start_ms + (w_lo + np.arange(len(window)) + 0.5) * FRAME_MS
        cost = smooth + DISTANCE_PENALTY_DB * np.abs(at - centre) / max(LOCAL_MS, 1)
        end_ms = start_ms = round(float(at[int(np.argmin(cost))]))
    end_ms = max(end_ms, a.start_ms + MIN_WORD_MS)
    start_ms = min(start_ms, b.end_ms - MIN_WORD_MS)
    if start_ms < end_ms:
        return None
    return replace(a, end_ms=end_ms), replace(b, start_ms=start_ms)


def _refine_end(frames: _Frames, w: Word, next_start_ms: int | None) -> int | None:
    """Where `w` ends: the start of the pause after it, if one starts within ``SEARCH_MS`` of
    its ASR end (runs are measured whole, up to the next word)."""
    lo_ms: float = max(w.start_ms + MIN_WORD_MS, frames.start_ms)
    hi_ms: float = w.end_ms + 2 * SEARCH_MS if next_start_ms is None else next_start_ms
    hi_ms = min(hi_ms, frames.end_ms)
    if hi_ms - lo_ms < FRAME_MS or not frames.start_ms <= w.end_ms <= frames.end_ms:
        return None
    lo, hi = frames.index(lo_ms), frames.index(hi_ms)
    runs = _runs(frames.quiet(lo, hi, w.end_ms), MIN_PAUSE_MS // FRAME_MS)
    runs = [
        (lo + s, lo + e)
        for s, e in runs
        if abs(frames.ms(lo + s) - w.end_ms) <= SEARCH_MS + FRAME_MS
        or frames.ms(lo + s) <= w.end_ms
    ]
    best = _pick(runs, [abs(frames.ms(s) - w.end_ms) for s, _ in runs])
    if best is None:
        return None
    return max(frames.ms(frames.tighten(*runs[best])[0]), w.start_ms + MIN_WORD_MS)


def _refine_start(frames: _Frames, w: Word, previous_end_ms: int | None) -> int | None:
    """Where `w` starts: the end of the pause before it, if one ends within ``SEARCH_MS`` of
    its ASR start (runs are measured whole, back to the previous word)."""
    lo_ms: float = w.start_ms - 2 * SEARCH_MS if previous_end_ms is None else previous_end_ms
    lo_ms = max(lo_ms, frames.start_ms)
    hi_ms = min(w.end_ms - MIN_WORD_MS, frames.end_ms)
    if hi_ms - lo_ms < FRAME_MS or not frames.start_ms <= w.start_ms <= frames.end_ms:
        return None
    lo, hi = frames.index(lo_ms), frames.index(hi_ms)
    runs = _runs(frames.quiet(lo, hi, w.start_ms), MIN_PAUSE_MS // FRAME_MS)
    runs = [
        (lo + s, lo + e)
        for s, e in runs
        if abs(frames.ms(lo + e) - w.start_ms) <= SEARCH_MS + FRAME_MS
        or frames.ms(lo + e) >= w.start_ms
    ]
    best = _pick(runs, [abs(frames.ms(e) - w.start_ms) for _, e in runs])
    if best is None:
        return None
    return min(frames.ms(frames.tighten(*runs[best])[1]), w.end_ms - MIN_WORD_MS)
