// Listening progress synced to the server for a signed-in listener (routes/listening.py), so
// another browser of theirs can offer "Resume at 12:34". Reported every REPORT_S seconds of
// playing, on pause, at the end, on switching episodes, and when the page is hidden or left.
// The request is a same-origin fetch with `keepalive`, so it outlives a closing page and still
// carries the CSRF header (navigator.sendBeacon cannot send headers).
import { csrfHeader, get, session } from "../api/client";
import type { Progress } from "../api/types";
import { clip } from "../clip/state";
import { audio, episode, leaving, playing } from "./state";

const REPORT_S = 15;
let last = { id: 0, ms: -1, wall: 0 };

function send(episodeId: number, seconds: number, ended = false): void {
  if (!session.value) return;
  const ms = Math.max(0, Math.floor(seconds * 1000));
  // a page left or hidden twice in a row has nothing new to say
  if (!ended && last.id === episodeId && Math.abs(last.ms - ms) < 1000) return;
  last = { id: episodeId, ms, wall: Date.now() };
  void fetch(`/api/episodes/${episodeId}/progress`, {
    method: "PUT", keepalive: true, credentials: "same-origin",
    headers: { "Content-Type": "application/json", ...csrfHeader() },
    body: JSON.stringify({ position_ms: ms, ended }),
  }).catch(() => {
    // offline: the next report carries the position anyway
  });
}

/** Report where the player is now (only an episode that was actually played). While the clip
 * tool is open the playhead auditions a span (previews, a draft's start): not where the
 * listener is in the episode, so it is not reported. */
export function reportProgress(ended = false): void {
  const ep = episode.value;
  if (!ep || clip.value || (!ended && audio.currentTime < 1 && last.id !== ep.id)) return;
  send(ep.id, audio.currentTime, ended);
}

export function installProgressSync(): void {
  audio.addEventListener("timeupdate", () => {
    if (playing.value && Date.now() - last.wall >= REPORT_S * 1000) reportProgress();
  });
  audio.addEventListener("pause", () => reportProgress());
  audio.addEventListener("ended", () => reportProgress(true));
  leaving.push((ep, seconds) => { if (seconds >= 1) send(ep.id, seconds); });
  window.addEventListener("pagehide", () => reportProgress());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") reportProgress();
  });
}

export function fetchProgress(episodeId: number, signal?: AbortSignal): Promise<Progress | null> {
  if (!session.value) return Promise.resolve(null);
  return get<Progress>(`/api/episodes/${episodeId}/progress`, { signal });
}
