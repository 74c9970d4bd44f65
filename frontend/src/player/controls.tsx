// Now Playing controls: play/pause, skip back 15 s and forward 30 s, speed, and a scrubber
// with chapter marks. Every control has a label; the scrubber is a native range input, so
// keyboards and screen readers get seeking for free.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { Chapter } from "../api/types";
import { clock, spokenClock } from "../lib/time";
import { Icon } from "../ui/icons";
import {
  BACK_S, episodeDuration, FORWARD_S, playing, RATES, rate, seek, setRate, skip, time, toggle, waiting,
} from "./state";

export function PlayButton({ big = false, label }: { big?: boolean; label?: string }): JSX.Element {
  const on = playing.value;
  return (
    <button class={`play-button ${big ? "big" : ""}`} aria-label={on ? "Pause" : label ?? "Play"}
      aria-keyshortcuts="Space" onClick={toggle} data-action="play-pause">
      <Icon name={on ? "pause" : "play"} size={big ? 34 : 26} />
      {waiting.value && on && <span class="spinner" aria-hidden="true" />}
    </button>
  );
}

export function SkipButtons(): JSX.Element {
  return (
    <>
      <button class="icon-button skip" aria-label={`Back ${BACK_S} seconds`} aria-keyshortcuts="J" onClick={() => skip(-BACK_S)}>
        <Icon name="back" /><span class="skip-n" aria-hidden="true">{BACK_S}</span>
      </button>
    </>
  );
}

export function ForwardButton(): JSX.Element {
  return (
    <button class="icon-button skip" aria-label={`Forward ${FORWARD_S} seconds`} aria-keyshortcuts="L" onClick={() => skip(FORWARD_S)}>
      <Icon name="forward" /><span class="skip-n" aria-hidden="true">{FORWARD_S}</span>
    </button>
  );
}

export function SpeedSelect(): JSX.Element {
  return (
    <label class="speed">
      <span class="visually-hidden">Playback speed</span>
      <select aria-label="Playback speed" value={String(rate.value)} onChange={(e) => setRate(Number(e.currentTarget.value))}>
        {RATES.map((r) => <option key={r} value={String(r)}>{r}×</option>)}
      </select>
    </label>
  );
}

// past this many, marks would merge into a bar and tell nothing; the chapter list still shows
const MAX_MARKS = 60;

export function Scrubber({ chapters }: { chapters: Chapter[] }): JSX.Element {
  const total = episodeDuration.value;
  const [dragging, setDragging] = useState<number | null>(null);
  const shown = dragging ?? time.value;
  const chapter = currentChapter(chapters, shown);
  return (
    <div class="scrubber">
      <div class="scrub-track">
        <input type="range" class="scrub" min={0} max={Math.max(total, 0.001)} step={0.1} value={shown}
          aria-label="Seek" aria-valuetext={`${spokenClock(shown)} of ${spokenClock(total)}`}
          onInput={(e) => setDragging(Number(e.currentTarget.value))}
          onChange={(e) => {
            seek(Number(e.currentTarget.value));
            setDragging(null);
          }}
          style={{ "--pct": `${total ? (shown / total) * 100 : 0}%` }} />
        <div class="chapter-marks" aria-hidden="true">
          {total > 0 && chapters.length <= MAX_MARKS && chapters.filter((c) => c.start_ms > 0).map((c) => (
            <span key={c.start_ms} class="chapter-mark" title={c.title}
              style={{ left: `${(c.start_ms / 1000 / total) * 100}%` }} />
          ))}
        </div>
      </div>
      <div class="scrub-times">
        <span class="time" aria-label="Elapsed">{clock(shown)}</span>
        {chapter && <span class="current-chapter" title={chapter.title}>{chapter.title}</span>}
        <span class="time" aria-label="Remaining">−{clock(Math.max(0, total - shown))}</span>
      </div>
    </div>
  );
}

export function currentChapter(chapters: Chapter[], seconds: number): Chapter | null {
  let found: Chapter | null = null;
  for (const c of chapters) if (c.start_ms / 1000 <= seconds + 0.05) found = c;
  return found;
}
