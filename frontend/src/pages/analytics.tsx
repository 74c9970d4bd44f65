// The creator dashboard: downloads, listeners and plays over time (uPlot), the clip funnel,
// channels, apps and devices, for everything, a podcast, an episode or a clip. The scope, the
// date range and the comparison with the period before are all in the URL, so a view can be
// bookmarked and shared; every figure links to its CSV. Reads /api/analytics/... only, which
// reads the aggregates only (docs/analytics.md).
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { get, session, signInUrl } from "../api/client";
import type { Podcast } from "../api/types";
import { navigate, route } from "../router";
import { useLoad } from "../ui/hooks";
import { ListeningCurves } from "./curves";

interface Summary {
  range: { start: string; end: string };
  totals: Record<string, number>;
  average_daily_listeners: number;
  previous: Record<string, number>;
  previous_average_daily_listeners: number;
}
interface Series { metric: string; period: string; points: { start: string; count: number }[] }
interface Counts { items: { name: string; count: number }[] }

const RANGES = [7, 30, 90];
const CARDS: [string, string][] = [
  ["downloads", "Downloads"],
  ["plays", "Clip plays"],
  ["views", "Share-page views"],
  ["clickthroughs", "Click-throughs"],
  ["listens", "Listens after a clip"],
  ["shares", "Shares"],
];
const FUNNEL: [string, string][] = [
  ["views", "Share-page views"],
  ["plays", "Plays"],
  ["completes", "Completed plays"],
  ["clickthroughs", "Full-episode click-throughs"],
  ["listens", "Episode listens the same day"],
];
const BREAKDOWNS: [string, string, string?][] = [
  ["app", "Apps"],
  ["device", "Devices"],
  ["os", "Operating systems"],
  ["channel", "Arrivals by channel"],
  ["channel", "Shares by channel", "shares"],
  ["referrer", "Referrers"],
  ["embed", "Embedded on"],
];

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The query string every request and CSV link shares: scope and range, from the URL. */
function scopeQuery(q: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of ["podcast_id", "episode_id", "clip", "start", "end"]) {
    const v = q.get(key);
    if (v) out.set(key, v);
  }
  if (!out.get("start")) {
    const end = new Date();
    const start = new Date(end.getTime() - 29 * 86_400_000);
    out.set("start", isoDay(start));
    out.set("end", isoDay(end));
  }
  return out;
}

/** Only the date range, for figures whose scope is in their path (an episode's curves). */
function rangeQuery(scope: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const key of ["start", "end"]) {
    const v = scope.get(key);
    if (v) out.set(key, v);
  }
  return out.toString();
}

function change(now: number, before: number): JSX.Element | null {
  if (!before) return now ? <span class="delta up">new</span> : null;
  const pct = Math.round(((now - before) / before) * 100);
  return <span class={`delta ${pct >= 0 ? "up" : "down"}`}>{pct >= 0 ? "+" : ""}{pct}% vs previous period</span>;
}

