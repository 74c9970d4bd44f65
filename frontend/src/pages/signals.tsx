// What shapes a listener's "For you" feed: every signal kept for them (plays, completions,
// skips, replays, clips, subscriptions, searches), newest first, each deletable. A reason in
// the feed links here, to the signal it came from (#signal-<id>).
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { del, get, session, signInUrl } from "../api/client";
import type { ForYouSignal, ForYouSignalPage } from "../api/types";
import { clock, date } from "../lib/time";
import { attempt, useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

const VERBS: Record<string, string> = {
  play: "Played", complete: "Finished", skip: "Skipped", replay: "Played again",
  clip_made: "Clipped", clip_played: "Played a clip of", subscribe: "Subscribed to", search: "Searched for",
};

function what(s: ForYouSignal): string {
  if (s.kind === "search") return `“${s.query ?? ""}”`;
  if (s.kind === "subscribe") return s.podcast_title ?? "a podcast";
  return s.episode_title ?? "an episode";
}

export function SignalsPage(): JSX.Element {
  const page = useLoad((signal) => get<ForYouSignalPage>("/api/for-you/signals?limit=500", { signal }), []);
  useEffect(() => {
    if (page.data && location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: "center" });
  }, [page.data]);
  if (!session.value) {
    return <div class="page"><h1>What shapes your feed</h1><p><a href={signInUrl()}>Sign in</a> to see it.</p></div>;
  }
  const forget = (s: ForYouSignal) => attempt(async () => {
    await del(`/api/for-you/signals/${s.id}`);
    notify("Forgotten. Your feed changes at the next training run.");
    page.reload();
  });
  const items = page.data?.items ?? [];
  // the reason a feed item linked from (a client navigation sets no :target)
  const focus = location.hash.slice(1);
  return (
    <div class="page signals-page">
      <div class="row page-head">
        <h1>What shapes your feed</h1>
        <a href="/for-you">Back to For you</a>
      </div>
      <p class="muted">Only what you did on this server, each with its time. Delete any of it; history you remove goes from here too.</p>
      {page.error && <p class="error" role="alert">{page.error}</p>}
      {page.data && !items.length && <p class="muted">Nothing yet.</p>}
      <ol class="history-list" data-testid="signals">
        {items.map((s) => (
          <li key={s.id} id={`signal-${s.id}`} class={`history-row signal-row ${focus === `signal-${s.id}` ? "focused" : ""}`}
            aria-current={focus === `signal-${s.id}` ? "true" : undefined}>
            <div class="episode-main">
              <div><strong>{VERBS[s.kind] ?? s.kind}</strong> {what(s)}</div>
              <div class="muted small-text">
                {s.podcast_title && s.kind !== "subscribe" ? `${s.podcast_title} · ` : ""}
                {s.listened_ms ? `${clock(s.listened_ms / 1000)} listened · ` : ""}{date(s.at)}
              </div>
            </div>
            <button class="icon-button" aria-label={`Delete: ${VERBS[s.kind] ?? s.kind} ${what(s)}`} onClick={() => void forget(s)}>
              <Icon name="close" />
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
