// The one audio element of the app and its state as signals. It lives outside every page
// component, so navigating between pages never interrupts playback. `preload="metadata"`:
// the browser asks for the first bytes and then ranges as it plays; it never downloads, let
// alone decodes, a whole 3-hour episode.
import { computed, signal } from "@preact/signals";
import type { EpisodeDetail } from "../api/types";

export const audio = new Audio();
audio.preload = "metadata";
audio.id = "sb-audio";
audio.setAttribute("aria-hidden", "true");

export const episode = signal<EpisodeDetail | null>(null);
export const time = signal(0);
export const duration = signal(0);
export const playing = signal(false);
export const waiting = signal(false);
export const rate = signal(1);
export const playerError = signal<string | null>(null);

export const RATES = [0.75, 1, 1.25, 1.5, 1.75, 2];
export const BACK_S = 15;
export const FORWARD_S = 30;

export const episodeDuration = computed(() => {
  const known = duration.value;
  if (known && Number.isFinite(known)) return known;
  return (episode.value?.duration_ms ?? 0) / 1000;
});

// timeupdate fires ~4 times a second: too coarse to follow words, so while playing the time
// signal is refreshed every animation frame (and only then).
let frame = 0;
function tick(): void {
  time.value = audio.currentTime;
  frame = playing.value ? requestAnimationFrame(tick) : 0;
}
const listeners: [string, () => void][] = [
  ["play", () => { playing.value = true; if (!frame) frame = requestAnimationFrame(tick); }],
  ["pause", () => { playing.value = false; time.value = audio.currentTime; savePosition(); }],
  ["ended", () => { playing.value = false; }],
  ["waiting", () => { waiting.value = true; }],
  ["playing", () => { waiting.value = false; playerError.value = null; }],
  ["canplay", () => { waiting.value = false; }],
  ["seeked", () => { time.value = audio.currentTime; }],
  ["timeupdate", () => { if (!playing.value) time.value = audio.currentTime; }],
  ["durationchange", () => { duration.value = audio.duration; }],
  ["ratechange", () => { rate.value = audio.playbackRate; }],
  ["error", () => {
    waiting.value = false;
    playerError.value = mediaErrorText(audio.error);
  }],
];
for (const [name, fn] of listeners) audio.addEventListener(name, fn);

function mediaErrorText(e: MediaError | null): string {
  switch (e?.code) {
    case MediaError.MEDIA_ERR_NETWORK: return "The audio stopped loading: check the connection.";
    case MediaError.MEDIA_ERR_DECODE: return "This audio could not be decoded by your browser.";
    case MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED:
      return "The audio is not available (not downloaded yet, or a format this browser cannot play).";
    default: return "The audio could not be played.";
  }
}

/** Told which episode is being left, and where, when another one is loaded (sync.ts). */
export const leaving: ((ep: EpisodeDetail, seconds: number) => void)[] = [];

/** Put an episode in the player (keeping it if it is already there) and optionally seek. */
export function load(ep: EpisodeDetail, opts: { at?: number; play?: boolean } = {}): void {
  const previous = episode.value;
  const same = previous?.id === ep.id;
  if (previous && !same) {
    // before the switch: afterwards episode and currentTime describe the new one
    savePosition();
    for (const fn of leaving) fn(previous, audio.currentTime);
  }
  episode.value = ep;
  if (!ep.audio_url) {
    playerError.value = "This episode's audio is not downloaded yet.";
    return;
  }
  if (!same) {
    playerError.value = null;
    audio.src = ep.audio_url;
    duration.value = (ep.duration_ms ?? 0) / 1000;
    time.value = 0;
    const at = opts.at ?? resumePosition(ep.id);
    if (at) seek(at);
    updateMediaSession(ep);
  } else if (opts.at !== undefined) {
    seek(opts.at);
  }
  if (opts.play) void play();
}

export async function play(): Promise<void> {
  try {
    await audio.play();
  } catch (err) {
    const name = (err as Error).name;
    if (name === "NotAllowedError") playerError.value = "Press play to start: the browser blocked autoplay.";
    else if (name !== "AbortError") playerError.value = mediaErrorText(audio.error);
  }
}

export function pause(): void {
  audio.pause();
}

export function toggle(): void {
  if (!episode.value) return;
  if (audio.paused) void play();
  else pause();
}

export function seek(seconds: number): void {
  const end = episodeDuration.value || Infinity;
  const t = Math.max(0, Math.min(seconds, end));
  audio.currentTime = t;
  time.value = t;
}

export function skip(delta: number): void {
  seek(audio.currentTime + delta);
}

export function setRate(r: number): void {
  audio.playbackRate = r;
  audio.defaultPlaybackRate = r;
  rate.value = r;
}

// Resume where the listener stopped, per episode, across visits.
const POSITIONS = "sb-positions";
function savePosition(): void {
  const ep = episode.value;
  if (!ep) return;
  try {
    const all = JSON.parse(localStorage.getItem(POSITIONS) || "{}");
    all[ep.id] = Math.floor(audio.currentTime);
    localStorage.setItem(POSITIONS, JSON.stringify(all));
  } catch {
    // storage full or disabled: resuming is a nicety
  }
}
function resumePosition(id: number): number {
  try {
    return Number(JSON.parse(localStorage.getItem(POSITIONS) || "{}")[id]) || 0;
  } catch {
    return 0;
  }
}

function updateMediaSession(ep: EpisodeDetail): void {
  if (!("mediaSession" in navigator)) return;
  navigator.mediaSession.metadata = new MediaMetadata({
    title: ep.title, artist: ep.podcast_title,
    artwork: ep.artwork_url ? [{ src: ep.artwork_url }] : [],
  });
  const actions: [MediaSessionAction, () => void][] = [
    ["play", () => void play()], ["pause", pause],
    ["seekbackward", () => skip(-BACK_S)], ["seekforward", () => skip(FORWARD_S)],
  ];
  for (const [action, fn] of actions) {
    try {
      navigator.mediaSession.setActionHandler(action, fn);
    } catch {
      // an action this browser does not know
    }
  }
}
