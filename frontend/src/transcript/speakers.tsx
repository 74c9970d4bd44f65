// "Name speakers" in the transcript's header: a creator says once who "Speaker 1" and
// "Speaker 2" are (PUT /api/episodes/{id}/speakers), choosing from the people the feed names
// (podcast:person) or typing a name. The transcript, clip text and search show it from then on.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { put } from "../api/client";
import type { EpisodeDetail } from "../api/types";
import { Dialog } from "../ui/dialog";
import { reportError } from "../ui/toast";
import { forgetTranscript } from "./model";

const MAX_NAME = 100; // transcript_segments.speaker, as the API checks

export function SpeakerNames({ ep, onRenamed }: { ep: EpisodeDetail; onRenamed: () => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button class="secondary small" onClick={() => setOpen(true)} data-testid="name-speakers">
        Name speakers
      </button>
      {open && <SpeakerDialog ep={ep} onClose={() => setOpen(false)} onRenamed={onRenamed} />}
    </>
  );
}

function SpeakerDialog(props: { ep: EpisodeDetail; onClose: () => void; onRenamed: () => void }): JSX.Element {
  const { ep } = props;
  const [names, setNames] = useState<Record<string, string>>(() => Object.fromEntries(ep.speakers.map((s) => [s, s])));
  const [saving, setSaving] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    const changed = Object.fromEntries(
      Object.entries(names).map(([old, name]) => [old, name.trim()]).filter(([old, name]) => name !== old),
    );
    if (!Object.keys(changed).length) return props.onClose();
    setSaving(true);
    try {
      await put(`/api/episodes/${ep.id}/speakers`, changed);
      forgetTranscript(ep.id); // the new speakers' list in the reloaded episode fetches it again
      props.onRenamed();
      props.onClose();
    } catch (err) {
      reportError(err);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Dialog title="Name the speakers" onClose={props.onClose} class="speakers-dialog">
      <form onSubmit={save} class="speaker-form">
        <p class="muted">Who is each voice? The transcript, clips and search will use these names.</p>
        {ep.speakers.map((speaker, i) => (
          <div class="field" key={speaker}>
            <label for={`speaker-${i}`}>{speaker}</label>
            <input id={`speaker-${i}`} list="speaker-people" maxLength={MAX_NAME} required value={names[speaker]}
              onInput={(e) => setNames({ ...names, [speaker]: (e.target as HTMLInputElement).value })} />
          </div>
        ))}
        {ep.persons.length > 0 && (
          <datalist id="speaker-people">
            {ep.persons.map((p) => <option key={p.name} value={p.name}>{p.role}</option>)}
          </datalist>
        )}
        <div class="dialog-actions">
          <button type="button" class="secondary" onClick={props.onClose}>Cancel</button>
          <button type="submit" disabled={saving}>{saving ? "Saving…" : "Save names"}</button>
        </div>
      </form>
    </Dialog>
  );
}
