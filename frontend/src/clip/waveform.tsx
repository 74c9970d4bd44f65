// The clip tool's waveform: wavesurfer.js drawing the server's peaks over the episode's
// timeline, sharing the app's <audio> element (it never fetches or decodes the audio), with
// the span as a region whose handles drag. Zoom goes from the whole episode to 1 ms a pixel,
// so 100 ms precision holds on a 3-hour episode as on a 3-minute one.
import { effect } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin, { type Region } from "wavesurfer.js/dist/plugins/regions.esm.js";
import TimelinePlugin from "wavesurfer.js/dist/plugins/timeline.esm.js";
import { config } from "../api/client";
import type { EpisodeDetail } from "../api/types";
import { fetchPeaks } from "../lib/peaks";
import { clock, clockTenths } from "../lib/time";
import { audio } from "../player/state";
import { Icon } from "../ui/icons";
import { clip, MAX_S, MIN_S, setSpan } from "./state";

export const MAX_ZOOM = 1000; // px per second: 1 ms per pixel
const ZOOM_STEP = 1.6;

/** Peaks density for the waveform: full (10 ms) up to an hour, half beyond, to keep a
 * 3-hour episode's download near 1 MB. */
function detailDensity(durationS: number): number {
  return durationS > 3600 ? 50 : 100;
}

export interface WaveformHandle { zoomBy: (factor: number) => void }
export const waveform: { current: WaveformHandle | null } = { current: null };

export function Waveform({ ep, durationS }: { ep: EpisodeDetail; durationS: number }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<"loading" | "ready" | "error">("loading");
  const [error, setError] = useState<string | null>(null);
  const [zoom, setZoom] = useState(0);
  const ws = useRef<WaveSurfer | null>(null);
  const minZoom = useRef(1);

  useEffect(() => {
    let gone = false;
    let unsubscribe = () => {};
    const version = ep.peaks_url ? new URL(ep.peaks_url, location.href).searchParams.get("v") ?? "" : "";
    fetchPeaks(ep.id, detailDensity(durationS), version).then((peaks) => {
      if (gone || !box.current) return;
      const width = box.current.clientWidth || 320;
      minZoom.current = width / durationS;
      const span = clip.value!;
      // start zoomed so the span fills about half the view
      const initial = clamp((width * 0.5) / (span.end - span.start), minZoom.current, MAX_ZOOM);
      const regions = RegionsPlugin.create();
      const instance = WaveSurfer.create({
        container: box.current,
        media: audio,
        peaks: [peaks.data],
        duration: durationS,
        height: 96,
        minPxPerSec: initial,
        waveColor: "#9aa3b5",
        progressColor: "#5b6478",
        cursorColor: "#c2410c",
        cursorWidth: 2,
        normalize: true,
        autoScroll: true,
        autoCenter: false,
        dragToSeek: false,
        cspNonce: config.style_nonce,
        plugins: [regions],
      });
      ws.current = instance;
      let timeline = instance.registerPlugin(TimelinePlugin.create(timelineOptions(initial, durationS)));
      setZoom(initial);
      const region = regions.addRegion({
        start: span.start, end: span.end, color: "rgba(194, 65, 12, 0.22)",
        drag: true, resize: true, minLength: MIN_S, maxLength: MAX_S, id: "clip",
      });
      instance.once("ready", () => {
        setStatus("ready");
        instance.setScrollTime(Math.max(0, span.start - (width * 0.25) / initial));
      });
      region.on("update", (side) => {
        setSpan(region.start, region.end, side === "start" ? "start" : "end");
      });
      region.on("update-end", () => setSpan(region.start, region.end));
      // every other way of editing the span (buttons, keys, transcript) moves the region
      unsubscribe = effect(() => {
        const c = clip.value;
        if (c && (Math.abs(c.start - region.start) > 1e-4 || Math.abs(c.end - region.end) > 1e-4)) {
          region.setOptions({ start: c.start, end: c.end });
          keepInView(instance, c.start, c.end);
        }
      });
      waveform.current = {
        zoomBy: (factor) => {
          const next = clamp(instance.options.minPxPerSec * factor, minZoom.current, MAX_ZOOM);
          instance.zoom(next);
          setZoom(next);
          // the plugin's own intervals crowd labels on long episodes: choose them per zoom
          timeline.destroy();
          timeline = instance.registerPlugin(TimelinePlugin.create(timelineOptions(next, durationS)));
          const c = clip.value;
          if (c) keepInView(instance, c.start, c.end, true);
        },
      };
    }).catch((err) => {
      if (!gone) {
        setStatus("error");
        setError((err as Error).message);
      }
    });
    return () => {
      gone = true;
      unsubscribe();
      waveform.current = null;
      ws.current?.destroy(); // external media: wavesurfer leaves the <audio> playing
      ws.current = null;
    };
  }, [ep.id, durationS]);

  const msPerPx = zoom ? 1000 / zoom : 0;
  return (
    <div class="waveform-block">
      <div class="waveform" ref={box} data-status={status} aria-label="Waveform: drag the highlighted span's edges to change the clip"
        role="group">
        {status === "loading" && <div class="waveform-skeleton" aria-hidden="true" />}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="zoom-row">
        <button class="icon-button" aria-label="Zoom out" aria-keyshortcuts="-" disabled={status !== "ready"}
          onClick={() => waveform.current?.zoomBy(1 / ZOOM_STEP)}><Icon name="zoomOut" /></button>
        <input type="range" class="zoom-slider" aria-label="Zoom" disabled={status !== "ready"}
          min={0} max={1000} step={1}
          value={zoom ? Math.round(zoomToSlider(zoom, minZoom.current) * 1000) : 0}
          aria-valuetext={msPerPx ? `${formatPrecision(msPerPx)} per pixel` : undefined}
          onInput={(e) => {
            const target = sliderToZoom(Number(e.currentTarget.value) / 1000, minZoom.current);
            waveform.current?.zoomBy(target / (ws.current?.options.minPxPerSec || target));
          }} />
        <button class="icon-button" aria-label="Zoom in" aria-keyshortcuts="+" disabled={status !== "ready"}
          onClick={() => waveform.current?.zoomBy(ZOOM_STEP)}><Icon name="zoomIn" /></button>
        <span class="muted precision" aria-live="off">{msPerPx ? `1 px = ${formatPrecision(msPerPx)}` : ""}</span>
      </div>
    </div>
  );
}

