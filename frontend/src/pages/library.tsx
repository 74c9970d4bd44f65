// The library: podcasts with artwork, episodes newest first with live processing progress,
// and adding a feed or a file. Polls the API only while something is being processed. A
// signed-in listener subscribes to a podcast on its page; their subscriptions head the library.
import type { JSX } from "preact";
import { del, get, patch, post, put, session } from "../api/client";
import type { EpisodePage, EpisodeSummary, Podcast, Subscription, Visibility } from "../api/types";
import { clock, date } from "../lib/time";
import { Artwork } from "../ui/artwork";
import { attempt, useLoad } from "../ui/hooks";
import { AddPanel } from "./add";
import { busy, Progress, StatusBadge } from "./progress";

const POLL_MS = 1500;

export function LibraryPage({ podcastId }: { podcastId?: number }): JSX.Element {
  const podcasts = useLoad((signal) => get<Podcast[]>("/api/podcasts", { signal }), []);
  // by id: an unlisted podcast is in nobody's list but opens for whoever has its link
  const one = useLoad(
    (signal) => (podcastId ? get<Podcast>(`/api/podcasts/${podcastId}`, { signal }) : Promise.resolve(null)),
    [podcastId],
  );
  const episodes = useLoad(
    (signal) => get<EpisodePage>(`/api/episodes?limit=100${podcastId ? `&podcast_id=${podcastId}` : ""}`, { signal }),
    [podcastId],
    (page) => (page.items.some(busy) ? POLL_MS : 0),
  );
  const refresh = () => {
    podcasts.reload();
    episodes.reload();
    one.reload();
  };
  const podcast = podcastId ? one.data ?? undefined : undefined;
  const admin = session.value?.user.role === "admin";
  return (
    <div class="page library">
      <div class="row page-head">
        <h1>{podcast ? podcast.title : "Library"}</h1>
        {podcastId && session.value && <SubscribeButton podcastId={podcastId} title={podcast?.title ?? "this podcast"} />}
        {/* creators and admins: details and the brand of its clip videos (pages/settings.tsx) */}
        {podcast?.may_edit && (
          <a class="button secondary" href={`/podcasts/${podcast.id}/settings`}
            aria-label={`Settings for ${podcast.title}`}>Settings</a>
        )}
      </div>
      {podcast?.description && <p class="muted clamp-3">{podcast.description}</p>}
      {podcast && admin && <VisibilityControl podcast={podcast} onChange={one.reload} />}
      {one.error && <p class="error" role="alert">{one.error}</p>}
      {podcast && podcast.feed_problems.length > 0 && <FeedProblems podcast={podcast} />}
      {admin && !podcastId && episodes.data && (
        <AddPanel onAdded={refresh} open={episodes.data.total === 0} />
      )}
      {!podcastId && session.value && <Subscriptions />}
      {!podcastId && (
        <section aria-labelledby="podcasts-h">
          <h2 id="podcasts-h">Podcasts</h2>
          {podcasts.error && <p class="error" role="alert">{podcasts.error}</p>}
          {podcasts.data && !podcasts.data.length && (
            <p class="muted">{admin ? "No podcasts yet: add a feed or upload a file." : "No podcasts to show yet."}</p>
          )}
          <ul class="podcast-grid">
            {podcasts.data?.map((p) => (
              <li key={p.id}>
                <a class="podcast-card" href={`/podcasts/${p.id}`}>
                  <Artwork url={p.artwork_url} title={p.title} size="m" />
                  <span class="podcast-title">{p.title}</span>
                  <span class="muted">{p.episode_count} episode{p.episode_count === 1 ? "" : "s"}</span>
                  {p.feed_problems.length > 0 && <span class="feed-warning">{problemCount(p)}</span>}
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="episodes-h">
        <h2 id="episodes-h">Episodes {episodes.data && episodes.data.total > episodes.data.items.length && (
          <span class="muted">(newest {episodes.data.items.length} of {episodes.data.total})</span>)}</h2>
        {episodes.error && <p class="error" role="alert">{episodes.error}</p>}
        {episodes.loading && !episodes.data && <p class="muted">Loading…</p>}
        {episodes.data && !episodes.data.items.length && <p class="muted">No episodes yet.</p>}
        <ol class="episode-list">
          {episodes.data?.items.map((e) => (
            <EpisodeRow key={e.id} episode={e} podcast={podcast ?? podcasts.data?.find((p) => p.id === e.podcast_id)} onChange={episodes.reload} />
          ))}
        </ol>
      </section>
    </div>
  );
}

const VISIBILITY_CHOICES: { value: Visibility; label: string; hint: string }[] = [
  { value: "public", label: "Public", hint: "anyone, and listed on this site" },
  { value: "unlisted", label: "Unlisted", hint: "anyone with the link; never listed" },
  { value: "private", label: "Private", hint: "signed-in members only" },
];

// Admins choose who may see a podcast; the change applies to its episodes, transcripts and
// audio at once (docs/accounts.md).
function VisibilityControl({ podcast, onChange }: { podcast: Podcast; onChange: () => void }): JSX.Element {
  const chosen = VISIBILITY_CHOICES.find((c) => c.value === podcast.visibility);
  return (
    <div class="visibility-control">
      <label for="podcast-visibility">Who can see this podcast</label>
      <select id="podcast-visibility" value={podcast.visibility}
        onChange={(e) => attempt(async () => {
          await patch(`/api/podcasts/${podcast.id}`, { visibility: (e.target as HTMLSelectElement).value });
          onChange();
        })}>
        {VISIBILITY_CHOICES.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
      </select>
      {chosen && <span class="muted">{chosen.hint}</span>}
    </div>
  );
}

function problemCount(p: Podcast): string {
  const n = p.feed_problems.length;
  return `⚠ Malformed feed: ${n} problem${n === 1 ? "" : "s"}`;
}

// The feed was not well-formed XML at the last refresh: what was repaired or skipped, per item.
function FeedProblems({ podcast }: { podcast: Podcast }): JSX.Element {
  return (
    <details class="feed-problems">
      <summary class="feed-warning">{problemCount(podcast)} at the last refresh; the items that made sense were kept</summary>
      <ul>
        {podcast.feed_problems.map((problem, i) => (
          <li key={i}>{problem.item ? <><strong>{problem.item}</strong>: </> : "Feed: "}{problem.reason}</li>
        ))}
      </ul>
    </details>
  );
}

function EpisodeRow({ episode: e, podcast, onChange }: {
  episode: EpisodeSummary; podcast?: Podcast; onChange: () => void;
}): JSX.Element {
  return (
    <li class="episode-row" data-episode={e.id} data-status={e.status}>
      <Artwork url={e.artwork_url} title={podcast?.title ?? e.title} size="s" />
      <div class="episode-main">
        <div class="episode-head">
          <a class="episode-title" href={`/episodes/${e.id}`}>{e.title}</a>
          <StatusBadge status={e.status} />
        </div>
        <div class="muted">
          {[podcast?.title, date(e.published_at), e.duration_ms ? clock(e.duration_ms / 1000) : ""].filter(Boolean).join(" · ")}
        </div>
        <Progress episode={e} onChange={onChange} />
        {e.status === "not processed" && podcast?.may_edit && (
          <button class="small" aria-label={`Download and process ${e.title}`}
            onClick={() => attempt(async () => {
              await post(`/api/episodes/${e.id}/process`);
              onChange();
            })}>Process</button>
        )}
      </div>
    </li>
  );
}

function SubscribeButton({ podcastId, title }: { podcastId: number; title: string }): JSX.Element {
  const state = useLoad(
    (signal) => get<{ subscribed: boolean }>(`/api/podcasts/${podcastId}/subscription`, { signal }), [podcastId],
  );
  const on = state.data?.subscribed ?? false;
  const url = `/api/podcasts/${podcastId}/subscription`;
  return (
    <button class={on ? "secondary" : ""} aria-pressed={on} disabled={!state.data} data-testid="subscribe"
      aria-label={on ? `Subscribed to ${title}: unsubscribe` : `Subscribe to ${title}`}
      onClick={() => attempt(async () => {
        await (on ? del(url) : put(url));
        state.reload();
      })}>
      {on ? "✓ Subscribed" : "Subscribe"}
    </button>
  );
}

function Subscriptions(): JSX.Element | null {
  const subs = useLoad((signal) => get<Subscription[]>("/api/subscriptions", { signal }), []);
  if (!subs.data?.length) return null;
  return (
    <section aria-labelledby="subs-h">
      <h2 id="subs-h">Your subscriptions</h2>
      <ul class="podcast-grid" data-testid="subscriptions">
        {subs.data.map((p) => (
          <li key={p.podcast_id}>
            <a class="podcast-card" href={`/podcasts/${p.podcast_id}`}>
              <Artwork url={p.artwork_url} title={p.title} size="m" />
              <span class="podcast-title">{p.title}</span>
              <span class="muted">{p.episode_count} episode{p.episode_count === 1 ? "" : "s"}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
