// A transcript as the app uses it: a flat array of words (or cues, when the publisher's
// transcript has no word timings) grouped into sentences, with binary search by time.
// Kept out of components so a 30,000-word transcript is parsed once and searched in log n.
import { ApiError, get } from "../api/client";
import type { TranscriptJson } from "../api/types";

export interface Word { i: number; start: number; end: number; text: string; speaker?: string }
export interface Sentence { first: number; last: number; start: number; end: number }
export interface Transcript { words: Word[]; sentences: Sentence[]; timedWords: boolean }

// The server's rules (speech/formats.py split_sentences): a sentence mark or a 1 s pause ends
// a sentence; past 12 s a clause mark does; 25 s ends it anyway.
const SENTENCE_END = /[.?!。？！…]["'”’)\]]*$/;
const CLAUSE_END = /[,;:，、；：]$/;

export function sentencesOf(words: Word[]): Sentence[] {
  const out: Sentence[] = [];
  let first = 0;
  for (let i = 1; i <= words.length; i++) {
    const prev = words[i - 1];
    const len = prev.end - words[first].start;
    const ends =
      i === words.length ||
      SENTENCE_END.test(prev.text) ||
      words[i].start - prev.end >= 1 ||
      words[i].speaker !== prev.speaker ||
      (len >= 12 && CLAUSE_END.test(prev.text)) ||
      len >= 25;
    if (ends) {
      out.push({ first, last: i - 1, start: words[first].start, end: prev.end });
      first = i;
    }
  }
  return out;
}

export function fromJson(doc: TranscriptJson): Transcript {
  const words = doc.segments
    .filter((s) => s.body && s.body.trim())
    .map((s, i) => ({
      i, start: s.startTime, end: Math.max(s.endTime, s.startTime), text: s.body.trim(),
      speaker: s.speaker,
    }));
  const timedWords = words.length > 0 && words.every((w) => !/\s/.test(w.text));
  // cues (publisher VTT/SRT) are already sentence-like: one sentence each
  const sentences = timedWords
    ? sentencesOf(words)
    : words.map((w, i) => ({ first: i, last: i, start: w.start, end: w.end }));
  return { words, sentences, timedWords };
}

/** Index of the last item starting at or before t, or -1. */
export function indexAt<T extends { start: number }>(items: T[], t: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].start <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function sentenceAt(t: Transcript, seconds: number): Sentence | null {
  const i = indexAt(t.sentences, seconds);
  if (i < 0) return t.sentences[0] ?? null;
  const s = t.sentences[i];
  // in the pause after a sentence, the next one is what the listener is about to hear
  if (seconds > s.end && t.sentences[i + 1]) return t.sentences[i + 1];
  return s;
}

/** The words that overlap [start, end): the clip's text, live while the span moves. */
export function wordsIn(t: Transcript, start: number, end: number): Word[] {
  const from = Math.max(0, indexAt(t.words, start));
  const out: Word[] = [];
  for (let i = from; i < t.words.length && t.words[i].start < end; i++) {
    const w = t.words[i];
    if (w.end > start) out.push(w);
  }
  return out;
}

const cache = new Map<number, Promise<Transcript | null>>();

/** The episode's transcript, or null while there is none (404). Cached per episode;
 * `fresh` fetches it again (a transcript still being written grows). */
/** Drop the kept copy, so the next load fetches it (after the speakers are renamed). */
export function forgetTranscript(episodeId: number): void {
  cache.delete(episodeId);
}

export function loadTranscript(episodeId: number, fresh = false): Promise<Transcript | null> {
  let found = fresh ? undefined : cache.get(episodeId);
  if (!found) {
    found = get<TranscriptJson>(`/api/episodes/${episodeId}/transcript?format=json`).then(
      fromJson,
      (err) => {
        cache.delete(episodeId);
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      },
    );
    cache.set(episodeId, found);
  }
  return found;
}
