// Keyboard shortcuts, one table for the handler and the help overlay (press ?), so what is
// documented is what works. Keys are ignored while typing in a field.
import { signal } from "@preact/signals";
import { createRequest } from "./clip/editor";
import {
  clip, endAtPlayhead, enterClipMode, exitClipMode, loop, nudge, startAtPlayhead, togglePreview,
} from "./clip/state";
import { waveform } from "./clip/waveform";
import { feedActive, openCurrent, step, toggleItem } from "./foryou/feed";
import { mark } from "./player/mark";
import { BACK_S, episode, FORWARD_S, skip, toggle } from "./player/state";

export const showHelp = signal(false);

interface Shortcut { keys: string[]; label: string; when?: "clip" | "feed"; run: (e: KeyboardEvent) => void }

export const SHORTCUTS: Shortcut[] = [
  { keys: [" ", "k"], label: "Play / pause", run: toggle },
  { keys: ["ArrowLeft"], label: "Back 5 s", run: () => skip(-5) },
  { keys: ["ArrowRight"], label: "Forward 5 s", run: () => skip(5) },
  { keys: ["j"], label: `Back ${BACK_S} s`, run: () => skip(-BACK_S) },
  { keys: ["l"], label: `Forward ${FORWARD_S} s`, run: () => skip(FORWARD_S) },
  { keys: ["m"], label: "Mark: save the last seconds as a draft clip (also a headset's or lock screen's “next”)", run: () => void mark() },
  { keys: ["c"], label: "Scissors: clip from here", run: () => {
    const ep = episode.value;
    if (ep && !clip.value) void enterClipMode(ep);
  } },
  { keys: ["["], label: "Set clip start at the playhead", when: "clip", run: startAtPlayhead },
  { keys: ["]"], label: "Set clip end at the playhead", when: "clip", run: endAtPlayhead },
  { keys: [","], label: "Move start 0.1 s earlier (Shift: 1 s)", when: "clip", run: (e) => nudge("start", e.shiftKey ? -1 : -0.1) },
  { keys: ["."], label: "Move start 0.1 s later (Shift: 1 s)", when: "clip", run: (e) => nudge("start", e.shiftKey ? 1 : 0.1) },
  { keys: [";"], label: "Move end 0.1 s earlier (Shift: 1 s)", when: "clip", run: (e) => nudge("end", e.shiftKey ? -1 : -0.1) },
  { keys: ["'"], label: "Move end 0.1 s later (Shift: 1 s)", when: "clip", run: (e) => nudge("end", e.shiftKey ? 1 : 0.1) },
  { keys: ["p"], label: "Preview the clip", when: "clip", run: togglePreview },
  { keys: ["r"], label: "Loop the preview on / off", when: "clip", run: () => (loop.value = !loop.value) },
  { keys: ["+", "="], label: "Zoom in", when: "clip", run: () => waveform.current?.zoomBy(1.6) },
  { keys: ["-"], label: "Zoom out", when: "clip", run: () => waveform.current?.zoomBy(1 / 1.6) },
  { keys: ["Control+Enter", "Meta+Enter"], label: "Create the clip", when: "clip", run: () => createRequest.value++ },
  { keys: ["Escape"], label: "Leave clip mode", when: "clip", run: exitClipMode },
  { keys: ["ArrowDown"], label: "Next item (plays it if one was playing)", when: "feed", run: () => step(1) },
  { keys: ["ArrowUp"], label: "Previous item", when: "feed", run: () => step(-1) },
  { keys: ["p"], label: "Play / pause the current item in place", when: "feed", run: () => toggleItem() },
  { keys: ["o"], label: "Open the episode at the item's second", when: "feed", run: openCurrent },
  { keys: ["/"], label: "Search transcripts", run: () => document.getElementById("search-q")?.focus() },
  { keys: ["?"], label: "Show these shortcuts", run: () => (showHelp.value = !showHelp.value) },
];

// Shift changes "," into "<" on most layouts; the physical key is what people press
const SHIFTED: Record<string, string> = { "<": ",", ">": ".", ":": ";", '"': "'", "{": "[", "}": "]" };

function keyName(e: KeyboardEvent): string {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") return `${e.ctrlKey ? "Control" : "Meta"}+Enter`;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return SHIFTED[k] ?? k;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  if (el.tagName === "INPUT") {
    const type = (el as HTMLInputElement).type;
    return !["range", "checkbox", "radio", "button", "submit", "file"].includes(type);
  }
  return false;
}

export function installShortcuts(): void {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey) return;
    const name = keyName(e);
    const withModifier = name.includes("+Enter");
    if ((e.ctrlKey || e.metaKey) && !withModifier) return;
    if (typing(e.target) && !withModifier) return;
    if (document.querySelector("dialog[open]") && name !== "?") return; // the dialog owns the keys
    // Space and Enter on a focused button press it; arrows on a slider move it
    const el = e.target as HTMLElement;
    if (name === " " && el.closest("button, a, [role=slider], [role=tab], select, input")) return;
    if (name.startsWith("Arrow") && el.closest("input, [role=slider], [role=listbox], select, [role=tablist]")) return;
    const active = (s: Shortcut) => !s.when || (s.when === "clip" ? !!clip.value : feedActive.value && !clip.value);
    const found = SHORTCUTS.find((s) => s.keys.includes(name) && active(s));
    if (!found) return;
    e.preventDefault();
    found.run(e);
  });
}

export function keyLabel(key: string): string {
  const names: Record<string, string> = {
    " ": "Space", ArrowLeft: "←", ArrowRight: "→", ArrowUp: "↑", ArrowDown: "↓", "Control+Enter": "Ctrl+Enter", "Meta+Enter": "⌘+Enter",
    Escape: "Esc",
  };
  return names[key] ?? key.toUpperCase();
}
