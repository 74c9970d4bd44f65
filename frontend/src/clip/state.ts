// Clip mode: the span being marked, and previewing it. One span at a time, app-wide, so the
// waveform, the transcript, the buttons and the keyboard all edit the same thing.
import { computed, signal } from "@preact/signals";
import { config } from "../api/client";
import type { Clip, EpisodeDetail } from "../api/types";
import { loadTranscript, sentenceAt, type Transcript, wordsIn } from "../transcript/model";
import { audio, episode, episodeDuration, load, pause, play, playing, seek, time } from "../player/state";
import { spanToHear } from "./placed";

export interface Span { start: number; end: number }

export const clip = signal<(Span & { episodeId: number }) | null>(null);
/** The draft being refined in clip mode (opened from Drafts); null when making a new clip. */
export const editing = signal<Clip | null>(null);
export const loop = signal(false);
export const previewing = signal(false);
/** Set when the last edit ran into the length limit, so the UI can say so. */
export const limitHit = signal(false);
export const transcriptFor = signal<{ episodeId: number; transcript: Transcript | null } | null>(null);

export const MIN_S = config.clip_min_ms / 1000;
export const MAX_S = config.clip_max_ms / 1000;
export const DEFAULT_S = 30;

export const clipText = computed(() => {
  const c = clip.value;
  const t = transcriptFor.value;
  if (!c || !t?.transcript || t.episodeId !== c.episodeId) return null;
  return wordsIn(t.transcript, c.start, c.end).map((w) => w.text).join(" ");
});

const round = (s: number) => Math.round(s * 1000) / 1000;

/** Enter clip mode at the playhead: the sentence being heard, else 30 s from here. */
export async function enterClipMode(ep: EpisodeDetail, span?: Span, draft: Clip | null = null): Promise<void> {
  editing.value = draft;
  if (episode.value?.id !== ep.id) load(ep, { at: span?.start });
  const transcript = await loadTranscript(ep.id).catch(() => null);
  transcriptFor.value = { episodeId: ep.id, transcript };
  let chosen = span;
  if (!chosen) {
    const at = audio.currentTime;
    const sentence = transcript ? sentenceAt(transcript, at) : null;
    chosen = sentence && sentence.end - sentence.start >= MIN_S && sentence.end - sentence.start <= MAX_S
      ? { start: sentence.start, end: sentence.end }
      : { start: at, end: at + DEFAULT_S };
  }
  clip.value = { episodeId: ep.id, ...fit(chosen.start, chosen.end, "end") };
}

export function exitClipMode(): void {
  stopPreview();
  clip.value = null;
  editing.value = null;
}

/** Bring the player's controls into full view below the sticky header (wide screens), with
 * the clip tool under them: scrolling the tool into view alone left the top row of the
 * player hidden under the header. */
export function showPlayerAndClipTool(): void {
  const player = document.querySelector<HTMLElement>(".now-playing");
  if (!player) return;
  const header = document.querySelector<HTMLElement>("header.top");
  const covered = header && getComputedStyle(header).position === "sticky" ? header.getBoundingClientRect().height : 0;
  const top = player.getBoundingClientRect().top + window.scrollY - covered - 8;
  window.scrollTo({ top: Math.max(0, top), behavior: "instant" as ScrollBehavior });
}

/** Clamp a span into the episode and the length rules; `keep` names the edge the user moved
 * (it stays where it was put, the other one gives way). */
function fit(start: number, end: number, keep: "start" | "end"): Span {
  const total = episodeDuration.value || Infinity;
  let s = Math.max(0, Math.min(start, total));
  let e = Math.max(0, Math.min(end, total));
  limitHit.value = false;
  if (e - s > MAX_S) {
    limitHit.value = true;
    if (keep === "start") e = s + MAX_S;
    else s = e - MAX_S;
  }
  if (e - s < MIN_S) {
    if (keep === "start") e = Math.min(total, s + MIN_S), s = Math.min(s, e - MIN_S);
    else s = Math.max(0, e - MIN_S), e = Math.max(e, s + MIN_S);
  }
  return { start: round(s), end: round(e) };
}

export function setSpan(start: number, end: number, moved: "start" | "end" = "start"): void {
  const c = clip.value;
  if (!c) return;
  clip.value = { ...c, ...fit(Math.min(start, end), Math.max(start, end), moved) };
}

export function setStart(s: number): void {
  const c = clip.value;
  if (c) clip.value = { ...c, ...fit(s, Math.max(c.end, s + MIN_S), "start") };
}

export function setEnd(e: number): void {
  const c = clip.value;
  if (c) clip.value = { ...c, ...fit(Math.min(c.start, e - MIN_S), e, "end") };
}

export function nudge(edge: "start" | "end", delta: number): void {
  const c = clip.value;
  if (!c) return;
  if (edge === "start") setStart(c.start + delta);
  else setEnd(c.end + delta);
}

export const startAtPlayhead = () => setStart(audio.currentTime);
export const endAtPlayhead = () => setEnd(audio.currentTime);

// Preview stops on the span's end by watching every animation frame: `timeupdate` comes only
// ~4 times a second and would let up to 250 ms past the end be heard.
let watch = 0;
export function preview(): void {
  const c = spanToHear();
  if (!c) return;
  stopPreview();
  previewing.value = true;
  seek(c.start);
  void play();
  const check = () => {
    const span = spanToHear();
    if (!previewing.value || !span) return;
    const t = audio.currentTime;
    if (t >= span.end - 0.01) {
      if (loop.value) {
        seek(span.start);
      } else {
        stopPreview();
        pause();
        seek(span.start);
        return;
      }
    } else if (t < span.start - 0.3 || (!playing.value && audio.paused && t > span.start + 0.05)) {
      // the listener paused or seeked away: it is not a preview any more
      stopPreview();
      return;
    }
    watch = requestAnimationFrame(check);
  };
  watch = requestAnimationFrame(check);
}

export function stopPreview(): void {
  previewing.value = false;
  cancelAnimationFrame(watch);
}

export function togglePreview(): void {
  if (previewing.value) {
    stopPreview();
    pause();
  } else preview();
}

/** The playhead, for "set start/end here" labels. */
export const playhead = computed(() => time.value);
