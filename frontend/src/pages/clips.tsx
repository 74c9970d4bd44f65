// "Your clips": Drafts (what Mark saved, waiting to be refined or shared as they are) above
// everything the signed-in listener clipped, newest first, each with its note, to share
// again, annotate, play, or delete. The Mark length setting lives with the Drafts.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { del, get, patch, session, signInUrl } from "../api/client";
import type { Clip, ClipPage, ListenerSettings } from "../api/types";
import { created, NOTE_MAX } from "../clip/editor";
import { clock, date, length } from "../lib/time";
import { draftsChanged } from "../player/mark";
import { attempt, useLoad } from "../ui/hooks";
import { Icon } from "../ui/icons";
import { notify } from "../ui/toast";

export function ClipsPage(): JSX.Element {
  const clips = useLoad((signal) => get<ClipPage>("/api/clips?mine=true&limit=100", { signal }), [draftsChanged.value]);
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
      <Drafts onShared={clips.reload} />
      <section aria-labelledby="clips-h">
        <h2 id="clips-h">Clips</h2>
        {clips.error && <p class="error" role="alert">{clips.error}</p>}
        {clips.loading && !clips.data && <p class="muted">Loading…</p>}
        {clips.data && !clips.data.items.length && (
          <p class="muted">No clips yet. Open an episode and tap the scissors.</p>
        )}
        <ul class="clip-list" data-testid="clips">
          {clips.data?.items.map((c) => (
            <li key={c.id} class="clip-row">
              <div class="clip-main">
                <a class="clip-title" href={c.share_url}>{c.title}</a>
                <ClipMeta c={c} />
                {c.text && <p class="clip-text clamp-2">{c.text}</p>}
                <NoteEditor c={c} onSaved={clips.reload} />
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
      </section>
    </div>
  );
}

function ClipMeta({ c }: { c: Clip }): JSX.Element {
  return (
    <p class="muted small-text">
      <a href={`/episodes/${c.episode_id}?t=${Math.floor(c.start_ms / 1000)}`}>{c.episode_title}</a>
      {" · "}{clock(c.start_ms / 1000)}–{clock(c.end_ms / 1000)} · {length(c.duration_ms / 1000)}
      {c.draft ? "" : ` · ${c.visibility}`} · {date(c.created_at)}
    </p>
  );
}

/** The clip's note, and a way to write or change it in place. */
function NoteEditor({ c, onSaved }: { c: Clip; onSaved: () => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(c.note ?? "");
  const id = `note-${c.id}`;
  if (!open) {
    return (
      <div class="clip-note">
        {c.note && <p class="note" data-testid="clip-note">{c.note}</p>}
        <button class="link small-text" aria-label={`${c.note ? "Edit the note of" : "Add a note to"} ${c.title}`}
          onClick={() => setOpen(true)}>{c.note ? "Edit note" : "Add a note"}</button>
      </div>
    );
  }
  const save = () => attempt(async () => {
    await patch(`/api/clips/${c.id}`, { note: text.trim() || null });
    setOpen(false);
    onSaved();
  });
  return (
    <div class="field note-form">
      <label for={id}>Note</label>
      <textarea id={id} rows={2} maxLength={NOTE_MAX} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <div class="row">
        <button class="small" onClick={() => void save()}>Save note</button>
        <button class="small secondary" onClick={() => setOpen(false)}>Cancel</button>
      </div>
    </div>
  );
}

function Drafts({ onShared }: { onShared: () => void }): JSX.Element {
  const drafts = useLoad((signal) => get<ClipPage>("/api/drafts?limit=100", { signal }), [draftsChanged.value]);
  const share = (d: Clip) => attempt(async () => {
    created.value = await patch<Clip>(`/api/clips/${d.id}`, { visibility: "public" });
    drafts.reload();
    onShared();
  });
  const remove = (d: Clip) => attempt(async () => {
    await del(`/api/clips/${d.id}`);
    notify("Draft deleted.");
    drafts.reload();
  });
  return (
    <section aria-labelledby="drafts-h" class="drafts">
      <h2 id="drafts-h">Drafts {drafts.data && drafts.data.total > 0 && <span class="muted">({drafts.data.total})</span>}</h2>
      <MarkLength />
      {drafts.error && <p class="error" role="alert">{drafts.error}</p>}
      {drafts.data && !drafts.data.items.length && (
        <p class="muted">No drafts. While listening, press <kbd>M</kbd>, tap Mark, or “next” on your headset or lock screen to save the moment you just heard.</p>
      )}
      <ul class="clip-list" data-testid="drafts">
        {drafts.data?.items.map((d) => (
          <li key={d.id} class="clip-row draft-row">
            <div class="clip-main">
              <span class="clip-title">{d.title}</span>
              <ClipMeta c={d} />
              {d.text && <p class="clip-text clamp-2">{d.text}</p>}
              {d.note && <p class="note">{d.note}</p>}
            </div>
            <div class="row">
              <a class="button small" href={`/episodes/${d.episode_id}?draft=${d.id}`} aria-label={`Refine ${d.title}`}>
                <Icon name="scissors" size={16} /> Refine
              </a>
              <button class="small secondary" aria-label={`Share ${d.title} as it is`} onClick={() => void share(d)}>
                <Icon name="share" size={16} /> Share as is
              </button>
              <button class="small secondary danger" aria-label={`Delete draft ${d.title}`} onClick={() => void remove(d)}>Delete</button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** How much a Mark saves: the listener's own setting, 5-120 s. */
function MarkLength(): JSX.Element {
  const settings = useLoad((signal) => get<ListenerSettings>("/api/account/listening", { signal }), []);
  const [value, setValue] = useState<number | null>(null);
  const shown = value ?? settings.data?.mark_seconds ?? 30;
  const save = (n: number) => attempt(async () => {
    const saved = await patch<ListenerSettings>("/api/account/listening", { mark_seconds: n });
    setValue(saved.mark_seconds);
    notify(`A Mark now saves the last ${saved.mark_seconds} s.`);
  });
  return (
    <form class="row mark-length" onSubmit={(e) => { e.preventDefault(); void save(shown); }}>
      <label for="mark-seconds">A Mark saves the last</label>
      <input id="mark-seconds" type="number" min={5} max={120} step={1} value={shown} inputMode="numeric"
        onInput={(e) => setValue(Number(e.currentTarget.value))} />
      <span>seconds</span>
      <button type="submit" class="small secondary">Save</button>
    </form>
  );
}
