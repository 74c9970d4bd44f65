// History: the episodes this listener played, the most recent first, with where they are in
// each (synced across their browsers). Resume from there, or remove one (which forgets its
// position too), or clear it all.
import type { JSX } from "preact";
import { del, get, session, signInUrl } from "../api/client";
import type { HistoryItem, HistoryPage as Page } from "../api/types";
import { clock, date } from "../lib/time";
import { Artwork } from "../ui/artwork";
import { attempt, useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

export function HistoryPage(): JSX.Element {
  const history = useLoad((signal) => get<Page>("/api/history?limit=200", { signal }), []);
  if (!session.value) {
    return <div class="page"><h1>History</h1><p><a href={signInUrl()}>Sign in</a> to see what you played.</p></div>;
  }
  const forget = (h: HistoryItem) => attempt(async () => {
    await del(`/api/history/${h.episode_id}`);
    notify(`Removed “${h.episode_title}” from your history.`);
    history.reload();
  });
  const clear = () => {
    if (!confirm("Clear your whole listening history? Where you stopped in each episode is forgotten too.")) return;
    void attempt(async () => {
      await del("/api/history");
      history.reload();
    });
  };
  const items = history.data?.items ?? [];
  return (
    <div class="page history-page">
      <div class="row page-head">
        <h1>History</h1>
        {items.length > 0 && <button class="small secondary danger" onClick={clear}>Clear history</button>}
      </div>
      {history.error && <p class="error" role="alert">{history.error}</p>}
      {history.loading && !history.data && <p class="muted">Loading…</p>}
      {history.data && !items.length && <p class="muted">Nothing played yet. Episodes you play appear here, newest first, on every browser you sign in to.</p>}
      <ol class="history-list" data-testid="history">
        {items.map((h) => <Row key={h.episode_id} h={h} onForget={() => void forget(h)} />)}
      </ol>
    </div>
  );
}

function Row({ h, onForget }: { h: HistoryItem; onForget: () => void }): JSX.Element {
  const total = (h.duration_ms ?? 0) / 1000;
  const at = h.position_ms / 1000;
  const state = h.done ? "Played" : `${clock(at)} of ${clock(total)}`;
  return (
    <li class="history-row" data-episode={h.episode_id}>
      <Artwork url={h.artwork_url} title={h.podcast_title} size="s" />
      <div class="episode-main">
        <a class="episode-title" href={`/episodes/${h.episode_id}${h.done ? "" : `?t=${Math.floor(at)}`}`}
          aria-label={`${h.episode_title}: ${h.done ? "play again" : `resume at ${clock(at)}`}`}>{h.episode_title}</a>
        <div class="muted small-text">{h.podcast_title} · {state} · played {date(h.last_played_at)}</div>
        {total > 0 && (
          <progress max={total} value={h.done ? total : at} aria-label={`Listened to ${clock(at)} of ${clock(total)}`} />
        )}
      </div>
      <button class="icon-button" aria-label={`Remove ${h.episode_title} from your history`} onClick={onForget}>
        <Icon name="close" />
      </button>
    </li>
  );
}
