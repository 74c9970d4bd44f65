// Where the clip will really start and end. The server widens a span to whole words and moves
// an edge that has no pause beside it to the nearest pause (up to 1.5 s away), so that no
// word is cut (domain/clips.py). The editor asks it (GET /api/clips/span) a moment after
// each edit, previews that span and says when the edges moved: what the listener hears
// before creating is what the clip holds.
import { effect, signal } from "@preact/signals";
import { get } from "../api/client";
import { clip, type Span } from "./state";

interface ClipSpan { start_ms: number; end_ms: number; text: string | null; moved: boolean }
export interface Placed extends Span { key: string; text: string | null; moved: boolean }

export const placed = signal<Placed | null>(null);
const WAIT_MS = 250; // after the last edit: a drag sends one request, not sixty a second

export function spanKey(c: { episodeId: number; start: number; end: number }): string {
  return `${c.episodeId}:${Math.round(c.start * 1000)}:${Math.round(c.end * 1000)}`;
}

/** The span to play: the placed one once it is known for the current edges, else the edges. */
export function spanToHear(): Span | null {
  const c = clip.value;
  if (!c) return null;
  const p = placed.value;
  return p && p.key === spanKey(c) ? p : c;
}

/** Keep `placed` in step with the edges while the editor is open; returns the stop. */
export function followPlacement(): () => void {
  let timer = 0;
  let inFlight: AbortController | null = null;
  const stop = effect(() => {
    const c = clip.value;
    window.clearTimeout(timer);
    inFlight?.abort();
    if (!c) {
      placed.value = null;
      return;
    }
    const key = spanKey(c);
    timer = window.setTimeout(() => {
      const controller = new AbortController();
      inFlight = controller;
      const [episode, start, end] = key.split(":");
      get<ClipSpan>(`/api/clips/span?episode_id=${episode}&start_ms=${start}&end_ms=${end}`, { signal: controller.signal })
        .then((s) => {
          placed.value = { key, start: s.start_ms / 1000, end: s.end_ms / 1000, text: s.text, moved: s.moved };
        })
        .catch(() => undefined); // signed out, or an edit in between: the edges stand as they are
    }, WAIT_MS);
  });
  return () => {
    stop();
    window.clearTimeout(timer);
    inFlight?.abort();
    placed.value = null;
  };
}
