// Clip mode: what the scissors open. Waveform with the span, both edges with fine adjustment,
// the span's words and length (with the limit in view before it is hit), preview, a title and
// a note, create. Opened on a draft (a Mark, from Drafts) it refines that clip instead: save it
// as a draft again, or share it.
import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { patch, post } from "../api/client";
import type { Clip, ClipCreate, ClipUpdate, EpisodeDetail, Visibility } from "../api/types";
import { clock, clockTenths, length } from "../lib/time";
import { episodeDuration, playing } from "../player/state";
import { showHelp } from "../shortcuts";
import { Icon } from "../ui/icons";
import { notify, reportError } from "../ui/toast";
import { draftsChanged } from "../player/mark";
import { Edge } from "./edge";
import { followPlacement, placed, spanKey } from "./placed";
import {
  clip, clipText, editing, endAtPlayhead, exitClipMode, limitHit, loop, MAX_S, previewing,
  showPlayerAndClipTool, startAtPlayhead, togglePreview,
} from "./state";
import { Waveform } from "./waveform";

const NEAR_LIMIT = 0.85;
export const created = signal<Clip | null>(null);
export const createRequest = signal(0);
export const NOTE_MAX = 2000;

export function ClipEditor({ ep }: { ep: EpisodeDetail }): JSX.Element | null {
  const c = clip.value;
  const draft = editing.value?.episode_id === ep.id ? editing.value : null;
  const [title, setTitle] = useState(draft?.title ?? "");
  const [note, setNote] = useState(draft?.note ?? "");
  const [visibility, setVisibility] = useState<Visibility>("public");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const section = useRef<HTMLElement>(null);
  useEffect(() => {
    showPlayerAndClipTool();
    section.current?.focus({ preventScroll: true });
  }, []);
  useEffect(followPlacement, []);
  const save = async (share: boolean) => {
    const span = clip.value;
    if (!span || busy) return;
    setBusy(true);
    setError(null);
    const edges = { start_ms: Math.round(span.start * 1000), end_ms: Math.round(span.end * 1000), snap: "word" as const };
    try {
      if (draft) {
        const changes: ClipUpdate = { ...edges, title: title.trim() || draft.title, note: note.trim() || null };
        if (share) Object.assign(changes, { visibility, draft: false });
        const saved = await patch<Clip>(`/api/clips/${draft.id}`, changes);
        draftsChanged.value++;
        if (share) {
          exitClipMode();
          if (saved.visibility === "private") notify("Saved to your clips (private).");
          else created.value = saved;
        } else {
          editing.value = saved;
          notify("Draft saved.");
        }
        return;
      }
      const body: ClipCreate = {
        episode_id: ep.id, ...edges, title: title.trim() || null, note: note.trim() || null, visibility,
      };
      created.value = await post<Clip>("/api/clips", body);
    } catch (err) {
      setError((err as Error).message);
      reportError(err);
    } finally {
      setBusy(false);
    }
  };
  // Ctrl/⌘+Enter (shortcuts.ts) asks for a create through this counter
  const lastRequest = useRef(createRequest.value);
  useEffect(() => {
    if (createRequest.value !== lastRequest.current) {
      lastRequest.current = createRequest.value;
      void save(true);
    }
  }, [createRequest.value]);
  if (!c || c.episodeId !== ep.id) return null;
  const len = c.end - c.start;
  const ratio = len / MAX_S;
  const cut = placed.value?.key === spanKey(c) ? placed.value : null;
  const text = cut && cut.text !== null ? cut.text : clipText.value;
  const limitNote = limitHit.value
    ? `At the ${length(MAX_S)} limit`
    : ratio >= NEAR_LIMIT ? `Near the ${length(MAX_S)} limit` : `Up to ${length(MAX_S)}`;
  return (
    <section class="clip-editor" ref={section} tabIndex={-1} aria-labelledby="clip-h" data-testid="clip-editor"
      data-cut={cut ? `${Math.round(cut.start * 1000)}-${Math.round(cut.end * 1000)}` : undefined}>
      <header class="clip-head">
        <h2 id="clip-h"><Icon name="scissors" size={20} /> {draft ? "Refine draft" : "New clip"}</h2>
        <div class="row">
          <button class="icon-button" aria-label="Keyboard shortcuts" aria-keyshortcuts="?" onClick={() => (showHelp.value = true)}>
            <Icon name="keyboard" />
          </button>
          <button class="icon-button" aria-label="Leave clip mode" aria-keyshortcuts="Escape" onClick={exitClipMode}>
            <Icon name="close" />
          </button>
        </div>
      </header>
      <Waveform ep={ep} durationS={episodeDuration.value} />
      <div class="edges">
        <Edge edge="start" value={c.start} />
        <Edge edge="end" value={c.end} />
      </div>
      <div class="row playhead-row">
        <button class="secondary" onClick={startAtPlayhead} aria-keyshortcuts="[" aria-label="Set the start at the playhead">
          <kbd aria-hidden="true">[</kbd> Start here</button>
        <button class="secondary" onClick={endAtPlayhead} aria-keyshortcuts="]" aria-label="Set the end at the playhead">
          End here <kbd aria-hidden="true">]</kbd></button>
      </div>
      <div class={`clip-length ${limitHit.value ? "at-limit" : ratio >= NEAR_LIMIT ? "near-limit" : ""}`}>
        <span>
          <strong data-testid="clip-length">{length(len)}</strong>
          <span class="muted"> · {clock(c.start)}–{clock(c.end)}</span>
        </span>
        <meter min={0} max={MAX_S} low={MAX_S * NEAR_LIMIT} high={MAX_S * 0.99} optimum={0} value={len}
          aria-label={`Clip length ${length(len)} of at most ${length(MAX_S)}`} />
        <span class="limit-note" aria-live="polite">{limitNote}</span>
      </div>
      {/* The cut arrives ~250 ms after each edit, and the episode's transcript sits below the
          editor: a note that came and went then moved the words under a listener who had begun
          to select them. So its box is always there, as tall as the longest note wrapped at
          this width (an invisible copy in the same grid cell sets that height, whatever the
          width, font size or zoom; a fixed height in lines would have to guess the wrapping),
          and empty while there is nothing to report. Below the transcript it would be far from
          the edges it is about. */}
      <p class="cut-note muted small-text">
        <span class="cut-note-size" aria-hidden="true">{cutNote(widest(ep), widest(ep), widestLength())}</span>
        <span data-testid="cut-note" aria-live="polite">
          {cut?.moved && cutNote(clockTenths(cut.start), clockTenths(cut.end), length(cut.end - cut.start))}
        </span>
      </p>
      <blockquote class="span-text" aria-live="polite" aria-label="Words in the clip" data-testid="span-text">
        {text === null ? <span class="muted">No transcript yet: the clip is cut at exactly these times.</span>
          : text || <span class="muted">No words in this span.</span>}
      </blockquote>
      <div class="row preview-row">
        <button class="preview" onClick={togglePreview} aria-keyshortcuts="P" aria-pressed={previewing.value}>
          <Icon name={previewing.value && playing.value ? "pause" : "play"} size={20} />
          {previewing.value ? "Stop preview" : "Preview"}
        </button>
        <button class={`icon-button toggle ${loop.value ? "on" : ""}`} aria-pressed={loop.value} aria-keyshortcuts="R"
          aria-label="Loop the preview" title="Loop the preview (R)" onClick={() => (loop.value = !loop.value)}>
          <Icon name="loop" />
        </button>
      </div>
      <div class="create-row">
        <div class="field grow">
          <label for="clip-title">Title <span class="muted">(optional)</span></label>
          <input id="clip-title" maxLength={128} value={title} placeholder={text ? firstWords(text) : "Default: the clip's first words"}
            onInput={(e) => setTitle(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="clip-visibility">Who can see it</label>
          <select id="clip-visibility" value={visibility} onChange={(e) => setVisibility(e.currentTarget.value as Visibility)}>
            <option value="public">Public</option>
            <option value="unlisted">Unlisted (link only)</option>
            <option value="private">Private (only me)</option>
          </select>
        </div>
        {draft && (
          <button class="secondary" onClick={() => void save(false)} disabled={busy}>Save draft</button>
        )}
        <button class="create" onClick={() => void save(true)} disabled={busy} aria-keyshortcuts="Control+Enter">
          <Icon name={draft ? "share" : "scissors"} size={18} />{" "}
          {busy ? "Saving…" : draft ? (visibility === "private" ? "Save to your clips" : "Share clip") : "Create clip"}
        </button>
      </div>
      <div class="field">
        <label for="clip-note">Note <span class="muted">(optional: why this moment; shown with the clip)</span></label>
        <textarea id="clip-note" rows={2} maxLength={NOTE_MAX} value={note} placeholder="What you want to remember or say about it"
          onInput={(e) => setNote(e.currentTarget.value)} data-testid="clip-note" />
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

function cutNote(start: string, end: string, len: string): string {
  return `Cut at ${start}–${end} (${len}): the edges move to the nearest pause, so no word is cut. Preview plays exactly this.`;
}

// The note's digits are tabular (app.css), so a time of the same shape with every digit 0 is
// exactly as wide as any the note can show: the episode's last second, and the longest length
// a clip can have (the server may move each edge out by up to 1.5 s).
function widest(ep: EpisodeDetail): string {
  return clockTenths(Math.max(episodeDuration.value, (ep.duration_ms ?? 0) / 1000)).replace(/\d/g, "0");
}

function widestLength(): string {
  const longest = MAX_S + 3;
  return (longest < 60 ? "00.0 s" : `${Math.floor(longest / 60)} min 00 s`).replace(/\d/g, "0");
}

function firstWords(text: string): string {
  return text.length > 60 ? text.slice(0, 60).replace(/\s+\S*$/, "") + "…" : text;
}
