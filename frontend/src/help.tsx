import type { JSX } from "preact";
import { keyLabel, SHORTCUTS, showHelp } from "./shortcuts";
import { Dialog } from "./ui/dialog";

export function HelpOverlay(): JSX.Element | null {
  if (!showHelp.value) return null;
  const groups: [string, typeof SHORTCUTS][] = [
    ["Player", SHORTCUTS.filter((s) => !s.when)],
    ["Clip mode", SHORTCUTS.filter((s) => s.when === "clip")],
    ["For you", SHORTCUTS.filter((s) => s.when === "feed")],
  ];
  return (
    <Dialog title="Keyboard shortcuts" onClose={() => (showHelp.value = false)} class="help-dialog">
      {groups.map(([title, items]) => (
        <section key={title}>
          <h3>{title}</h3>
          <dl class="shortcuts">
            {items.map((s) => (
              <div key={s.label} class="shortcut">
                <dt>{s.keys.map((k, i) => <span key={k}>{i > 0 && " or "}<kbd>{keyLabel(k)}</kbd></span>)}</dt>
                <dd>{s.label}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
      <p class="muted">On the clip's Start and End: arrow keys move them 0.1 s, with Shift 1 s. In the transcript: arrow keys move between sentences, Enter plays from one.</p>
    </Dialog>
  );
}