function formatPrecision(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.max(1, Math.round(ms))} ms`;
}

const NICE_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const MAX_NOTCHES = 20_000; // the plugin makes an element per notch over the whole episode

/** Notches at least 12 px apart, labels at least 80 px apart, in round numbers. */
function timelineOptions(pxPerSec: number, durationS: number) {
  const notch = NICE_S.find((s) => s * pxPerSec >= 12 && durationS / s <= MAX_NOTCHES) ?? 3600;
  const label = NICE_S.find((s) => s >= notch && s * pxPerSec >= 80 && Math.round(s / notch) * notch === s) ?? 3600;
  return {
    height: 18, timeInterval: notch, primaryLabelInterval: label, secondaryLabelInterval: label,
    formatTimeCallback: (t: number) => (label < 1 ? clockTenths(t) : clock(t)),
    style: { fontSize: "11px", color: "var(--muted)" },
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

// the slider is logarithmic: each step multiplies the zoom, as pinching does
function zoomToSlider(z: number, min: number): number {
  return Math.log(z / min) / Math.log(MAX_ZOOM / min);
}
function sliderToZoom(x: number, min: number): number {
  return min * Math.pow(MAX_ZOOM / min, x);
}

function keepInView(ws: WaveSurfer, start: number, end: number, centre = false): void {
  const pps = ws.options.minPxPerSec;
  const width = ws.getWidth();
  const left = ws.getScroll() / pps;
  const right = left + width / pps;
  if (centre || start < left || end > right) {
    const mid = (start + end) / 2;
    const span = end - start;
    const visible = width / pps;
    ws.setScrollTime(Math.max(0, span < visible ? mid - visible / 2 : start - visible * 0.05));
  }
}

export type { Region };
