// Listening curves: a signed-in listener's player reports which 5 s buckets of the episode it
// actually heard, so creators see where listeners stay, leave and go back (docs/analytics.md).
// The rule, the same as analytics/curves.py: a bucket is heard once per pass when half of it
// (2.5 s of the episode's own time, at any speed) was played without seeking; a pass over a
// bucket ends when the playhead leaves it or jumps. Hearings are batched and sent with
// navigator.sendBeacon every SEND_S seconds, when the page is hidden or left, and on switching
// episodes. sendBeacon cannot send headers, so the CSRF token rides in the body. The server
// keeps nothing when the browser sends DNT / Sec-GPC or the listener paused their history.
import { csrfToken, session } from "../api/client";
import { clip } from "../clip/state";
import { audio, episode, leaving } from "./state";

const BUCKET_S = 5;
const HEARD_S = BUCKET_S / 2;
const SEND_S = 30;
// a timeupdate step longer than this (in episode seconds) was a jump, not playing
const MAX_STEP_S = 2.5;

let pending: { episodeId: number; heard: number[] } | null = null;
let pass = { bucket: -1, played: 0, counted: false };
let lastT: number | null = null;

function note(episodeId: number, bucket: number): void {
  if (pending && pending.episodeId !== episodeId) flush();
  pending ??= { episodeId, heard: [] };
  pending.heard.push(bucket);
}

/** Played from `from` to `to` (episode seconds) without a jump: add to the passes it crossed. */
function played(episodeId: number, from: number, to: number): void {
  let t = from;
  while (t < to) {
    const bucket = Math.floor(t / BUCKET_S);
    const end = Math.min(to, (bucket + 1) * BUCKET_S);
    if (bucket !== pass.bucket) pass = { bucket, played: 0, counted: false };
    pass.played += end - t;
    // the last bucket of an episode may be short: half of what there is of it is enough
    const size = Math.min(BUCKET_S, (audio.duration || Infinity) - bucket * BUCKET_S);
    if (!pass.counted && pass.played >= Math.min(HEARD_S, size / 2)) {
      pass.counted = true;
      note(episodeId, bucket);
    }
    t = end;
  }
}

function tick(): void {
  const ep = episode.value;
  // the clip tool's previews audition a span: not listening to the episode
  if (!ep || !session.value || clip.value || audio.paused) {
    lastT = null;
    return;
  }
  const t = audio.currentTime;
  if (lastT !== null) {
    const step = t - lastT;
    if (step > 0 && step <= MAX_STEP_S * Math.max(1, audio.playbackRate)) played(ep.id, lastT, t);
    else if (step !== 0) pass = { bucket: -1, played: 0, counted: false };
  }
  lastT = t;
}

/** Send what was heard since the last batch (nothing when nothing was). */
export function flush(): void {
  const batch = pending;
  pending = null;
  if (!batch || !batch.heard.length || !session.value) return;
  const url = `/api/analytics/episodes/${batch.episodeId}/listening`;
  const body = JSON.stringify({ heard: batch.heard, csrf_token: csrfToken() });
  const blob = new Blob([body], { type: "application/json" });
  if (!(navigator.sendBeacon && navigator.sendBeacon(url, blob))) {
    void fetch(url, {
      method: "POST", keepalive: true, credentials: "same-origin", body,
      headers: { "Content-Type": "application/json" },
    }).catch(() => {
      // offline: a curve is a sample; a lost batch costs one listener's few seconds
    });
  }
}

export function installListeningCurves(): void {
  audio.addEventListener("timeupdate", tick);
  audio.addEventListener("seeking", () => {
    lastT = null;
    pass = { bucket: -1, played: 0, counted: false };
  });
  audio.addEventListener("pause", () => { lastT = null; });
  audio.addEventListener("ended", flush);
  leaving.push(() => {
    flush();
    lastT = null;
    pass = { bucket: -1, played: 0, counted: false };
  });
  setInterval(flush, SEND_S * 1000);
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });
}