export function AnalyticsPage(): JSX.Element {
  const q = route.value.query;
  const scope = scopeQuery(q);
  const key = scope.toString();
  const summary = useLoad((signal) => get<Summary>(`/api/analytics/summary?${key}`, { signal }), [key]);
  const downloads = useLoad((signal) => get<Series>(`/api/analytics/series?metric=downloads&${key}`, { signal }), [key]);
  const plays = useLoad((signal) => get<Series>(`/api/analytics/series?metric=plays&${key}`, { signal }), [key]);
  const listeners = useLoad((signal) => get<Series>(`/api/analytics/series?metric=listeners&${key}`, { signal }), [key]);
  const funnel = useLoad((signal) => get<Counts>(`/api/analytics/funnel?${key}`, { signal }), [key]);
  const podcasts = useLoad((signal) => get<Podcast[]>("/api/podcasts", { signal }), []);
  // admins, and creators of a podcast (the API says which figures each may see)
  const mayEdit = session.value?.user.is_owner || (podcasts.data ?? []).some((p) => p.may_edit);
  if (!mayEdit) {
    if (session.value && podcasts.loading) return <div class="page"><p class="muted">Loading…</p></div>;
    return <div class="page"><h1>Analytics</h1><p><a href={signInUrl()}>Sign in</a> as an admin or a podcast's creator to see the numbers.</p></div>;
  }
  const episodeId = Number(q.get("episode_id")) || 0;
  const setParam = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(q);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    navigate(`/analytics?${next.toString()}`, { replace: true });
  };
  const pickRange = (days: number) => {
    const end = new Date();
    setParam({ start: isoDay(new Date(end.getTime() - (days - 1) * 86_400_000)), end: isoDay(end) });
  };
  const s = summary.data;
  const days = s ? Math.round((Date.parse(s.range.end) - Date.parse(s.range.start)) / 86_400_000) + 1 : 30;
  return (
    <div class="page analytics-page">
      <h1>Analytics</h1>
      <div class="analytics-controls row">
        <label>
          <span class="visually-hidden">Podcast</span>
          <select
            aria-label="Podcast"
            value={q.get("podcast_id") ?? ""}
            onChange={(e) => setParam({ podcast_id: (e.target as HTMLSelectElement).value || null, episode_id: null, clip: null })}
          >
            <option value="">All podcasts</option>
            {(podcasts.data ?? []).filter((p) => session.value?.user.is_owner || p.may_edit).map((p) => <option key={p.id} value={String(p.id)}>{p.title}</option>)}
          </select>
        </label>
        <div class="segmented" role="group" aria-label="Date range">
          {RANGES.map((n) => (
            <button key={n} class={`small ${days === n ? "" : "secondary"}`} aria-pressed={days === n} onClick={() => pickRange(n)}>
              {n} days
            </button>
          ))}
        </div>
        {(q.get("episode_id") || q.get("clip")) && (
          <button class="small secondary" onClick={() => setParam({ episode_id: null, clip: null })}>
            {q.get("clip") ? `Clip ${q.get("clip")}` : `Episode ${q.get("episode_id")}`} ✕
          </button>
        )}
        <a class="small-text" href="/what-we-count">What we count</a>
      </div>
      {summary.error && <p class="error" role="alert">{summary.error}</p>}
      {s && (
        <>
          <p class="muted small-text">{s.range.start} to {s.range.end}, compared with the {days} days before.</p>
          <ul class="stat-cards">
            {CARDS.map(([metric, label]) => (
              <li key={metric} class="stat-card" data-metric={metric}>
                <span class="stat-label">{label}</span>
                <strong class="stat-value">{s.totals[metric].toLocaleString()}</strong>
                {change(s.totals[metric], s.previous[metric])}
              </li>
            ))}
            <li class="stat-card" data-metric="listeners">
              <span class="stat-label">Listeners a day (average)</span>
              <strong class="stat-value">{s.average_daily_listeners.toLocaleString()}</strong>
              {change(s.average_daily_listeners, s.previous_average_daily_listeners)}
            </li>
          </ul>
          <p class="muted small-text" data-metric="apart">
            Reported apart, not counted: {s.totals.bot_downloads.toLocaleString()} bot downloads,{" "}
            {s.totals.anomalous_downloads.toLocaleString()} anomalous downloads (too many from one address in an hour).
          </p>
        </>
      )}
      <section aria-labelledby="over-time">
        <h2 id="over-time">Over time <a class="csv" href={`/api/analytics/series?metric=downloads&format=csv&${key}`}>CSV</a></h2>
        {downloads.data && plays.data && listeners.data && (
          <TimeChart series={[downloads.data, listeners.data, plays.data]} labels={["Downloads", "Listeners", "Clip plays"]} />
        )}
      </section>
      {episodeId > 0 && <ListeningCurves episodeId={episodeId} query={rangeQuery(scope)} />}
      <section aria-labelledby="funnel">
        <h2 id="funnel">The clip funnel <a class="csv" href={`/api/analytics/funnel?format=csv&${key}`}>CSV</a></h2>
        {funnel.data && <Funnel items={funnel.data.items} />}
      </section>
      <div class="breakdowns">
        {BREAKDOWNS.map(([dimension, title, metric]) => (
          <Breakdown key={`${dimension}-${metric ?? ""}`} dimension={dimension} title={title} metric={metric} query={key} />
        ))}
      </div>
    </div>
  );
}

function TimeChart({ series, labels }: { series: Series[]; labels: string[] }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = series[0].points.map((p) => Date.parse(p.start) / 1000);
    const data: uPlot.AlignedData = [xs, ...series.map((s) => s.points.map((p) => p.count))];
    const css = getComputedStyle(document.documentElement);
    const colours = [css.getPropertyValue("--accent").trim() || "#c2410c", "#2563eb", "#059669"];
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 240,
        series: [{}, ...labels.map((label, i) => ({ label, stroke: colours[i], width: 2 }))],
        axes: [{}, { size: 48 }],
        scales: { x: { time: true } },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series, labels]);
  return <div class="chart" ref={box} role="img" aria-label={`${labels.join(", ")} per day`} />;
}

function Funnel({ items }: { items: { name: string; count: number }[] }): JSX.Element {
  const top = Math.max(1, ...items.map((i) => i.count));
  const label = Object.fromEntries(FUNNEL);
  return (
    <ol class="funnel">
      {items.map((i, n) => (
        <li key={i.name} data-stage={i.name}>
          <span class="funnel-label">{label[i.name] ?? i.name}</span>
          <span class="funnel-bar" style={{ width: `${(i.count / top) * 100}%` }} />
          <strong class="funnel-count">{i.count.toLocaleString()}</strong>
          {n > 0 && items[n - 1].count > 0 && (
            <span class="muted small-text">{Math.round((i.count / items[n - 1].count) * 100)}%</span>
          )}
        </li>
      ))}
    </ol>
  );
}

function Breakdown({ dimension, title, metric, query }: { dimension: string; title: string; metric?: string; query: string }): JSX.Element {
  const extra = metric ? `&metric=${metric}` : "";
  const rows = useLoad(
    (signal) => get<Counts>(`/api/analytics/breakdown?dimension=${dimension}${extra}&${query}`, { signal }), [query],
  );
  const items = rows.data?.items ?? [];
  return (
    <section class="breakdown" aria-label={title}>
      <h3>{title} <a class="csv" href={`/api/analytics/breakdown?dimension=${dimension}${extra}&format=csv&${query}`}>CSV</a></h3>
      {items.length ? (
        <table>
          <tbody>
            {items.slice(0, 8).map((i) => (
              <tr key={i.name}><td>{i.name}</td><td class="num">{i.count.toLocaleString()}</td></tr>
            ))}
          </tbody>
        </table>
      ) : <p class="muted small-text">{rows.loading ? "Loading…" : "Nothing yet."}</p>}
    </section>
  );
}
