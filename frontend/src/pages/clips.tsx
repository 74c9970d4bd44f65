// "Your clips": everything the signed-in listener clipped, newest first, to share again,
// play, or delete.
import type { JSX } from "preact";
import { del, get, session, signInUrl } from "../api/client";
import type { Clip, ClipPage } from "../api/types";
import { created } from "../clip/editor";
import { clock, date, length } from "../lib/time";
import { attempt, useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

export function ClipsPage(): JSX.Element {
  const clips = useLoad((signal) => get<ClipPage>("/api/clips?mine=true&limit=100", { signal }), []);
  if (!session.value) {
    return <div class="page"><h1>Your clips</h1><p><a href={signInUrl()}>Sign in</a> to see your clips.</p></div>;
  }
  const remove = (c: Clip) => {
    if (!confirm(`Delete the clip “${c.title}”? Its link will stop working.`)) return;
    void attempt(async () => {
      await del(`/api/clips/${c.id}`);
      notify("Clip deleted.");
      clips.reload();
    });
  };
  return (
    <div class="page clips-page">
      <h1>Your clips</h1>
      {clips.error && <p class="error" role="alert">{clips.error}</p>}
      {clips.loading && !clips.data && <p class="muted">Loading…</p>}
      {clips.data && !clips.data.items.length && (
        <p class="muted">No clips yet. Open an episode and tap the scissors.</p>
      )}
      <ul class="clip-list">
        {clips.data?.items.map((c) => (
          <li key={c.id} class="clip-row">
            <div class="clip-main">
              <a class="clip-title" href={c.share_url}>{c.title}</a>
              <p class="muted small-text">
                <a href={`/episodes/${c.episode_id}?t=${Math.floor(c.start_ms / 1000)}`}>{c.episode_title}</a>
                {" · "}{clock(c.start_ms / 1000)} · {length(c.duration_ms / 1000)} · {c.visibility} · {date(c.created_at)}
              </p>
              {c.text && <p class="clip-text clamp-2">{c.text}</p>}
            </div>
            <div class="row">
              <button class="small" aria-label={`Share ${c.title}`} onClick={() => (created.value = c)}>
                <Icon name="share" size={16} /> Share
              </button>
              <button class="small secondary danger" aria-label={`Delete ${c.title}`} onClick={() => remove(c)}>Delete</button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
