// Mark: one tap (the button in Now Playing, the M key, or "next track" on a lock screen or
// headset through the Media Session API) saves the last seconds heard as a draft clip, which
// the server snaps to whole sentences (routes/drafts.py). A toast says what was marked and
// offers Undo.
import { signal } from "@preact/signals";
import { del, post, session } from "../api/client";
import type { Clip } from "../api/types";
import { clock } from "../lib/time";
import { notify, reportError } from "../ui/toast";
import { audio, episode } from "./state";

/** Bumped after every Mark or Undo, so the Drafts list reloads. */
export const draftsChanged = signal(0);
export const marking = signal(false);

export async function mark(): Promise<void> {
  const ep = episode.value;
  if (!ep || marking.value) return;
  if (!session.value) {
    notify("Sign in to mark moments.", "error");
    return;
  }
  marking.value = true;
  try {
    const draft = await post<Clip>("/api/drafts", { episode_id: ep.id, at_ms: Math.round(audio.currentTime * 1000) });
    draftsChanged.value++;
    notify(`Marked ${clock(draft.start_ms / 1000)}–${clock(draft.end_ms / 1000)}: saved in Drafts`, "info", 8000, {
      label: "Undo", run: () => void undo(draft),
    });
  } catch (err) {
    reportError(err);
  } finally {
    marking.value = false;
  }
}

async function undo(draft: Clip): Promise<void> {
  try {
    await del(`/api/clips/${draft.id}`);
    draftsChanged.value++;
    notify("Mark undone.");
  } catch (err) {
    reportError(err);
  }
}

export function installMark(): void {
  if (!("mediaSession" in navigator)) return;
  try {
    // a headset's double-press or the lock screen's "next" button: the listener's hands are busy
    navigator.mediaSession.setActionHandler("nexttrack", () => void mark());
  } catch {
    // a browser without this action
  }
}
