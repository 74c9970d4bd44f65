// The listening curves of one episode on the dashboard: retention (the share of listeners who
// started it that heard each 5 s) and "most replayed" (listeners who heard each 5 s again),
// drawn over the episode's waveform, so a creator sees which moment people went back for and
// can clip it at once: a click on the chart, or on one of the peaks listed under it, opens the
// episode in the clip tool at that second (/episodes/ID?t=SECONDS&clip=1).
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { get } from "../api/client";
import type { EpisodeDetail } from "../api/types";
import { fetchPeaks, type Peaks } from "../lib/peaks";
import { clock } from "../lib/time";
import { navigate } from "../router";
import { useLoad } from "../ui/hooks";

export interface Curve {
  episode_id: number; duration_ms: number; bucket_ms: number; started: number;
  points: { bucket: number; start_ms: number; listeners: number; retention: number; replays: number }[];
}

const PEAKS_PER_SECOND = 2; // the waveform behind the curves is a backdrop: 2 columns a second
const PEAK_COUNT = 3;

export function clipUrl(episodeId: number, seconds: number): string {
  return `/episodes/${episodeId}?t=${Math.max(0, Math.floor(seconds))}&clip=1`;
}

/** The most replayed moments, best first, at least 30 s apart (one peak is several buckets). */
export function replayPeaks(curve: Curve, count = PEAK_COUNT): Curve["points"] {
  const chosen: Curve["points"] = [];
  for (const p of [...curve.points].sort((a, b) => b.replays - a.replays || a.start_ms - b.start_ms)) {
    if (!p.replays || chosen.length >= count) break;
    if (chosen.every((c) => Math.abs(c.start_ms - p.start_ms) >= 30_000)) chosen.push(p);
  }
  return chosen;
}

