// One edge of the span: its time as a keyboard slider (arrows ±0.1 s, Shift ±1 s), fine
// adjust buttons (±0.1 s, ±1 s) and "set to the playhead". Big targets for thumbs.
import type { JSX } from "preact";
import { clockTenths, spokenClock } from "../lib/time";
import { episodeDuration } from "../player/state";
import { nudge, setEnd, setStart } from "./state";

export function Edge({ edge, value }: { edge: "start" | "end"; value: number }): JSX.Element {
  const name = edge === "start" ? "Start" : "End";
  const key = edge === "start" ? "[" : "]";
  const onKey = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 1 : 0.1;
    const deltas: Record<string, number> = {
      ArrowLeft: -step, ArrowDown: -step, ArrowRight: step, ArrowUp: step, PageDown: -10, PageUp: 10,
    };
    if (e.key in deltas) {
      e.preventDefault();
      e.stopPropagation();
      nudge(edge, deltas[e.key]);
    } else if (e.key === "Home") {
      e.preventDefault();
      (edge === "start" ? setStart : setEnd)(0);
    } else if (e.key === "End") {
      e.preventDefault();
      (edge === "start" ? setStart : setEnd)(episodeDuration.value);
    }
  };
  const button = (delta: number, label: string) => (
    <button class="nudge" aria-label={`Move ${edge} ${Math.abs(delta)} second${Math.abs(delta) === 1 ? "" : "s"} ${delta < 0 ? "earlier" : "later"}`}
      data-edge={edge} data-delta={delta} onClick={() => nudge(edge, delta)}>{label}</button>
  );
  return (
    <div class={`edge edge-${edge}`}>
      <div class="edge-label" id={`edge-${edge}-label`}>{name}</div>
      <div class="edge-controls">
        {button(-1, "−1s")}
        {button(-0.1, "−.1")}
        <div class="edge-value" role="slider" tabIndex={0} aria-labelledby={`edge-${edge}-label`}
          aria-valuemin={0} aria-valuemax={Math.round(episodeDuration.value * 10) / 10}
          aria-valuenow={Math.round(value * 10) / 10} aria-valuetext={spokenClock(value) + ` and ${Math.round((value % 1) * 10)} tenths`}
          aria-keyshortcuts={key} data-edge-value={edge} onKeyDown={onKey}
          title="Arrow keys: ±0.1 s; with Shift: ±1 s">
          {clockTenths(value)}
        </div>
        {button(0.1, "+.1")}
        {button(1, "+1s")}
      </div>
    </div>
  );
}
