// The "For you" feed's own player: one item at a time, in place, on an audio element of its
// own (the main player keeps its episode and position). Tap plays an item, the arrow keys
// or a swipe move to the next and play it if something was playing, "o" opens the episode at
// the second the item starts. The shortcuts (shortcuts.ts) read these signals.
import { signal } from "@preact/signals";
import { csrfHeader } from "../api/client";
import type { ForYouItem } from "../api/types";
import { navigate } from "../router";
import { pause as pauseMain } from "../player/state";

export const feedItems = signal<ForYouItem[]>([]);
export const current = signal(0);
export const feedPlaying = signal(false);
export const feedActive = signal(false); // the For you page is on screen
// a key or button moved to another card: the scroll that follows is ours, not a swipe
export const stepping = signal(false);

const audio = new Audio();
audio.preload = "none";
audio.id = "sb-feed-audio";
audio.setAttribute("aria-hidden", "true");
audio.addEventListener("timeupdate", () => {
  const item = feedItems.value[current.value];
  // a highlight is a span of its episode: stop at its end
  if (item && item.kind === "highlight" && item.end_ms !== null && audio.currentTime * 1000 >= item.end_ms) {
    audio.pause();
  }
});
audio.addEventListener("play", () => (feedPlaying.value = true));
audio.addEventListener("pause", () => (feedPlaying.value = false));
audio.addEventListener("ended", () => (feedPlaying.value = false));

const counted = new Set<string>();

export function playAt(index: number): void {
  const item = feedItems.value[index];
  if (!item?.audio_url) return;
  current.value = index;
  pauseMain();
  if (!audio.isConnected) document.body.append(audio); // in the page, like the main player's
  const src = new URL(item.audio_url, location.href).href;
  if (audio.src !== src) {
    audio.src = src;
    // a clip's file is the clip; an episode's file starts where the item starts
    audio.currentTime = item.kind === "clip" ? 0 : item.start_ms / 1000;
  }
  void audio.play().catch(() => (feedPlaying.value = false));
  if (item.share_id && !counted.has(item.share_id)) {
    counted.add(item.share_id); // a clip play counts for its creator and, signed in, for you
    void fetch(`/api/clips/${item.share_id}/events`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", ...csrfHeader() },
      body: JSON.stringify({ kind: "played" }),
    }).catch(() => undefined);
  }
}

export function toggleItem(index = current.value): void {
  if (index === current.value && feedPlaying.value) audio.pause();
  else playAt(index);
}

export function stopFeed(): void {
  audio.pause();
}

/** Move to the next (or previous) item; it plays if the feed was playing. */
export function step(delta: number): void {
  const n = feedItems.value.length;
  if (!n) return;
  const next = Math.max(0, Math.min(n - 1, current.value + delta));
  const wasPlaying = feedPlaying.value;
  current.value = next;
  stepping.value = true;
  window.setTimeout(() => (stepping.value = false), 600);
  document.getElementById(`fy-${next}`)?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  (document.querySelector(`#fy-${next} .fy-play`) as HTMLElement | null)?.focus({ preventScroll: true });
  if (wasPlaying) playAt(next);
  else if (feedPlaying.value) audio.pause();
}

export function openLink(item: ForYouItem): string {
  const at = Math.floor((item.kind === "episode" ? 0 : item.start_ms) / 1000);
  return `/episodes/${item.episode_id}${at > 0 ? `?t=${at}` : ""}`;
}

export function openCurrent(): void {
  const item = feedItems.value[current.value];
  if (item) {
    audio.pause();
    navigate(openLink(item));
  }
}