export function ListeningCurves({ episodeId, query }: { episodeId: number; query: string }): JSX.Element {
  const curve = useLoad(
    (signal) => get<Curve>(`/api/analytics/episodes/${episodeId}/retention?${query}`, { signal }), [episodeId, query],
  );
  const ep = useLoad((signal) => get<EpisodeDetail>(`/api/episodes/${episodeId}`, { signal }), [episodeId]);
  const c = curve.data;
  const peaks = c ? replayPeaks(c) : [];
  return (
    <section aria-labelledby="curves-h" class="curves">
      <h2 id="curves-h">
        Listening curves{ep.data ? `: ${ep.data.title}` : ""}{" "}
        <a class="csv" href={`/api/analytics/episodes/${episodeId}/retention?format=csv&${query}`}>CSV</a>
      </h2>
      {curve.error && <p class="error" role="alert">{curve.error}</p>}
      {c && !c.started && (
        <p class="muted small-text" data-testid="curves-empty">
          No signed-in listener has played this episode in this period yet.
        </p>
      )}
      {c && c.started > 0 && ep.data && (
        <>
          <p class="muted small-text" data-testid="curves-started">
            {c.started.toLocaleString()} {c.started === 1 ? "listener" : "listeners"} started it (signed-in, counted per day).
            Click the chart to clip from that moment.
          </p>
          <CurveChart curve={c} ep={ep.data} />
          <ul class="curve-legend muted small-text" aria-hidden="true">
            <li><span class="swatch retention" /> Still listening</li>
            <li><span class="swatch replays" /> Replayed (listeners)</li>
            <li><span class="swatch wave" /> Waveform</li>
          </ul>
          {peaks.length > 0 && (
            <>
              <h3 class="replay-h">Most replayed</h3>
              <ol class="replay-peaks">
                {peaks.map((p) => (
                  <li key={p.bucket}>
                    <a class="button small" href={clipUrl(episodeId, p.start_ms / 1000)} data-testid="clip-peak">
                      Clip from {clock(p.start_ms / 1000)}
                    </a>{" "}
                    <span class="muted small-text">
                      {p.replays} {p.replays === 1 ? "listener" : "listeners"} replayed it · {Math.round(p.retention * 100)}% still listening
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
        </>
      )}
    </section>
  );
}

function CurveChart({ curve, ep }: { curve: Curve; ep: EpisodeDetail }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let wave: Peaks | null = null;
    const half = curve.bucket_ms / 2000;
    const xs = curve.points.map((p) => p.start_ms / 1000 + half);
    const data: uPlot.AlignedData = [
      xs, curve.points.map((p) => p.retention * 100), curve.points.map((p) => p.replays),
    ];
    const css = getComputedStyle(document.documentElement);
    const accent = css.getPropertyValue("--accent").trim() || "#c2410c";
    const line = css.getPropertyValue("--line").trim() || "#d4d4d8";
    const width = () => Math.max(280, el.clientWidth);
    const drawWave = (u: uPlot) => {
      if (!wave) return;
      const { ctx } = u;
      const { left, top, width: w, height: h } = u.bbox;
      const ratio = uPlot.pxRatio;
      const mid = top + h / 2;
      ctx.save();
      ctx.fillStyle = line;
      for (let x = 0; x < w / ratio; x += 2) {
        const from = Math.max(0, Math.floor(u.posToVal(x, "x") * wave.pixelsPerSecond));
        const to = Math.max(from + 1, Math.ceil(u.posToVal(x + 2, "x") * wave.pixelsPerSecond));
        let peak = 0;
        for (let i = from; i < to && 2 * i + 1 < wave.data.length; i++) {
          peak = Math.max(peak, Math.abs(wave.data[2 * i]), Math.abs(wave.data[2 * i + 1]));
        }
        const bar = Math.max(1, peak * h * 0.9);
        ctx.fillRect(left + x * ratio, mid - bar / 2, Math.max(1, 1.5 * ratio), bar);
      }
      ctx.restore();
    };
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        series: [
          { label: "Time", value: (_u, v) => (v == null ? "" : clock(v)) },
          { label: "Still listening", stroke: accent, width: 2, scale: "%", value: (_u, v) => (v == null ? "" : `${Math.round(v)}%`) },
          { label: "Replayed", stroke: "#2563eb", width: 2, scale: "n", fill: "rgba(37, 99, 235, 0.12)" },
        ],
        axes: [
          { values: (_u, ticks) => ticks.map((t) => clock(t)) },
          { scale: "%", size: 48, values: (_u, ticks) => ticks.map((t) => `${t}%`) },
          // whole listeners only: no "1.5 replayed"
          { scale: "n", side: 1, size: 36, grid: { show: false }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 10_000] },
        ],
        scales: {
          x: { time: false, range: [0, Math.max(1, curve.duration_ms / 1000)] },
          "%": { range: [0, 100] },
          n: { range: (_u, _min, max) => [0, Math.max(2, max)] },
        },
        legend: { show: false },
        hooks: { drawClear: [drawWave] },
      },
      data,
      el,
    );
    const version = ep.peaks_url ? new URL(ep.peaks_url, location.href).searchParams.get("v") ?? "" : "";
    if (ep.has_peaks) {
      fetchPeaks(ep.id, PEAKS_PER_SECOND, version).then((p) => {
        wave = p;
        plot.redraw(false, false);
      }, () => {
        // no waveform: the curves stand on their own
      });
    }
    const open = () => {
      const left = plot.cursor.left;
      if (left == null || left < 0) return;
      navigate(clipUrl(ep.id, plot.posToVal(left, "x")));
    };
    plot.over.addEventListener("click", open);
    plot.over.style.cursor = "pointer";
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.over.removeEventListener("click", open);
      plot.destroy();
    };
  }, [curve, ep.id]);
  return (
    <div
      class="chart curve-chart" ref={box} role="img" data-testid="curve-chart"
      aria-label={`Share of listeners still listening and listeners who replayed each 5 seconds of ${ep.title}, over its waveform`}
    />
  );
}
