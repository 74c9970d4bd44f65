// Messages for the listener: errors from the server in its own words, and confirmations.
// An aria-live region, so screen readers hear them too.
import { signal } from "@preact/signals";
import type { JSX } from "preact";
import { Icon } from "./icons";

/** A button in the message, e.g. "Undo" after a Mark. */
export interface ToastAction { label: string; run: () => void }
interface Toast { id: number; kind: "error" | "info"; text: string; action?: ToastAction }
export const toasts = signal<Toast[]>([]);
let next = 1;

export function notify(
  text: string, kind: Toast["kind"] = "info", ms = kind === "error" ? 9000 : 3500, action?: ToastAction,
): void {
  const id = next++;
  toasts.value = [...toasts.value, { id, kind, text, action }];
  setTimeout(() => dismiss(id), ms);
}

export function reportError(err: unknown): void {
  notify(err instanceof Error ? err.message : String(err), "error");
}

function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

export function Toasts(): JSX.Element {
  return (
    <div class="toasts" aria-live="polite" role="status">
      {toasts.value.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : undefined}>
          <span>{t.text}</span>
          {t.action && (
            <button class="small secondary" onClick={() => { dismiss(t.id); t.action?.run(); }}>{t.action.label}</button>
          )}
          <button class="icon-button" aria-label="Dismiss message" onClick={() => dismiss(t.id)}>
            <Icon name="close" size={18} />
          </button>
        </div>
      ))}
    </div>
  );
}

/** An inline error next to what failed (forms, sections), announced when it appears. */
export function ErrorText({ error }: { error: string | null | undefined }): JSX.Element | null {
  return error ? <p class="error" role="alert">{error}</p> : null;
}
